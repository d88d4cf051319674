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
            name: shown(name),
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

/// A name as an error shows it: cut after 160 bytes (a name can be any
/// string a caller passes, a megabyte of it too).
fn shown(name: &str) -> String {
    const SHOWN_BYTES: usize = 160;
    if name.len() <= SHOWN_BYTES {
        return name.to_owned();
    }
    let mut end = SHOWN_BYTES;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
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
