//! Python's `str()` and `repr()` of the values a JSON document holds.
//!
//! The Python library stored `str(value)` of whatever Python value it was
//! given, so writing a legacy record means reproducing CPython's text exactly:
//! `True`/`None`, shortest round-trip floats with Python's exponent rules, and
//! `repr()` quoting for strings inside lists and dicts.

use serde_json::{Number, Value};

use super::unicode_printable::NON_PRINTABLE;

/// The Unicode version whose printable characters [`py_repr_str`] follows
/// (Python 3.13's database; older Pythons escape a few newer characters).
pub const PY_UNICODE_VERSION: &str = super::unicode_printable::UNICODE_VERSION;

/// Python's `str()` of the value Python's `json.loads` would give for `value`.
///
/// A top-level string is itself; strings inside lists and dicts are quoted the
/// way `repr()` quotes them.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => {
            let mut out = String::new();
            write_repr(other, &mut out);
            out
        }
    }
}

/// Python's `repr()` of the value Python's `json.loads` would give for `value`.
pub fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(value, &mut out);
    out
}

fn write_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(number) => out.push_str(&py_number_str(number)),
        Value::String(text) => out.push_str(&py_repr_str(text)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&py_repr_str(key));
                out.push_str(": ");
                write_repr(item, out);
            }
            out.push('}');
        }
    }
}

/// `str()` of a JSON number: integers as Python ints, the rest as Python floats
/// (`json.loads` turns `1.0` and `1e16` into floats, as serde_json does).
fn py_number_str(number: &Number) -> String {
    if let Some(int) = number.as_i64() {
        int.to_string()
    } else if let Some(int) = number.as_u64() {
        int.to_string()
    } else {
        // serde_json numbers that are not integers are finite f64s.
        py_float_repr(number.as_f64().unwrap_or(f64::NAN))
    }
}

/// Python's `repr(float)`: the shortest digits that round-trip, written in
/// positional form when the decimal exponent is in -4..16 (with `.0` for whole
/// numbers), else as `d.ddde+XX` with at least two exponent digits.
pub fn py_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // Rust's `{:e}` gives the same shortest round-trip digits as Python's
    // repr (both pick the closest of the shortest candidates).
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let sign = if negative { "-" } else { "" };
    if digits.bytes().all(|d| d == b'0') {
        return format!("{sign}0.0");
    }
    // Python's `decpt`: the value is 0.DIGITS * 10^decpt.
    let decpt = exponent + 1;
    let digit_count = digits.len() as i32;
    if !(-4 < decpt && decpt <= 16) {
        let (first, rest) = digits.split_at(1);
        let fraction = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        return format!(
            "{sign}{first}{fraction}e{exp_sign}{:02}",
            exponent.unsigned_abs()
        );
    }
    if decpt <= 0 {
        let zeros = "0".repeat(decpt.unsigned_abs() as usize);
        format!("{sign}0.{zeros}{digits}")
    } else if decpt >= digit_count {
        let zeros = "0".repeat((decpt - digit_count) as usize);
        format!("{sign}{digits}{zeros}.0")
    } else {
        let (whole, fraction) = digits.split_at(decpt as usize);
        format!("{sign}{whole}.{fraction}")
    }
}

/// Python's `repr(str)`: single quotes unless the text holds `'` and no `"`;
/// backslash, the quote, `\t` `\n` `\r` escaped; other non-printable characters
/// as `\xhh`, `\uhhhh` or `\Uhhhhhhhh`; printable non-ASCII kept as is.
pub fn py_repr_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if (c as u32) < 0x7f => out.push(c),
            c if py_is_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable()` for one character.
pub fn py_is_printable(ch: char) -> bool {
    let code = ch as u32;
    if code < 0x80 {
        return (0x20..0x7f).contains(&code);
    }
    let after = NON_PRINTABLE.partition_point(|&(start, _)| start <= code);
    match after.checked_sub(1).and_then(|i| NON_PRINTABLE.get(i)) {
        Some(&(_, end)) => code > end,
        None => true,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn py_str_matches_python_for_a_table_of_values() {
        // Every expected text below was printed by CPython 3.13 (`str(v)` of
        // `json.loads` of the JSON shown).
        let cases: Vec<(Value, &str)> = vec![
            (json!(null), "None"),
            (json!(true), "True"),
            (json!(false), "False"),
            (json!(30), "30"),
            (json!(-210), "-210"),
            (json!(18446744073709551615u64), "18446744073709551615"),
            (json!(-9223372036854775808i64), "-9223372036854775808"),
            (json!(1e16), "1e+16"),
            (json!(1e-5), "1e-05"),
            (json!(0.0001), "0.0001"),
            (json!(0.1), "0.1"),
            (json!(100.0), "100.0"),
            (json!(-0.0), "-0.0"),
            (json!(1.5), "1.5"),
            (json!(540.6858855321425), "540.6858855321425"),
            (json!(1.5e300), "1.5e+300"),
            (json!(1234567890123456.0), "1234567890123456.0"),
            (json!("plain text"), "plain text"),
            (json!("line1\nline2"), "line1\nline2"),
            (json!(""), ""),
            (json!([]), "[]"),
            (json!({}), "{}"),
            (json!([1, "a"]), "[1, 'a']"),
            (json!({"k": 1}), "{'k': 1}"),
            (
                json!({"city": "Oslo", "zip": "0042"}),
                "{'city': 'Oslo', 'zip': '0042'}",
            ),
            (
                json!([true, null, 1.0, 1e16, -0.0]),
                "[True, None, 1.0, 1e+16, -0.0]",
            ),
            (json!(["K'ai"]), "[\"K'ai\"]"),
            (json!(["Li \"Lee\""]), "['Li \"Lee\"']"),
            (json!(["it's \"both\""]), "['it\\'s \"both\"']"),
            (json!(["back\\slash"]), "['back\\\\slash']"),
            (
                json!(["line1\nline2\ttab\rcr"]),
                "['line1\\nline2\\ttab\\rcr']",
            ),
            (json!(["\u{0}\u{1f}\u{7f}"]), "['\\x00\\x1f\\x7f']"),
            (json!(["ünïcödé ✓ 🚀"]), "['ünïcödé ✓ 🚀']"),
            (json!(["\u{a0}\u{ad}\u{85}"]), "['\\xa0\\xad\\x85']"),
            (
                json!(["\u{2028}\u{200b}\u{feff}"]),
                "['\\u2028\\u200b\\ufeff']",
            ),
            (json!(["\u{e0001}\u{10ffff}"]), "['\\U000e0001\\U0010ffff']"),
            (
                json!({"nested": {"list": [1, [2, "x"]], "é": "ñ"}, "n": null}),
                "{'nested': {'list': [1, [2, 'x']], 'é': 'ñ'}, 'n': None}",
            ),
            (json!({"it's": "a"}), "{\"it's\": 'a'}"),
        ];
        for (value, expected) in cases {
            assert_eq!(py_str(&value), expected, "py_str({value})");
        }
    }

    #[test]
    fn py_float_repr_matches_python_repr_for_600_reference_floats() {
        // testdata/float_reprs.txt was written by CPython (gen_float_reprs.py).
        let table = include_str!("testdata/float_reprs.txt");
        let mut checked = 0;
        for line in table.lines() {
            let (bits, expected) = line
                .split_once(' ')
                .expect("reference line has two columns");
            let bits = u64::from_str_radix(bits, 16).expect("reference bits are hex");
            assert_eq!(
                py_float_repr(f64::from_bits(bits)),
                expected,
                "bits {bits:016x}"
            );
            checked += 1;
        }
        assert_eq!(checked, 600);
    }

    /// `[value, str(value)]` pairs written by CPython 3.13 (gen_py_str_cases.py).
    pub(crate) fn python_str_cases() -> Vec<(Value, String)> {
        include_str!("testdata/py_str_cases.jsonl")
            .lines()
            .map(|line| {
                let pair: (Value, String) = serde_json::from_str(line).expect("reference line");
                pair
            })
            .collect()
    }

    #[test]
    fn py_str_matches_python_for_400_random_nested_values() {
        let cases = python_str_cases();
        assert_eq!(cases.len(), 400);
        for (value, expected) in cases {
            assert_eq!(py_str(&value), expected, "py_str({value})");
        }
    }

    #[test]
    fn py_float_repr_spells_non_finite_values_like_python() {
        assert_eq!(py_float_repr(f64::INFINITY), "inf");
        assert_eq!(py_float_repr(f64::NEG_INFINITY), "-inf");
        assert_eq!(py_float_repr(f64::NAN), "nan");
    }

    #[test]
    fn printable_follows_python_categories() {
        for (ch, printable) in [
            (' ', true),
            ('a', true),
            ('\u{7f}', false),
            ('\u{a0}', false),
            ('é', true),
            ('\u{378}', false),
            ('✓', true),
            ('🚀', true),
            ('\u{3000}', false),
            ('\u{e000}', false),
            ('\u{10ffff}', false),
        ] {
            assert_eq!(py_is_printable(ch), printable, "{ch:?}");
        }
    }
}
