//! Order-preserving index keys: `encode_key(a) < encode_key(b)` bytewise
//! exactly when `compare_values(a, b)` is `Less`, and equal bytes exactly for
//! equal values, so one `BTreeMap<Vec<u8>, _>` per indexed field answers
//! equality, `$in` and ranges in MongoDB's order.
//!
//! Layout (one tag byte per value, then its body):
//! - null `10`; booleans `60 00` / `60 01`.
//! - numbers `20` then a class byte: `00` NaN, `01` negative, `02` zero,
//!   `03` positive. A non-zero number is written as its exact binary
//!   magnitude `1.f × 2^e`: `e + 1100` as u16 big-endian, then the 64 bits
//!   of `f` left-aligned. Every i64, u64 and f64 has one such form, so 30 and
//!   30.0 encode identically and big integers stay exact. Negative numbers
//!   store both parts inverted, so larger magnitudes sort lower.
//! - strings `30`, the UTF-8 bytes with `00` escaped as `00 FF`, then `00 00`
//!   (so a prefix sorts first and the end is unambiguous).
//! - arrays `50`, each element encoded, then `00` (below every tag).
//! - objects `40`, per field: the value's tag, the escaped name, the value's
//!   body; then `00`. This is BSON's field order: type, name, value.

use serde_json::{Map, Value};

use crate::engine::Document;
use crate::engine::query::FieldPath;

const END: u8 = 0x00;
const TAG_NULL: u8 = 0x10;
const TAG_NUMBER: u8 = 0x20;
const TAG_STRING: u8 = 0x30;
const TAG_OBJECT: u8 = 0x40;
const TAG_ARRAY: u8 = 0x50;
const TAG_BOOL: u8 = 0x60;

const NUMBER_NAN: u8 = 0x00;
const NUMBER_NEGATIVE: u8 = 0x01;
const NUMBER_ZERO: u8 = 0x02;
const NUMBER_POSITIVE: u8 = 0x03;

/// Added to the binary exponent (-1074 for the least subnormal, 1024 for
/// infinity) so it fits an unsigned u16 in order.
const EXPONENT_BIAS: i32 = 1100;

/// The order-preserving byte key of a value.
pub fn encode_key(v: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(16);
    encode_into(v, &mut out);
    out
}

/// Keys a document contributes to an index on `path`: every value the path
/// reaches (through arrays of objects too), each element of an array found
/// there plus the array itself, and the null key where the path is missing.
/// Sorted and without duplicates.
pub fn index_keys(doc: &Document, path: &str) -> Vec<Vec<u8>> {
    if let Some(value) = single_key(doc, path) {
        return vec![encode_key(value)];
    }
    let mut keys = Vec::new();
    if let Ok(path) = FieldPath::parse(path) {
        path.any(doc, &mut |found| {
            match found {
                None => keys.push(encode_key(&Value::Null)),
                Some(Value::Array(items)) => {
                    keys.push(encode_array(items));
                    keys.extend(items.iter().map(encode_key));
                }
                Some(value) => keys.push(encode_key(value)),
            }
            false
        });
    }
    if keys.is_empty() {
        // A path that reaches nothing (e.g. "a.b" over an array of scalars)
        // still files the document under null, so an index scan for null
        // returns a superset of what a collection scan matches.
        keys.push(encode_key(&Value::Null));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The one value `doc` is indexed under on `path` when that takes no
/// path walk (most indexed values): a top-level field holding a scalar, or
/// missing (null).
pub(super) fn single_key<'d>(doc: &'d Document, path: &str) -> Option<&'d Value> {
    static NULL: Value = Value::Null;
    if path.contains('.') {
        return None;
    }
    match doc.get(path) {
        None => Some(&NULL),
        Some(Value::Array(_)) => None,
        Some(value) => Some(value),
    }
}

/// [`encode_key`] appending to `out`.
pub(super) fn encode_key_into(v: &Value, out: &mut Vec<u8>) {
    encode_into(v, out);
}

fn encode_array(items: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + items.len() * 8);
    out.push(TAG_ARRAY);
    encode_array_body(items, &mut out);
    out
}

fn tag_of(v: &Value) -> u8 {
    match v {
        Value::Null => TAG_NULL,
        Value::Bool(_) => TAG_BOOL,
        Value::Number(_) => TAG_NUMBER,
        Value::String(_) => TAG_STRING,
        Value::Array(_) => TAG_ARRAY,
        Value::Object(_) => TAG_OBJECT,
    }
}

fn encode_into(v: &Value, out: &mut Vec<u8>) {
    out.push(tag_of(v));
    encode_body(v, out);
}

fn encode_body(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => {}
        Value::Bool(b) => out.push(u8::from(*b)),
        Value::Number(n) => encode_number(n, out),
        Value::String(s) => encode_string(s, out),
        Value::Array(items) => encode_array_body(items, out),
        Value::Object(fields) => encode_object_body(fields, out),
    }
}

fn encode_array_body(items: &[Value], out: &mut Vec<u8>) {
    for item in items {
        encode_into(item, out);
    }
    out.push(END);
}

fn encode_object_body(fields: &Map<String, Value>, out: &mut Vec<u8>) {
    for (name, value) in fields {
        out.push(tag_of(value));
        encode_string(name, out);
        encode_body(value, out);
    }
    out.push(END);
}

fn encode_string(s: &str, out: &mut Vec<u8>) {
    for &byte in s.as_bytes() {
        out.push(byte);
        if byte == 0 {
            out.push(0xFF);
        }
    }
    out.extend_from_slice(&[0, 0]);
}

fn encode_number(n: &serde_json::Number, out: &mut Vec<u8>) {
    let (negative, magnitude) = if let Some(i) = n.as_i64() {
        (i < 0, integer_magnitude(i.unsigned_abs()))
    } else if let Some(u) = n.as_u64() {
        (false, integer_magnitude(u))
    } else {
        let f = n.as_f64().unwrap_or(f64::NAN);
        if f.is_nan() {
            out.push(NUMBER_NAN);
            return;
        }
        (f.is_sign_negative(), float_magnitude(f.abs()))
    };
    let Some((exponent, fraction)) = magnitude else {
        out.push(NUMBER_ZERO);
        return;
    };
    // The exponent lies in -1074..=1024, so the biased value fits a u16.
    let biased = u16::try_from(exponent + EXPONENT_BIAS).unwrap_or(u16::MAX);
    if negative {
        out.push(NUMBER_NEGATIVE);
        out.extend_from_slice(&(!biased).to_be_bytes());
        out.extend_from_slice(&(!fraction).to_be_bytes());
    } else {
        out.push(NUMBER_POSITIVE);
        out.extend_from_slice(&biased.to_be_bytes());
        out.extend_from_slice(&fraction.to_be_bytes());
    }
}

/// `m` as `1.f × 2^e`: `(e, f left-aligned in 64 bits)`; `None` for zero.
fn integer_magnitude(m: u64) -> Option<(i32, u64)> {
    if m == 0 {
        return None;
    }
    let shift = m.leading_zeros();
    // Two shifts: drop the leading one without shifting by 64.
    Some((63 - shift as i32, (m << shift) << 1))
}

/// A positive (or zero) finite or infinite float as `(e, f)`.
fn float_magnitude(f: f64) -> Option<(i32, u64)> {
    if f == 0.0 {
        return None;
    }
    let bits = f.to_bits();
    let exponent_bits = ((bits >> 52) & 0x7ff) as i32;
    let mantissa = bits & ((1u64 << 52) - 1);
    Some(match exponent_bits {
        0 => {
            // Subnormal: mantissa × 2^-1074, normalised on its highest bit.
            let shift = mantissa.leading_zeros();
            (63 - shift as i32 - 1074, (mantissa << shift) << 1)
        }
        0x7ff => (1024, 0),
        _ => (exponent_bits - 1023, mantissa << 12),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::query::compare_values;
    use proptest::prelude::*;
    use serde_json::{Number, json};
    use std::cmp::Ordering;

    fn float(f: f64) -> Value {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }

    fn assert_agrees(a: &Value, b: &Value) {
        let (ka, kb) = (encode_key(a), encode_key(b));
        assert_eq!(
            ka.cmp(&kb),
            compare_values(a, b),
            "{a} vs {b}: {ka:02x?} vs {kb:02x?}"
        );
    }

    #[test]
    fn equal_numbers_encode_identically() {
        let same = [
            (json!(30), float(30.0)),
            (json!(0), float(-0.0)),
            (json!(-7), float(-7.0)),
            (json!(i64::MIN), float(-9_223_372_036_854_775_808.0)),
            (json!(1u64 << 63), float(9_223_372_036_854_775_808.0)),
            (
                json!(9_007_199_254_740_992_u64),
                float(9_007_199_254_740_992.0),
            ),
            (json!([1, {"a": 2}]), json!([1.0, {"a": 2.0}])),
        ];
        for (a, b) in same {
            assert_eq!(encode_key(&a), encode_key(&b), "{a} vs {b}");
        }
    }

    #[test]
    fn hand_picked_values_order_as_compare_values() {
        let values = [
            json!(null),
            float(-1e308),
            json!(i64::MIN),
            json!(-3),
            float(-2.5),
            float(-f64::MIN_POSITIVE),
            float(-5e-324),
            json!(0),
            float(5e-324),
            float(1e-300),
            float(0.5),
            json!(1),
            json!(30),
            float(30.5),
            json!(9_007_199_254_740_993_u64),
            json!(i64::MAX),
            json!(u64::MAX),
            float(1e300),
            json!(""),
            json!("\u{0}"),
            json!("\u{0}a"),
            json!("a"),
            json!("a\u{0}"),
            json!("ab"),
            json!("b"),
            json!("é"),
            json!({}),
            json!({"a": null}),
            json!({"a": 1}),
            json!({"a": 1, "b": 1}),
            json!({"b": 5}),
            json!({"a": "x"}),
            json!([]),
            json!([null]),
            json!([1]),
            json!([1, 2]),
            json!([2]),
            json!(["a"]),
            json!([[]]),
            json!(false),
            json!(true),
        ];
        for (i, a) in values.iter().enumerate() {
            for (j, b) in values.iter().enumerate() {
                assert_agrees(a, b);
                assert_eq!(compare_values(a, b), i.cmp(&j), "list order {a} vs {b}");
            }
        }
    }

    #[test]
    fn infinity_and_nan_have_their_place() {
        let mut key = vec![TAG_NUMBER];
        encode_number(&Number::from(u64::MAX), &mut key);
        let mut infinite = Vec::new();
        let magnitude = float_magnitude(f64::INFINITY);
        assert_eq!(magnitude, Some((1024, 0)));
        let (e, _) = magnitude.unwrap_or_default();
        infinite.extend_from_slice(&[TAG_NUMBER, NUMBER_POSITIVE]);
        infinite.extend_from_slice(&u16::try_from(e + EXPONENT_BIAS).unwrap_or(0).to_be_bytes());
        assert!(encode_key(&float(f64::MAX)) < infinite);
        assert!(vec![TAG_NUMBER, NUMBER_NAN] < encode_key(&float(-f64::MAX)));
        assert!(encode_key(&json!(null)) < vec![TAG_NUMBER, NUMBER_NAN]);
    }

    #[test]
    fn index_keys_cover_elements_the_array_and_missing() {
        let d =
            json!({"tags": ["x", "y", "x"], "items": [{"p": 1}, {"q": 2}, 5], "n": 3, "s": [1, 2]})
                .as_object()
                .cloned()
                .unwrap_or_default();
        let keys = |path: &str| index_keys(&d, path);
        let mut want = vec![
            encode_key(&json!(["x", "y", "x"])),
            encode_key(&json!("x")),
            encode_key(&json!("y")),
        ];
        want.sort();
        assert_eq!(keys("tags"), want);
        let mut want = vec![encode_key(&json!(1)), encode_key(&json!(null))];
        want.sort();
        assert_eq!(keys("items.p"), want);
        assert_eq!(keys("n"), vec![encode_key(&json!(3))]);
        assert_eq!(keys("missing"), vec![encode_key(&json!(null))]);
        assert_eq!(keys("s.b"), vec![encode_key(&json!(null))]);
        assert_eq!(keys("tags.1"), vec![encode_key(&json!("y"))]);
        assert_eq!(
            index_keys(
                &json!({"e": []}).as_object().cloned().unwrap_or_default(),
                "e"
            ),
            vec![encode_key(&json!([]))]
        );
    }

    fn number_strategy() -> impl Strategy<Value = Value> {
        let edges = prop_oneof![
            Just(json!(0)),
            Just(json!(i64::MIN)),
            Just(json!(i64::MAX)),
            Just(json!(u64::MAX)),
            Just(json!(1u64 << 63)),
            Just(json!(9_007_199_254_740_993_i64)),
            Just(float(-0.0)),
            Just(float(5e-324)),
            Just(float(f64::MAX)),
            Just(float(9_007_199_254_740_992.0)),
            Just(float(9_223_372_036_854_775_808.0)),
            Just(float(18_446_744_073_709_551_616.0)),
        ];
        prop_oneof![
            any::<i64>().prop_map(|i| json!(i)),
            any::<u64>().prop_map(|u| json!(u)),
            (-1000i64..1000).prop_map(|i| json!(i)),
            // Floats that often equal or neighbour small integers.
            (
                -1000i64..1000,
                prop_oneof![Just(0.0), Just(0.5), Just(-0.25)]
            )
                .prop_map(|(i, f)| float(i as f64 + f)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(float),
            any::<i64>().prop_map(|i| float(i as f64)),
            edges,
        ]
    }

    fn value_strategy() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            number_strategy(),
            "[a\u{0}b\u{e9}]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec(("[ab\u{0}]{0,2}", inner), 0..3)
                    .prop_map(|fields| Value::Object(fields.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn key_order_agrees_with_compare_values(a in value_strategy(), b in value_strategy()) {
            let (ka, kb) = (encode_key(&a), encode_key(&b));
            prop_assert_eq!(ka.cmp(&kb), compare_values(&a, &b), "{} vs {}", a, b);
        }

        #[test]
        fn number_key_order_agrees_with_compare_values(a in number_strategy(), b in number_strategy()) {
            let (ka, kb) = (encode_key(&a), encode_key(&b));
            let ord = compare_values(&a, &b);
            prop_assert_eq!(ka.cmp(&kb), ord, "{} vs {}", a, b);
            prop_assert_eq!(ka == kb, ord == Ordering::Equal);
        }
    }
}
