//! Helpers shared by the interchange tests.

use serde_json::Value;

use super::{DocumentReader, Format, ReadOptions};
use crate::engine::Document;

/// A document from a `json!` object literal.
pub(super) fn doc(value: Value) -> Document {
    match value {
        Value::Object(map) => map,
        other => panic!("test document must be an object, got {other}"),
    }
}

/// Everything a reader yields: the documents with their lines, and each
/// error's message.
pub(super) struct ReadAll {
    pub(super) documents: Vec<(u64, Document)>,
    pub(super) errors: Vec<String>,
}

impl ReadAll {
    pub(super) fn lines(&self) -> Vec<u64> {
        self.documents.iter().map(|(line, _)| *line).collect()
    }

    pub(super) fn docs(&self) -> Vec<Document> {
        self.documents.iter().map(|(_, doc)| doc.clone()).collect()
    }
}

pub(super) fn read_all(input: &[u8], format: Format, options: ReadOptions) -> ReadAll {
    let mut reader = match DocumentReader::new(input, format, options) {
        Ok(reader) => reader,
        Err(error) => {
            return ReadAll {
                documents: Vec::new(),
                errors: vec![error.to_string()],
            };
        }
    };
    let mut result = ReadAll {
        documents: Vec::new(),
        errors: Vec::new(),
    };
    for next in &mut reader {
        match next {
            Ok(record) => result.documents.push(record),
            Err(error) => result.errors.push(error.to_string()),
        }
    }
    result
}

/// Options that skip bad records and name the input `path`.
pub(super) fn skipping(path: &str) -> ReadOptions {
    ReadOptions {
        path_for_errors: path.into(),
        skip_bad: true,
        ..ReadOptions::default()
    }
}

/// Options that stop at the first bad record and name the input `path`.
pub(super) fn strict(path: &str) -> ReadOptions {
    ReadOptions {
        path_for_errors: path.into(),
        ..ReadOptions::default()
    }
}

/// Field names in order: `Document`'s `==` ignores order, these tests don't.
pub(super) fn key_orders(docs: &[Document]) -> Vec<Vec<String>> {
    docs.iter()
        .map(|doc| doc.keys().cloned().collect())
        .collect()
}
