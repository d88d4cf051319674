//! The prepared operand of `$type`: BSON type names and codes as a bit set
//! over the kinds a JSON value can be.

use serde_json::Value;

/// The `$type` names as a bit set over the kinds a JSON value can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TypeSet(pub(super) u8);

impl TypeSet {
    const DOUBLE: u8 = 1;
    const STRING: u8 = 1 << 1;
    const OBJECT: u8 = 1 << 2;
    const ARRAY: u8 = 1 << 3;
    const BOOL: u8 = 1 << 4;
    const NULL: u8 = 1 << 5;
    const INT: u8 = 1 << 6;
    const LONG: u8 = 1 << 7;
    const NUMBER: u8 = Self::DOUBLE | Self::INT | Self::LONG;

    /// BSON type names and codes. Types JSON cannot hold (dates, object ids…)
    /// are accepted and match nothing, as in MongoDB on such data.
    pub(super) fn bits_of_name(name: &str) -> Option<u8> {
        Some(match name {
            "double" => Self::DOUBLE,
            "string" => Self::STRING,
            "object" => Self::OBJECT,
            "array" => Self::ARRAY,
            "bool" => Self::BOOL,
            "null" => Self::NULL,
            "int" => Self::INT,
            "long" => Self::LONG,
            "number" => Self::NUMBER,
            "binData"
            | "undefined"
            | "objectId"
            | "date"
            | "regex"
            | "dbPointer"
            | "javascript"
            | "symbol"
            | "javascriptWithScope"
            | "timestamp"
            | "decimal"
            | "minKey"
            | "maxKey" => 0,
            _ => return None,
        })
    }

    pub(super) fn bits_of_code(code: i64) -> Option<u8> {
        Some(match code {
            1 => Self::DOUBLE,
            2 => Self::STRING,
            3 => Self::OBJECT,
            4 => Self::ARRAY,
            8 => Self::BOOL,
            10 => Self::NULL,
            16 => Self::INT,
            18 => Self::LONG,
            5..=7 | 9 | 11..=15 | 17 | 19 | -1 | 127 => 0,
            _ => return None,
        })
    }

    fn bit_of_value(v: &Value) -> u8 {
        match v {
            Value::Null => Self::NULL,
            Value::Bool(_) => Self::BOOL,
            Value::String(_) => Self::STRING,
            Value::Object(_) => Self::OBJECT,
            Value::Array(_) => Self::ARRAY,
            Value::Number(n) => match n.as_i64() {
                Some(i) if i32::try_from(i).is_ok() => Self::INT,
                Some(_) => Self::LONG,
                None if n.is_u64() => Self::LONG,
                None => Self::DOUBLE,
            },
        }
    }

    pub(super) fn matches(self, v: &Value) -> bool {
        self.0 & Self::bit_of_value(v) != 0
    }
}
