//! Collection names: the rule that keeps every name a plain file name inside
//! the database folder.

use crate::error::{Error, Result};

/// Longest collection name, in bytes.
pub const MAX_NAME_BYTES: usize = 128;

/// Letters, digits, `_`, `-` and `.`; not starting with a dot; 1 to 128
/// bytes. Anything else could name a path outside the folder, a hidden
/// file, or a file another platform cannot create.
pub fn validate_collection_name(name: &str) -> Result<()> {
    let invalid = |reason: &str| {
        Err(Error::InvalidName {
            name: name.to_owned(),
            reason: reason.to_owned(),
        })
    };
    if name.is_empty() {
        return invalid("a name cannot be empty");
    }
    if name.len() > MAX_NAME_BYTES {
        return invalid(&format!("longer than {MAX_NAME_BYTES} bytes"));
    }
    if name.starts_with('.') {
        return invalid("a name cannot start with a dot");
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
    {
        return invalid(&format!(
            "{bad:?} is not allowed; use letters, digits, '_', '-' and '.'"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_leave_the_folder_are_refused() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            ".hidden",
            "a b",
            "ü",
            "a\0",
            &"x".repeat(129),
        ] {
            assert!(validate_collection_name(bad).is_err(), "{bad:?} accepted");
        }
        for good in ["users", "a.b", "A-1_z", "x..y", &"x".repeat(128)] {
            assert!(validate_collection_name(good).is_ok(), "{good:?} refused");
        }
    }
}
