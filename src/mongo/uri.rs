//! What FluxDB checks in a `mongodb://` URI itself (the driver parses the
//! rest): the database name follows MongoDB's rules before any server is
//! asked. (The password is kept out of messages by `backend::redact`.)

/// The characters MongoDB refuses in a database name (on every platform).
const FORBIDDEN_IN_DATABASE_NAMES: &[char] = &[
    '/', '\\', '.', ' ', '"', '$', '*', '<', '>', ':', '|', '?', '\0',
];

/// MongoDB's longest database name, in bytes.
const MAX_DATABASE_NAME_BYTES: usize = 63;

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
    fn database_names_follow_mongodb_rules() {
        assert!(validate_database_name("shop_2024").is_ok());
        for bad in ["", "a.b", "a b", "x$", &"d".repeat(64)] {
            assert!(validate_database_name(bad).is_err(), "{bad:?}");
        }
    }
}
