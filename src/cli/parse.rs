//! The arguments commands share: JSON given on the command line or stdin,
//! the query of `find` and `explain`, the format of a file.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use super::failure::{Failure, Outcome};
use crate::engine::{Document, Find};
use crate::interchange::Format;

pub(super) fn build_find(
    filter: Option<&str>,
    sort: Option<&str>,
    skip: usize,
    limit: Option<usize>,
) -> Result<Find, Failure> {
    let mut find = Find::new(parse_json_or_empty("FILTER", filter)?).skip(skip);
    if let Some(sort) = sort {
        find = find.sort(parse_json("--sort", sort)?);
    }
    if let Some(limit) = limit {
        find = find.limit(limit);
    }
    Ok(find)
}

/// The format of an export or import: `None` for fdb (the binary backup
/// of one collection), else an interchange format. From `--format`, else
/// the file's extension; a file without one is fdb.
pub(super) fn transfer_format(
    format: Option<&str>,
    file: &Path,
) -> Result<Option<Format>, Failure> {
    let name = match format {
        Some(f) => f.trim().to_ascii_lowercase(),
        None => file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| "fdb".to_owned()),
    };
    if name == "fdb" {
        return Ok(None);
    }
    Format::parse(&name).map(Some).map_err(|_| {
        Failure::Message(format!(
            "{}: format {name:?} is not supported; use fdb, json, jsonl or csv",
            file.display()
        ))
    })
}

pub(super) fn parse_json(what: &str, text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Message(format!("invalid JSON in {what}: {e}")))
}

pub(super) fn parse_json_or_empty(what: &str, text: Option<&str>) -> Result<Value, Failure> {
    match text {
        Some(t) => parse_json(what, t),
        None => Ok(Value::Object(Default::default())),
    }
}

/// Stdin holds a JSON array or JSON Lines (any sequence of JSON values).
pub(super) fn read_documents_from_stdin() -> Result<Vec<Value>, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::Message(format!("cannot read stdin: {e}")))?;
    if text.trim_start().starts_with('[') {
        return match parse_json("stdin", &text)? {
            Value::Array(items) => Ok(items),
            _ => Err(Failure::Message("stdin: expected a JSON array".to_owned())),
        };
    }
    let mut documents = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line)
            .map_err(|e| Failure::Message(format!("stdin: line {}: invalid JSON: {e}", i + 1)))?;
        documents.push(value);
    }
    Ok(documents)
}

pub(super) fn print_document(out: &mut impl Write, doc: &Document) -> Outcome {
    serde_json::to_writer(&mut *out, doc).map_err(|e| Failure::Message(e.to_string()))?;
    out.write_all(b"\n")?;
    Ok(())
}
