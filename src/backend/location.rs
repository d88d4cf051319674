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

#[cfg(test)]
mod tests {
    use super::*;

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
