//! MongoDB's total order over JSON values, and number comparison that is exact
//! across `i64`, `u64` and `f64` (so `30 == 30.0` and `2^63 + 1 > 2^63 as f64`).

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

/// MongoDB's type brackets, in their sort order. Values of different brackets
/// never compare with `$gt`/`$lt`; in a sort they order by bracket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TypeBracket {
    Null,
    Number,
    String,
    Object,
    Array,
    Bool,
}

impl TypeBracket {
    pub fn of(v: &Value) -> TypeBracket {
        match v {
            Value::Null => TypeBracket::Null,
            Value::Number(_) => TypeBracket::Number,
            Value::String(_) => TypeBracket::String,
            Value::Object(_) => TypeBracket::Object,
            Value::Array(_) => TypeBracket::Array,
            Value::Bool(_) => TypeBracket::Bool,
        }
    }
}

/// MongoDB's cross-type order: null < numbers < strings < objects < arrays <
/// booleans. Numbers compare by value; strings bytewise; arrays element by
/// element, then by length; objects field by field (type bracket of the value,
/// then name, then value), then by length, so field order matters as in BSON.
pub fn compare_values(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Array(x), Value::Array(y)) => compare_arrays(x, y),
        (Value::Object(x), Value::Object(y)) => compare_objects(x, y),
        _ => TypeBracket::of(a).cmp(&TypeBracket::of(b)),
    }
}

/// True when `compare_values` says Equal; cheaper for the common scalar cases.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Ordering::Equal,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
            compare_values(a, b) == Ordering::Equal
        }
        _ => false,
    }
}

fn compare_arrays(x: &[Value], y: &[Value]) -> Ordering {
    for (a, b) in x.iter().zip(y) {
        let ord = compare_values(a, b);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    x.len().cmp(&y.len())
}

fn compare_objects(x: &Map<String, Value>, y: &Map<String, Value>) -> Ordering {
    for ((ka, va), (kb, vb)) in x.iter().zip(y) {
        let ord = TypeBracket::of(va)
            .cmp(&TypeBracket::of(vb))
            .then_with(|| ka.as_bytes().cmp(kb.as_bytes()))
            .then_with(|| compare_values(va, vb));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    x.len().cmp(&y.len())
}

/// A JSON number in one of the three exact representations serde_json keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Num {
    Int(i64),
    UInt(u64),
    Float(f64),
}

impl Num {
    pub(crate) fn of(n: &Number) -> Num {
        if let Some(i) = n.as_i64() {
            Num::Int(i)
        } else if let Some(u) = n.as_u64() {
            Num::UInt(u)
        } else {
            Num::Float(n.as_f64().unwrap_or(f64::NAN))
        }
    }
}

/// Compares two numbers by value, exactly (no rounding of big integers).
pub fn compare_numbers(a: &Number, b: &Number) -> Ordering {
    compare_nums(Num::of(a), Num::of(b))
}

pub(crate) fn compare_nums(a: Num, b: Num) -> Ordering {
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => x.cmp(&y),
        (Num::UInt(x), Num::UInt(y)) => x.cmp(&y),
        (Num::Int(x), Num::UInt(y)) => compare_i64_u64(x, y),
        (Num::UInt(x), Num::Int(y)) => compare_i64_u64(y, x).reverse(),
        (Num::Float(x), Num::Float(y)) => compare_f64(x, y),
        (Num::Int(x), Num::Float(y)) => compare_i64_f64(x, y),
        (Num::Float(x), Num::Int(y)) => compare_i64_f64(y, x).reverse(),
        (Num::UInt(x), Num::Float(y)) => compare_u64_f64(x, y),
        (Num::Float(x), Num::UInt(y)) => compare_u64_f64(y, x).reverse(),
    }
}

fn compare_i64_u64(x: i64, y: u64) -> Ordering {
    match u64::try_from(x) {
        Ok(x) => x.cmp(&y),
        Err(_) => Ordering::Less,
    }
}

/// MongoDB orders NaN below every other number and equal to itself.
fn compare_f64(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;
const TWO_POW_64: f64 = 18_446_744_073_709_551_616.0;

fn compare_i64_f64(x: i64, y: f64) -> Ordering {
    if y.is_nan() {
        return Ordering::Greater;
    }
    if y >= TWO_POW_63 {
        return Ordering::Less;
    }
    if y < -TWO_POW_63 {
        return Ordering::Greater;
    }
    // y is within i64's range, so its integer part converts exactly.
    let whole = y.trunc();
    (x.cmp(&(whole as i64))).then_with(|| compare_f64(0.0, y - whole))
}

fn compare_u64_f64(x: u64, y: f64) -> Ordering {
    if y.is_nan() {
        return Ordering::Greater;
    }
    if y >= TWO_POW_64 {
        return Ordering::Less;
    }
    if y < 0.0 {
        return Ordering::Greater;
    }
    let whole = y.trunc();
    (x.cmp(&(whole as u64))).then_with(|| compare_f64(0.0, y - whole))
}

/// Reads legacy text as a number the way the Python library's `float()` would
/// (surrounding spaces allowed), keeping integers exact.
pub(crate) fn parse_numeric_text(text: &str) -> Option<Number> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Number::from(i));
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(Number::from(u));
    }
    // `f64::from_str` accepts "inf"/"nan", which a JSON number cannot hold.
    t.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_brackets_order_as_mongodb() {
        let ordered = [
            json!(null),
            json!(-5),
            json!(3.5),
            json!(""),
            json!("z"),
            json!({}),
            json!({"a": 1}),
            json!([]),
            json!([1]),
            json!(false),
            json!(true),
        ];
        for (i, a) in ordered.iter().enumerate() {
            for (j, b) in ordered.iter().enumerate() {
                assert_eq!(compare_values(a, b), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn numbers_compare_by_value_across_representations() {
        let cases: &[(Value, Value, Ordering)] = &[
            (json!(30), json!(30.0), Ordering::Equal),
            (json!(-0.0), json!(0), Ordering::Equal),
            (json!(1), json!(1.5), Ordering::Less),
            (json!(-2), json!(-1.5), Ordering::Less),
            (
                json!(i64::MAX),
                json!(9_223_372_036_854_775_808.0),
                Ordering::Less,
            ),
            (
                json!(u64::MAX),
                json!(18_446_744_073_709_551_615.0),
                Ordering::Less,
            ),
            (
                json!(9_007_199_254_740_993_i64),
                json!(9_007_199_254_740_992.0),
                Ordering::Greater,
            ),
            (json!(i64::MIN), json!(u64::MAX), Ordering::Less),
            (json!(u64::MAX), json!(i64::MAX), Ordering::Greater),
            (json!(-1), json!(0u64), Ordering::Less),
            (json!(1e300), json!(u64::MAX), Ordering::Greater),
            (json!(-1e300), json!(i64::MIN), Ordering::Less),
        ];
        for (a, b, want) in cases {
            assert_eq!(compare_values(a, b), *want, "{a} vs {b}");
            assert_eq!(compare_values(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn arrays_compare_element_wise_then_by_length() {
        assert_eq!(
            compare_values(&json!([1, 2]), &json!([1, 3])),
            Ordering::Less
        );
        assert_eq!(compare_values(&json!([1]), &json!([1, 0])), Ordering::Less);
        assert_eq!(
            compare_values(&json!([2]), &json!([1, 9])),
            Ordering::Greater
        );
        assert_eq!(
            compare_values(&json!([1, "a"]), &json!([1.0, "a"])),
            Ordering::Equal
        );
    }

    #[test]
    fn objects_compare_field_order_sensitively_like_bson() {
        assert_eq!(
            compare_values(&json!({"a": 1, "b": 2}), &json!({"a": 1.0, "b": 2})),
            Ordering::Equal
        );
        assert_ne!(
            compare_values(&json!({"a": 1, "b": 2}), &json!({"b": 2, "a": 1})),
            Ordering::Equal
        );
        // the value's type bracket decides before the field name
        assert_eq!(
            compare_values(&json!({"z": 1}), &json!({"a": "x"})),
            Ordering::Less
        );
    }

    #[test]
    fn legacy_text_parses_as_python_float_would() {
        assert_eq!(parse_numeric_text("30"), Some(Number::from(30)));
        assert_eq!(parse_numeric_text(" 1e+16 "), Number::from_f64(1e16));
        assert_eq!(
            parse_numeric_text("18446744073709551615"),
            Some(Number::from(u64::MAX))
        );
        assert_eq!(parse_numeric_text(""), None);
        assert_eq!(parse_numeric_text("abc"), None);
        assert_eq!(parse_numeric_text("nan"), None);
    }
}
