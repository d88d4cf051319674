//! [`Format`]: the file formats of import and export (JSON, JSON Lines,
//! CSV), named by a file's extension or by the name a user types.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, Result};

/// A file format for import and export.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// A JSON array of objects (or objects one after another, on import).
    Json,
    /// One JSON object a line.
    JsonLines,
    /// Comma-separated values with a header row; lossy (see the module docs).
    Csv,
}

impl Format {
    /// Every format, in the order a menu shows them.
    pub const ALL: [Format; 3] = [Format::Json, Format::JsonLines, Format::Csv];

    /// The format a file's extension names (case-insensitive), if any:
    /// `.json`, `.jsonl` or `.ndjson`, `.csv`.
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        match extension.as_str() {
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// Parses a format name as a user types it (`--format jsonl`):
    /// `json`, `jsonl` or `ndjson`, `csv`, in any case.
    pub fn parse(name: &str) -> Result<Format> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "jsonl" | "ndjson" => Ok(Format::JsonLines),
            "csv" => Ok(Format::Csv),
            _ => Err(Error::UnknownName {
                what: "format".to_owned(),
                name: name.to_owned(),
                expected: "json, jsonl (or ndjson), csv".to_owned(),
            }),
        }
    }

    /// The short name [`Format::parse`] reads back.
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
        }
    }

    /// Whether a round trip through this format can change documents
    /// (types, null versus missing); the app marks such exports.
    pub fn is_lossy(self) -> bool {
        self == Format::Csv
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(name: &str) -> Result<Format> {
        Format::parse(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_the_extension_in_any_case() {
        let cases = [
            ("a.json", Some(Format::Json)),
            ("dir/a.JSON", Some(Format::Json)),
            ("a.jsonl", Some(Format::JsonLines)),
            ("a.ndjson", Some(Format::JsonLines)),
            ("a.Csv", Some(Format::Csv)),
            ("a.fdb", None),
            ("a", None),
        ];
        for (path, expected) in cases {
            assert_eq!(Format::from_path(Path::new(path)), expected, "{path}");
        }
    }

    #[test]
    fn format_names_parse_back_and_unknown_names_are_errors() {
        for format in Format::ALL {
            assert_eq!(Format::parse(format.name()).ok(), Some(format));
        }
        assert_eq!(Format::parse("NDJSON").ok(), Some(Format::JsonLines));
        let error = Format::parse("xml").err().map(|e| e.to_string());
        assert_eq!(
            error.as_deref(),
            Some("unknown format \"xml\": expected one of json, jsonl (or ndjson), csv")
        );
    }

    #[test]
    fn only_csv_is_lossy() {
        assert!(Format::Csv.is_lossy());
        assert!(!Format::Json.is_lossy());
        assert!(!Format::JsonLines.is_lossy());
    }
}
