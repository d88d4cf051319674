//! The types a cell editor can give a value, and the text it edits.
//!
//! A value keeps its type unless the user picks another: `"42"` stays a
//! string even though it looks like a number.

use serde_json::Value;

/// The type a cell's text is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    String,
    Number,
    Bool,
    Null,
    /// An object or array, typed as JSON.
    Json,
}

impl ValueType {
    pub const ALL: [ValueType; 5] = [
        ValueType::String,
        ValueType::Number,
        ValueType::Bool,
        ValueType::Null,
        ValueType::Json,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Number => "number",
            ValueType::Bool => "bool",
            ValueType::Null => "null",
            ValueType::Json => "JSON",
        }
    }

    /// The types a collection can keep: Python 0.1 collections store text only.
    pub fn offered(legacy: bool) -> &'static [ValueType] {
        if legacy {
            &[ValueType::String]
        } else {
            &Self::ALL
        }
    }
}

/// The type of a value as stored; a missing field edits as a string.
pub fn type_of(value: Option<&Value>) -> ValueType {
    match value {
        None | Some(Value::String(_)) => ValueType::String,
        Some(Value::Number(_)) => ValueType::Number,
        Some(Value::Bool(_)) => ValueType::Bool,
        Some(Value::Null) => ValueType::Null,
        Some(Value::Array(_) | Value::Object(_)) => ValueType::Json,
    }
}

/// The text a cell editor starts with: strings bare, the rest as JSON.
pub fn edit_text(value: Option<&Value>) -> String {
    match value {
        None => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Reads the editor's text as `ty`, or says why it cannot be one.
pub fn parse_as(text: &str, ty: ValueType) -> Result<Value, String> {
    match ty {
        ValueType::String => Ok(Value::String(text.to_owned())),
        ValueType::Null => Ok(Value::Null),
        ValueType::Bool => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            other => Err(format!("{other:?} is not a bool: type true or false")),
        },
        ValueType::Number => match serde_json::from_str::<Value>(text.trim()) {
            Ok(number @ Value::Number(_)) => Ok(number),
            _ => Err(format!("{:?} is not a number", text.trim())),
        },
        ValueType::Json => {
            serde_json::from_str::<Value>(text).map_err(|e| format!("bad JSON: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_value_keeps_its_type_through_its_edit_text() {
        for value in [
            json!(42),
            json!(1.5),
            json!("42"),
            json!(true),
            json!(null),
            json!({"a": [1]}),
        ] {
            let ty = type_of(Some(&value));
            assert_eq!(
                parse_as(&edit_text(Some(&value)), ty),
                Ok(value.clone()),
                "{value}"
            );
        }
    }

    #[test]
    fn a_string_that_looks_like_a_number_stays_a_string() {
        assert_eq!(type_of(Some(&json!("007"))), ValueType::String);
        assert_eq!(parse_as("007", ValueType::String), Ok(json!("007")));
    }

    #[test]
    fn text_that_is_not_of_the_chosen_type_is_refused_with_a_reason() {
        for (text, ty) in [
            ("abc", ValueType::Number),
            ("yes", ValueType::Bool),
            ("{", ValueType::Json),
        ] {
            assert!(parse_as(text, ty).is_err(), "{text} as {ty:?}");
        }
        assert_eq!(parse_as("12", ValueType::Number), Ok(json!(12)));
        assert_eq!(parse_as(" false ", ValueType::Bool), Ok(json!(false)));
    }

    #[test]
    fn legacy_collections_are_offered_text_only() {
        assert_eq!(ValueType::offered(true), &[ValueType::String]);
        assert_eq!(ValueType::offered(false).len(), 5);
    }
}
