//! Turning the bytes of one JSON record into a document, with errors that
//! point at the line and column in the whole file.

use std::path::Path;

use super::record::Failure;
use crate::engine::Document;

/// Where a record's first byte is in the file (both 1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Position {
    pub(super) line: u64,
    pub(super) column: u64,
}

/// Parses `bytes` (one whole record, starting at `start`) as a JSON object.
/// serde_json's recursion limit stays on, so deep nesting is an error here,
/// never a stack overflow.
pub(super) fn parse_object(
    bytes: &[u8],
    start: Position,
    path: &Path,
) -> Result<Document, Failure> {
    if let Some(offset) = bytes.iter().position(|b| !is_json_whitespace(*b))
        && bytes[offset] != b'{'
    {
        let at = position_of(bytes, offset, start);
        let message = format!(
            "column {}: expected a JSON object, found {}",
            at.column,
            describe_value_start(bytes[offset])
        );
        return Err(Failure::bad_record(path, at.line, message));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        let (at, message) = match std::str::from_utf8(bytes) {
            Err(utf8) => (
                position_of(bytes, utf8.valid_up_to(), start),
                "invalid UTF-8".to_owned(),
            ),
            Ok(_) => (serde_position(&error, start), serde_message(&error)),
        };
        Failure::bad_record(path, at.line, format!("column {}: {message}", at.column))
    })
}

/// JSON's four whitespace bytes (not Unicode's, not form feed).
pub(super) fn is_json_whitespace(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r')
}

/// Names the kind of JSON value that starts with `byte`, for "expected an
/// object, found …".
pub(super) fn describe_value_start(byte: u8) -> &'static str {
    match byte {
        b'[' => "an array",
        b'"' => "a string",
        b'-' | b'0'..=b'9' => "a number",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        b']' | b'}' => "a closing bracket",
        b',' => "a comma",
        _ => "text that is not JSON",
    }
}

/// The file position of byte `offset` of a record that starts at `start`.
fn position_of(bytes: &[u8], offset: usize, start: Position) -> Position {
    let before = &bytes[..offset.min(bytes.len())];
    match before.iter().rposition(|b| *b == b'\n') {
        None => Position {
            line: start.line,
            column: start.column + before.len() as u64,
        },
        Some(last_newline) => Position {
            line: start.line + before.iter().filter(|b| **b == b'\n').count() as u64,
            column: (before.len() - last_newline) as u64,
        },
    }
}

/// serde_json counts lines and columns within the record; shift them to the file.
fn serde_position(error: &serde_json::Error, start: Position) -> Position {
    let line = error.line() as u64;
    let column = error.column() as u64;
    if line <= 1 {
        Position {
            line: start.line,
            column: start.column + column.saturating_sub(1),
        }
    } else {
        Position {
            line: start.line + line - 1,
            column,
        }
    }
}

/// serde_json's message without its " at line L column C" (relative to the
/// record, so wrong for the file).
fn serde_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    if message == "recursion limit exceeded" {
        "nested more than 128 levels deep (recursion limit exceeded)".to_owned()
    } else {
        message.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    const START: Position = Position { line: 1, column: 1 };

    fn error_text(bytes: &[u8], start: Position) -> String {
        match parse_object(bytes, start, Path::new("f.json")) {
            Ok(doc) => panic!("expected an error, got {doc:?}"),
            Err(failure) => {
                assert!(failure.recoverable);
                failure.error.to_string()
            }
        }
    }

    #[test]
    fn an_object_parses_with_its_field_order() -> Result<(), Failure> {
        let doc = parse_object(
            br#" {"b": 1, "a": [2.0, {"c": null}]} "#,
            START,
            Path::new("f"),
        )?;
        assert_eq!(doc.keys().collect::<Vec<_>>(), ["b", "a"]);
        assert!(doc["b"].is_i64());
        assert!(doc["a"][0].is_f64());
        Ok(())
    }

    #[test]
    fn errors_point_at_the_line_and_column_in_the_file() {
        let cases: [(&[u8], Position, &str); 6] = [
            (
                b"[1, 2]",
                START,
                "f.json: line 1: column 1: expected a JSON object, found an array",
            ),
            (
                b"  42",
                Position { line: 7, column: 3 },
                "f.json: line 7: column 5: expected a JSON object, found a number",
            ),
            (
                b"{\"a\": tru}",
                Position { line: 4, column: 2 },
                "f.json: line 4: column 11: expected ident",
            ),
            (
                b"{\"a\": 1,\n \"b\": }",
                Position {
                    line: 10,
                    column: 5,
                },
                "f.json: line 11: column 7: expected value",
            ),
            (
                b"{\"a\": \"\xFF\"}",
                START,
                "f.json: line 1: column 8: invalid UTF-8",
            ),
            (
                b"{\"a\": 1",
                START,
                "f.json: line 1: column 7: EOF while parsing an object",
            ),
        ];
        for (bytes, start, expected) in cases {
            assert_eq!(
                error_text(bytes, start),
                expected,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let mut text = "{\"a\":".to_owned();
        text.push_str(&"[".repeat(100_000));
        let message = error_text(text.as_bytes(), START);
        assert!(
            message.contains("nested more than 128 levels deep"),
            "{message}"
        );
    }

    #[test]
    fn failures_are_import_line_errors() {
        let failure = parse_object(b"[]", START, Path::new("f")).err();
        assert!(matches!(
            failure.map(|f| f.error),
            Some(Error::ImportLine { line: 1, .. })
        ));
    }
}
