//! CSV column types: inferred from a sample of rows, or chosen by the caller.
//!
//! CSV has no types, so import decides per column. Inference looks at the
//! first rows (see [`ReadOptions::csv_sample_rows`](super::ReadOptions)) and is
//! lenient afterwards: a later cell that does not fit its column's inferred
//! type is kept as a string (or as a float in an integer column), never
//! rejected. A type the caller chose is strict: a cell that does not fit is a
//! bad record, reported with its line.

use std::collections::HashMap;
use std::fmt;

use serde_json::{Number, Value};

use crate::error::{Error, Result};

/// What the cells of one CSV column become on import.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColumnType {
    /// The text as is.
    String,
    /// Whole numbers (`-12`). Inferred only for plain decimal integers, so
    /// `007` (a zip code) stays a string.
    Integer,
    /// Numbers with a fraction or exponent (`1.5`, `2e3`). In an inferred
    /// float column, a cell written as an integer stays an integer, so JSON
    /// numbers survive a CSV round trip; a chosen `Float` makes every cell a float.
    Float,
    /// `true` and `false`.
    Bool,
    /// JSON text: nested objects and arrays as CSV export writes them. Inferred
    /// when every cell is an object or array, or a mix of those with numbers
    /// and booleans.
    Json,
}

impl ColumnType {
    pub const ALL: [ColumnType; 5] = [
        ColumnType::String,
        ColumnType::Integer,
        ColumnType::Float,
        ColumnType::Bool,
        ColumnType::Json,
    ];

    /// The name [`ColumnType::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Integer => "integer",
            ColumnType::Float => "float",
            ColumnType::Bool => "bool",
            ColumnType::Json => "json",
        }
    }

    /// Parses a type name as a user types it (`age:integer`), in any case;
    /// `int`, `number`, `double`, `boolean` and `text` are accepted too.
    pub fn parse(name: &str) -> Result<ColumnType> {
        match name.trim().to_ascii_lowercase().as_str() {
            "string" | "text" => Ok(ColumnType::String),
            "integer" | "int" => Ok(ColumnType::Integer),
            "float" | "double" | "number" => Ok(ColumnType::Float),
            "bool" | "boolean" => Ok(ColumnType::Bool),
            "json" => Ok(ColumnType::Json),
            _ => Err(Error::UnknownName {
                what: "CSV column type".to_owned(),
                name: name.to_owned(),
                expected: "string, integer, float, bool, json".to_owned(),
            }),
        }
    }
}

impl fmt::Display for ColumnType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How CSV import types its columns.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvTypes {
    /// Infer the type of each column not in `overrides`; when false, those
    /// columns are strings.
    pub infer: bool,
    /// Types chosen by the caller, by column name; applied strictly.
    pub overrides: HashMap<String, ColumnType>,
}

impl Default for CsvTypes {
    fn default() -> CsvTypes {
        CsvTypes {
            infer: true,
            overrides: HashMap::new(),
        }
    }
}

/// What an empty CSV cell becomes. Export writes null, a missing field and
/// an empty string all as an empty cell, so import cannot tell them apart.
/// A column the caller typed as [`ColumnType::String`] reads an empty cell as
/// an empty string instead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmptyCells {
    /// The field is present with the value null.
    #[default]
    Null,
    /// The field is left out of the document (like `mongoimport --ignoreBlanks`).
    Omit,
}

/// One column of a CSV file being imported: its header name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvColumn {
    pub name: String,
    pub column_type: ColumnType,
    /// True when inferred (lenient), false when chosen by the caller (strict).
    pub inferred: bool,
}

/// A cell's typed value, still borrowing the cell's text: what the
/// document path turns into a `Value`, and what an import encodes straight
/// into a record without building the document.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CellValue<'a> {
    Null,
    Bool(bool),
    Number(Number),
    Text(&'a str),
    /// JSON text, parsed when the value is needed. `strict`: text that does
    /// not parse is an error (a chosen type); otherwise it stays text.
    Json {
        text: &'a str,
        strict: bool,
    },
}

impl CellValue<'_> {
    /// The value a document holds for this cell; `Err` says why a chosen
    /// JSON cell is not JSON.
    pub(crate) fn into_value(self) -> Result<Value, String> {
        Ok(match self {
            CellValue::Null => Value::Null,
            CellValue::Bool(b) => Value::Bool(b),
            CellValue::Number(n) => Value::Number(n),
            CellValue::Text(text) => Value::String(text.to_owned()),
            CellValue::Json { text, strict: true } => serde_json::from_str(text)
                .map_err(|error| format!("{} is not JSON: {error}", quoted(text)))?,
            CellValue::Json {
                text,
                strict: false,
            } => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned())),
        })
    }
}

impl CsvColumn {
    /// The value of one cell of this column: `Ok(None)` leaves the field out,
    /// `Err` says why the cell does not fit a chosen type.
    pub(super) fn value(&self, cell: &str, empty: EmptyCells) -> Result<Option<Value>, String> {
        self.cell(cell, empty)?
            .map(CellValue::into_value)
            .transpose()
    }

    /// [`value`](Self::value) without building it: the typed cell, borrowing
    /// its text.
    pub(crate) fn cell<'a>(
        &self,
        cell: &'a str,
        empty: EmptyCells,
    ) -> Result<Option<CellValue<'a>>, String> {
        if cell.is_empty() {
            if !self.inferred && self.column_type == ColumnType::String {
                return Ok(Some(CellValue::Text("")));
            }
            return Ok(match empty {
                EmptyCells::Null => Some(CellValue::Null),
                EmptyCells::Omit => None,
            });
        }
        if self.inferred {
            Ok(Some(lenient_value(self.column_type, cell)))
        } else {
            strict_value(self.column_type, cell).map(Some)
        }
    }
}

/// Builds the columns for a header: chosen types first, then inference over
/// the sampled rows (each a list of cells, all of the header's width).
/// `_id` is always a string unless chosen otherwise: FluxDB ids are strings,
/// even when they look like numbers.
pub(super) fn columns_for(
    header: &[String],
    types: &CsvTypes,
    sample: &[Vec<&str>],
) -> Vec<CsvColumn> {
    header
        .iter()
        .enumerate()
        .map(|(index, name)| match types.overrides.get(name) {
            Some(&column_type) => CsvColumn {
                name: name.clone(),
                column_type,
                inferred: false,
            },
            None => {
                let column_type = if !types.infer || name == "_id" {
                    ColumnType::String
                } else {
                    infer_type(sample.iter().filter_map(|row| row.get(index).copied()))
                };
                CsvColumn {
                    name: name.clone(),
                    column_type,
                    inferred: true,
                }
            }
        })
        .collect()
}

/// The type that fits every non-empty cell (String when nothing else does).
pub(super) fn infer_type<'a>(cells: impl Iterator<Item = &'a str>) -> ColumnType {
    let mut seen = Seen::default();
    for cell in cells.filter(|cell| !cell.is_empty()) {
        match classify(cell) {
            CellKind::Integer => seen.integer = true,
            CellKind::Float => seen.float = true,
            CellKind::Bool => seen.bool = true,
            CellKind::Nested => seen.nested = true,
            CellKind::Text => return ColumnType::String,
        }
    }
    let numeric = seen.integer || seen.float;
    if seen.nested || (seen.bool && numeric) {
        ColumnType::Json
    } else if seen.bool {
        ColumnType::Bool
    } else if seen.float {
        ColumnType::Float
    } else if seen.integer {
        ColumnType::Integer
    } else {
        ColumnType::String
    }
}

#[derive(Default)]
struct Seen {
    integer: bool,
    float: bool,
    bool: bool,
    nested: bool,
}

enum CellKind {
    Integer,
    Float,
    Bool,
    Nested,
    Text,
}

fn classify(cell: &str) -> CellKind {
    match json_number(cell) {
        Some(number) if number.is_f64() => CellKind::Float,
        Some(_) => CellKind::Integer,
        None if cell == "true" || cell == "false" => CellKind::Bool,
        None if looks_nested(cell)
            && serde_json::from_str::<serde::de::IgnoredAny>(cell).is_ok() =>
        {
            CellKind::Nested
        }
        None => CellKind::Text,
    }
}

fn looks_nested(cell: &str) -> bool {
    cell.starts_with('{') || cell.starts_with('[')
}

/// A cell in an inferred column: its type when it fits, else the text.
fn lenient_value(column_type: ColumnType, cell: &str) -> CellValue<'_> {
    let typed = match column_type {
        ColumnType::String => None,
        ColumnType::Integer | ColumnType::Float => json_number(cell).map(CellValue::Number),
        ColumnType::Bool => match cell {
            "true" => Some(CellValue::Bool(true)),
            "false" => Some(CellValue::Bool(false)),
            _ => None,
        },
        // Only text that starts like a non-string JSON value: a cell "\"a\""
        // stays the string with its quotes.
        ColumnType::Json
            if cell.starts_with(['{', '[', '-', 't', 'f'])
                || cell.starts_with(|c: char| c.is_ascii_digit()) =>
        {
            Some(CellValue::Json {
                text: cell,
                strict: false,
            })
        }
        ColumnType::Json => None,
    };
    typed.unwrap_or(CellValue::Text(cell))
}

/// A cell in a column whose type the caller chose.
fn strict_value(column_type: ColumnType, cell: &str) -> Result<CellValue<'_>, String> {
    let trimmed = cell.trim();
    match column_type {
        ColumnType::String => Ok(CellValue::Text(cell)),
        ColumnType::Integer => trimmed
            .parse::<i64>()
            .map(Number::from)
            .or_else(|_| trimmed.parse::<u64>().map(Number::from))
            .map(CellValue::Number)
            .map_err(|_| format!("{} is not an integer", quoted(cell))),
        ColumnType::Float => trimmed
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(CellValue::Number)
            .ok_or_else(|| format!("{} is not a finite number", quoted(cell))),
        ColumnType::Bool => match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(CellValue::Bool(true)),
            "false" | "0" => Ok(CellValue::Bool(false)),
            _ => Err(format!("{} is not true or false", quoted(cell))),
        },
        ColumnType::Json => Ok(CellValue::Json {
            text: cell,
            strict: true,
        }),
    }
}

/// A cell for an error message, cut short if long.
fn quoted(cell: &str) -> String {
    const SHOWN: usize = 40;
    match cell.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &cell[..cut]),
        None => format!("{cell:?}"),
    }
}

/// The number a cell holds if it is written exactly as JSON writes numbers
/// (`-12`, `3.5`, `1e-7`; not `+1`, `.5`, `007`, ` 1` or `NaN`), keeping
/// integers as integers. Integers beyond 64 bits and floats that overflow
/// are not numbers here, so they stay text rather than lose digits.
pub(super) fn json_number(cell: &str) -> Option<Number> {
    let bytes = cell.as_bytes();
    let mut at = usize::from(bytes.first() == Some(&b'-'));
    let digits = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let whole = digits(at);
    if whole == 0 || (whole > 1 && bytes[at] == b'0') {
        return None;
    }
    at += whole;
    let mut integral = true;
    if bytes.get(at) == Some(&b'.') {
        let fraction = digits(at + 1);
        if fraction == 0 {
            return None;
        }
        at += 1 + fraction;
        integral = false;
    }
    if matches!(bytes.get(at), Some(b'e' | b'E')) {
        at += 1;
        if matches!(bytes.get(at), Some(b'+' | b'-')) {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 {
            return None;
        }
        at += exponent;
        integral = false;
    }
    if at != bytes.len() {
        return None;
    }
    if integral {
        if let Ok(n) = cell.parse::<i64>() {
            return Some(Number::from(n));
        }
        return cell.parse::<u64>().ok().map(Number::from);
    }
    cell.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_number_accepts_only_json_spelling() {
        let cases: [(&str, Option<&str>); 16] = [
            ("0", Some("0")),
            ("-12", Some("-12")),
            ("18446744073709551615", Some("18446744073709551615")),
            ("3.5", Some("3.5")),
            ("2.0", Some("2.0")),
            ("1e3", Some("1000.0")),
            ("-1.5E-2", Some("-0.015")),
            ("007", None),
            ("+1", None),
            (".5", None),
            ("1.", None),
            (" 1", None),
            ("NaN", None),
            ("1e999", None),
            ("99999999999999999999", None),
            ("12abc", None),
        ];
        for (cell, expected) in cases {
            assert_eq!(
                json_number(cell).map(|n| n.to_string()).as_deref(),
                expected,
                "{cell:?}"
            );
        }
    }

    #[test]
    fn inference_picks_the_type_every_cell_fits() {
        let cases: [(&[&str], ColumnType); 11] = [
            (&["1", "-2", ""], ColumnType::Integer),
            (&["1", "2.5"], ColumnType::Float),
            (&["true", "false", ""], ColumnType::Bool),
            (&[r#"{"a":1}"#, "[1,2]"], ColumnType::Json),
            (&[r#"{"a":1}"#, "3", "true"], ColumnType::Json),
            (&["1", "true"], ColumnType::Json),
            (&["1", "x"], ColumnType::String),
            (&["007", "12"], ColumnType::String),
            (&["[draft] notes", "[1]"], ColumnType::String),
            (&["True"], ColumnType::String),
            (&["", ""], ColumnType::String),
        ];
        for (cells, expected) in cases {
            assert_eq!(infer_type(cells.iter().copied()), expected, "{cells:?}");
        }
    }

    #[test]
    fn id_column_stays_a_string_and_overrides_win() {
        let header = ["_id".to_owned(), "n".to_owned(), "zip".to_owned()];
        let sample = vec![vec!["1", "2", "3"]];
        let types = CsvTypes {
            infer: true,
            overrides: HashMap::from([("zip".to_owned(), ColumnType::String)]),
        };
        let columns = columns_for(&header, &types, &sample);
        let summary: Vec<_> = columns
            .iter()
            .map(|c| (c.name.as_str(), c.column_type, c.inferred))
            .collect();
        assert_eq!(
            summary,
            [
                ("_id", ColumnType::String, true),
                ("n", ColumnType::Integer, true),
                ("zip", ColumnType::String, false)
            ]
        );
        let no_inference = CsvTypes {
            infer: false,
            ..CsvTypes::default()
        };
        assert_eq!(
            columns_for(&header, &no_inference, &sample)[1].column_type,
            ColumnType::String
        );
    }

    fn column(column_type: ColumnType, inferred: bool) -> CsvColumn {
        CsvColumn {
            name: "c".to_owned(),
            column_type,
            inferred,
        }
    }

    #[test]
    fn inferred_columns_keep_cells_that_do_not_fit_as_text() {
        let cases = [
            (ColumnType::Integer, "12", Value::from(12)),
            (ColumnType::Integer, "1.5", Value::from(1.5)),
            (ColumnType::Integer, "n/a", Value::from("n/a")),
            (ColumnType::Float, "3", Value::from(3)),
            (ColumnType::Float, "3.0", Value::from(3.0)),
            (ColumnType::Bool, "yes", Value::from("yes")),
            (
                ColumnType::Json,
                r#"{"a":[1]}"#,
                serde_json::json!({"a": [1]}),
            ),
            (ColumnType::Json, "\"q\"", Value::from("\"q\"")),
            (ColumnType::Json, "{broken", Value::from("{broken")),
            (ColumnType::String, "42", Value::from("42")),
        ];
        for (column_type, cell, expected) in cases {
            let value = column(column_type, true).value(cell, EmptyCells::Null);
            assert_eq!(value, Ok(Some(expected)), "{column_type} {cell:?}");
        }
    }

    #[test]
    fn chosen_types_are_strict() {
        let cases = [
            (ColumnType::Integer, " 007", Ok(Value::from(7))),
            (ColumnType::Integer, "1.5", Err("\"1.5\" is not an integer")),
            (ColumnType::Float, "3", Ok(Value::from(3.0))),
            (
                ColumnType::Float,
                "inf",
                Err("\"inf\" is not a finite number"),
            ),
            (ColumnType::Bool, "TRUE", Ok(Value::from(true))),
            (ColumnType::Bool, "0", Ok(Value::from(false))),
            (
                ColumnType::Bool,
                "maybe",
                Err("\"maybe\" is not true or false"),
            ),
            (ColumnType::String, "12", Ok(Value::from("12"))),
            (ColumnType::Json, "\"q\"", Ok(Value::from("q"))),
        ];
        for (column_type, cell, expected) in cases {
            let value = column(column_type, false).value(cell, EmptyCells::Null);
            assert_eq!(
                value,
                expected.map(Some).map_err(str::to_owned),
                "{column_type} {cell:?}"
            );
        }
        let bad_json = column(ColumnType::Json, false).value("{", EmptyCells::Null);
        assert!(matches!(bad_json, Err(message) if message.starts_with("\"{\" is not JSON")));
    }

    #[test]
    fn empty_cells_are_null_or_omitted_except_in_a_chosen_string_column() {
        assert_eq!(
            column(ColumnType::Integer, true).value("", EmptyCells::Null),
            Ok(Some(Value::Null))
        );
        assert_eq!(
            column(ColumnType::String, true).value("", EmptyCells::Null),
            Ok(Some(Value::Null))
        );
        assert_eq!(
            column(ColumnType::Integer, false).value("", EmptyCells::Omit),
            Ok(None)
        );
        assert_eq!(
            column(ColumnType::String, false).value("", EmptyCells::Null),
            Ok(Some(Value::from("")))
        );
    }

    #[test]
    fn type_names_parse_back_and_unknown_names_are_errors() {
        for column_type in ColumnType::ALL {
            assert_eq!(
                ColumnType::parse(column_type.name()).ok(),
                Some(column_type)
            );
        }
        assert_eq!(ColumnType::parse("Boolean").ok(), Some(ColumnType::Bool));
        assert!(matches!(
            ColumnType::parse("date"),
            Err(Error::UnknownName { .. })
        ));
    }

    #[test]
    fn long_cells_are_cut_in_messages() {
        let message = column(ColumnType::Integer, false)
            .value(&"x".repeat(100), EmptyCells::Null)
            .err();
        assert_eq!(
            message,
            Some(format!("\"{}\"… is not an integer", "x".repeat(40)))
        );
    }
}
