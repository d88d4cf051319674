//! How Studio writes numbers, byte sizes, durations and short JSON for people. One
//! small file that the state, the panels, the dialogs and the worker's job
//! messages all use, so they write a number the same way.

use std::time::Duration;

use serde_json::Value;

/// 12345 as "12,345".
pub fn format_count(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// 1.2 MB, 340 B.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = "";
    for u in UNITS {
        value /= 1000.0;
        unit = u;
        if value < 1000.0 {
            break;
        }
    }
    format!("{value:.1} {unit}")
}

/// 0.42 ms, 12.3 ms, 1.25 s.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 1.0 {
        format!("{ms:.2} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", ms / 1000.0)
    }
}

/// `read` of `total` as a share for a progress bar (0 while the total is
/// not known yet).
pub fn read_share(read: usize, total: usize) -> f32 {
    if total == 0 {
        return 0.0;
    }
    (read as f64 / total as f64).min(1.0) as f32
}

/// JSON on one line with a space after each `:` and `,`, as a person
/// types a filter: `{"age": {"$type": "string"}}`.
pub fn one_line_json(value: &Value) -> String {
    let mut out = String::new();
    write_one_line(value, &mut out);
    out
}

fn write_one_line(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (at, (key, inner)) in map.iter().enumerate() {
                if at > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push_str(": ");
                write_one_line(inner, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (at, inner) in items.iter().enumerate() {
                if at > 0 {
                    out.push_str(", ");
                }
                write_one_line(inner, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        for (n, text) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(format_count(n), text);
        }
    }

    #[test]
    fn byte_sizes_read_like_people_write_them() {
        for (bytes, text) in [
            (0, "0 B"),
            (999, "999 B"),
            (1500, "1.5 KB"),
            (2_000_000, "2.0 MB"),
        ] {
            assert_eq!(format_bytes(bytes), text);
        }
    }

    #[test]
    fn one_line_json_reads_as_typed() {
        let value = serde_json::json!({"a b": {"$in": [1, "x\"y", null]}, "c": {}});
        assert_eq!(
            one_line_json(&value),
            r#"{"a b": {"$in": [1, "x\"y", null]}, "c": {}}"#
        );
        let back: Value = serde_json::from_str(&one_line_json(&value)).unwrap();
        assert_eq!(back, value);
    }
}
