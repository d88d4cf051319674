//! [`Location`]: a database folder or a MongoDB server, as `--db` or a
//! side of `fluxdb copy` names it.

use std::path::{Path, PathBuf};

/// Where a database is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A FluxDB folder.
    Folder(PathBuf),
    /// A MongoDB server: a `mongodb://` or `mongodb+srv://` URI.
    Server(String),
}

impl Location {
    /// A `mongodb://` or `mongodb+srv://` URI names a server (whether or
    /// not this build can reach one); anything else is a folder.
    pub fn parse(text: &Path) -> Location {
        match text.to_str() {
            Some(uri) if is_server_uri(uri) => Location::Server(uri.to_owned()),
            _ => Location::Folder(text.to_path_buf()),
        }
    }
}

/// Whether `text` starts with a MongoDB URI scheme (case-insensitive, as
/// URI schemes are).
pub fn is_server_uri(text: &str) -> bool {
    let lower = text.get(..14).unwrap_or(text).to_ascii_lowercase();
    lower.starts_with("mongodb://") || lower.starts_with("mongodb+srv://")
}

/// The URI with its password replaced by `****`, for messages and for the
/// recent connections Studio keeps.
pub fn redact(uri: &str) -> String {
    let Some(scheme_end) = uri.find("://").map(|at| at + 3) else {
        return uri.to_owned();
    };
    let rest = &uri[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return uri.to_owned();
    };
    let user_info = &authority[..at];
    match user_info.split_once(':') {
        Some((user, _password)) => format!(
            "{}{user}:****{}",
            &uri[..scheme_end],
            &uri[scheme_end + at..]
        ),
        None => uri.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_never_shown() {
        assert_eq!(
            redact("mongodb://ann:s3cr%40t@db.example:27017/shop?authSource=admin"),
            "mongodb://ann:****@db.example:27017/shop?authSource=admin"
        );
        assert_eq!(
            redact("mongodb+srv://ann@c.example/x"),
            "mongodb+srv://ann@c.example/x"
        );
        assert_eq!(redact("mongodb://h:1/db"), "mongodb://h:1/db");
    }

    #[test]
    fn uris_name_servers_and_everything_else_is_a_folder() {
        for uri in ["mongodb://h:1/db", "MongoDB+SRV://cluster.example/db"] {
            assert_eq!(
                Location::parse(Path::new(uri)),
                Location::Server(uri.to_owned())
            );
        }
        for folder in ["data", "./mongodb", "mongodb:/x", ""] {
            assert_eq!(
                Location::parse(Path::new(folder)),
                Location::Folder(PathBuf::from(folder))
            );
        }
    }
}
