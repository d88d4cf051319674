//! Guessing the typed value behind a stored text, for `migrate --infer-types`.
//!
//! The Python library stored `str(value)`, so a text is turned back into a
//! value only when that is unambiguous: it parses as a Python literal (int,
//! float, True/False/None, or a list/dict of those and strings) AND Python's
//! `str()` of the parsed value gives the very same text. `"30"` becomes 30,
//! but `"007"`, `"1e5"` or `"inf"` stay strings (Python never writes them for
//! a number), as does anything JSON cannot hold (tuples, int dict keys).

use serde_json::{Map, Number, Value};

use super::pyrepr::py_str;

/// Deepest list/dict nesting the parser follows; deeper texts stay strings.
const MAX_DEPTH: usize = 100;

/// The JSON value whose Python `str()` is `text`, or `text` as a string.
pub fn infer_type(text: &str) -> Value {
    let candidate = match text {
        "None" => Some(Value::Null),
        "True" => Some(Value::Bool(true)),
        "False" => Some(Value::Bool(false)),
        _ => match text.as_bytes().first() {
            Some(b'[' | b'{') => LiteralParser::parse_whole(text),
            Some(b'-' | b'0'..=b'9') => parse_number(text),
            _ => None,
        },
    };
    match candidate {
        Some(value) if py_str(&value) == text => value,
        _ => Value::String(text.to_string()),
    }
}

/// An int (when it fits 64 bits) or a finite float; the caller checks that
/// Python would have written it exactly this way.
fn parse_number(token: &str) -> Option<Value> {
    let digits = token.strip_prefix('-').unwrap_or(token);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(int) = token.parse::<i64>() {
            return Some(Value::from(int));
        }
        return token.parse::<u64>().ok().map(Value::from);
    }
    if !token
        .bytes()
        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    let float: f64 = token.parse().ok()?;
    Number::from_f64(float).map(Value::Number)
}

/// A recursive-descent parser for the exact text `repr()` gives for lists,
/// dicts, strings, numbers, True, False and None.
struct LiteralParser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> LiteralParser<'a> {
    fn parse_whole(text: &'a str) -> Option<Value> {
        let mut parser = LiteralParser { text, pos: 0 };
        let value = parser.value(0)?;
        (parser.pos == text.len()).then_some(value)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn eat(&mut self, token: &str) -> bool {
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.rest().chars().next()? {
            '[' => self.list(depth),
            '{' => self.dict(depth),
            '\'' | '"' => self.string().map(Value::String),
            _ if self.eat("None") => Some(Value::Null),
            _ if self.eat("True") => Some(Value::Bool(true)),
            _ if self.eat("False") => Some(Value::Bool(false)),
            _ => {
                let rest = self.rest();
                let len = rest
                    .find(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
                    .unwrap_or(rest.len());
                self.pos += len;
                parse_number(&rest[..len])
            }
        }
    }

    fn list(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        if self.eat("]") {
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(depth + 1)?);
            if self.eat("]") {
                return Some(Value::Array(items));
            }
            if !self.eat(", ") {
                return None;
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Option<Value> {
        self.pos += 1;
        let mut map = Map::new();
        if self.eat("}") {
            return Some(Value::Object(map));
        }
        loop {
            if !self.rest().starts_with(['\'', '"']) {
                return None; // a key JSON cannot hold
            }
            let key = self.string()?;
            if !self.eat(": ") {
                return None;
            }
            let value = self.value(depth + 1)?;
            if map.insert(key, value).is_some() {
                return None; // repr never repeats a key
            }
            if self.eat("}") {
                return Some(Value::Object(map));
            }
            if !self.eat(", ") {
                return None;
            }
        }
    }

    /// A quoted string with the escapes `repr()` writes.
    fn string(&mut self) -> Option<String> {
        let mut chars = self.rest().char_indices();
        let (_, quote) = chars.next()?;
        let mut text = String::new();
        while let Some((i, ch)) = chars.next() {
            match ch {
                c if c == quote => {
                    self.pos += i + c.len_utf8();
                    return Some(text);
                }
                '\\' => {
                    let (_, escape) = chars.next()?;
                    let digits = match escape {
                        '\\' | '\'' | '"' => {
                            text.push(escape);
                            continue;
                        }
                        'n' => {
                            text.push('\n');
                            continue;
                        }
                        't' => {
                            text.push('\t');
                            continue;
                        }
                        'r' => {
                            text.push('\r');
                            continue;
                        }
                        'x' => 2,
                        'u' => 4,
                        'U' => 8,
                        _ => return None,
                    };
                    let mut code = 0u32;
                    for _ in 0..digits {
                        code = code * 16 + chars.next()?.1.to_digit(16)?;
                    }
                    text.push(char::from_u32(code)?);
                }
                '\n' | '\r' => return None,
                c => text.push(c),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::legacy::test_fixtures::expected_json;
    use serde_json::json;

    #[test]
    fn infer_type_turns_unambiguous_python_text_into_json() {
        let cases: Vec<(&str, Value)> = vec![
            ("30", json!(30)),
            ("-210", json!(-210)),
            ("0", json!(0)),
            ("18446744073709551615", json!(18446744073709551615u64)),
            ("1.5", json!(1.5)),
            ("82.13", json!(82.13)),
            ("1e+16", json!(1e16)),
            ("1e-05", json!(1e-5)),
            ("100.0", json!(100.0)),
            ("-0.0", json!(-0.0)),
            ("540.6858855321425", json!(540.6858855321425)),
            ("True", json!(true)),
            ("False", json!(false)),
            ("None", json!(null)),
            ("[]", json!([])),
            ("{}", json!({})),
            ("[1, 'a']", json!([1, "a"])),
            ("{'k': 1}", json!({"k": 1})),
            (
                "{'city': 'Oslo', 'zip': '0042'}",
                json!({"city": "Oslo", "zip": "0042"}),
            ),
            (
                "[True, None, 1.0, 1e+16, [{}]]",
                json!([true, null, 1.0, 1e16, [{}]]),
            ),
            ("[\"K'ai\", 'Li \"Lee\"']", json!(["K'ai", "Li \"Lee\""])),
            (
                "['it\\'s \"both\"', 'a\\\\b']",
                json!(["it's \"both\"", "a\\b"]),
            ),
            ("['line1\\nline2\\t\\r']", json!(["line1\nline2\t\r"])),
            (
                "['\\x00\\xa0\\u2028\\U000e0001']",
                json!(["\u{0}\u{a0}\u{2028}\u{e0001}"]),
            ),
            ("{'é': ['ünïcödé ✓ 🚀']}", json!({"é": ["ünïcödé ✓ 🚀"]})),
        ];
        for (text, expected) in cases {
            assert_eq!(infer_type(text), expected, "infer_type({text:?})");
        }
    }

    #[test]
    fn infer_type_keeps_ambiguous_or_foreign_text_as_a_string() {
        for text in [
            "",
            "007",
            "-0",
            "+5",
            "1e5",
            "1.50",
            ".5",
            "inf",
            "-inf",
            "nan",
            "true",
            "null",
            "none",
            "99999999999999999999",
            "active",
            "Li \"Lee\"",
            "line1\nline2",
            "ünïcödé ✓ 🚀",
            "[1,2]",
            "[1, 2",
            "[1, 2] ",
            "(1, 2)",
            "{1: 'a'}",
            "{'a': 1, 'a': 2}",
            "{'a': {1, 2}}",
            "[inf]",
            "['a\\q']",
            "['\\ud800']",
            "['x\"]",
            "[\"plain\"]",
            "['\u{a0}']",
        ] {
            assert_eq!(
                infer_type(text),
                Value::String(text.to_string()),
                "infer_type({text:?})"
            );
        }
    }

    #[test]
    fn deep_nesting_stays_a_string_without_overflowing_the_stack() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(infer_type(&deep), Value::String(deep.clone()));
        let ok = format!("{}{}", "[".repeat(50), "]".repeat(50));
        assert!(infer_type(&ok).is_array());
    }

    #[test]
    fn infer_type_recovers_every_random_list_and_dict_python_wrote() {
        let mut containers = 0;
        for (value, text) in crate::engine::legacy::pyrepr::tests::python_str_cases() {
            let inferred = infer_type(&text);
            assert_eq!(py_str(&inferred), text);
            if value.is_array() || value.is_object() {
                assert_eq!(inferred, value, "infer_type({text:?})");
                containers += 1;
            }
        }
        assert!(containers > 100, "only {containers} containers");
    }

    #[test]
    fn every_fixture_value_round_trips_through_infer_type_and_py_str() {
        let expected = expected_json("basic");
        let mut typed = 0;
        for records in expected["records"].as_object().expect("records").values() {
            for record in records.as_array().expect("record list") {
                for value in record.as_object().expect("record").values() {
                    let text = value.as_str().expect("stored text");
                    let inferred = infer_type(text);
                    assert_eq!(py_str(&inferred), text);
                    typed += usize::from(!inferred.is_string());
                }
            }
        }
        assert!(typed > 100, "only {typed} fixture values were typed");
    }
}
