//! What FluxDB checks in a `mongodb://` URI itself (the driver parses the
//! rest): the password is never shown, and the database name follows
//! MongoDB's rules before any server is asked.

/// The characters MongoDB refuses in a database name (on every platform).
const FORBIDDEN_IN_DATABASE_NAMES: &[char] = &[
    '/', '\\', '.', ' ', '"', '$', '*', '<', '>', ':', '|', '?', '\0',
];

/// MongoDB's longest database name, in bytes.
const MAX_DATABASE_NAME_BYTES: usize = 63;

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

/// `Err(reason)` for a database name MongoDB would refuse.
pub fn validate_database_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the database name is empty".to_owned());
    }
    if name.len() > MAX_DATABASE_NAME_BYTES {
        return Err(format!(
            "the database name {name:?} is longer than {MAX_DATABASE_NAME_BYTES} bytes"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| FORBIDDEN_IN_DATABASE_NAMES.contains(c))
    {
        return Err(format!(
            "the database name {name:?} has the character {bad:?}, which MongoDB does not allow in one"
        ));
    }
    Ok(())
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
    fn database_names_follow_mongodb_rules() {
        assert!(validate_database_name("shop_2024").is_ok());
        for bad in ["", "a.b", "a b", "x$", &"d".repeat(64)] {
            assert!(validate_database_name(bad).is_err(), "{bad:?}");
        }
    }
}
