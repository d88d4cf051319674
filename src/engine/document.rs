//! [`Document`], the record type every layer of the engine passes around,
//! and the small helpers that describe one (in its own file so that the
//! modules below `engine` can use it without reaching up into `engine/mod.rs`).

/// A stored record: a JSON object whose fields keep their order and types.
pub type Document = serde_json::Map<String, serde_json::Value>;

/// "a string", "an array"…: a value's JSON type, for error messages.
pub(crate) fn json_type_name(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The document a test writes as a JSON object literal (anything else is
/// a mistake in the test, so it fails loudly).
#[cfg(test)]
pub(crate) fn test_doc(value: serde_json::Value) -> Document {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("a test document must be an object, not {other}"),
    }
}
