//! The sample database: built from the JSON Lines files in `assets/sample`,
//! embedded in the binary so an installed app has them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::worker::Database;
use crate::{Error, Result};

/// The folder the sample database lives in, under the app's data folder.
pub fn sample_folder(data_dir: &Path) -> PathBuf {
    data_dir.join("sample-db")
}

/// `assets/sample/collections.json`: which collections, from which file, with
/// which indexes.
const MANIFEST: &str = include_str!("../../assets/sample/collections.json");

/// Each data file the manifest may name, by file name.
const FILES: &[(&str, &str)] = &[
    (
        "customers.jsonl",
        include_str!("../../assets/sample/customers.jsonl"),
    ),
    (
        "orders.jsonl",
        include_str!("../../assets/sample/orders.jsonl"),
    ),
    (
        "products.jsonl",
        include_str!("../../assets/sample/products.jsonl"),
    ),
];

#[derive(Deserialize)]
struct Manifest {
    collections: Vec<SampleCollection>,
}

#[derive(Deserialize)]
struct SampleCollection {
    name: String,
    file: String,
    #[serde(default)]
    indexes: Vec<String>,
}

fn asset_path(file: &str) -> PathBuf {
    PathBuf::from("assets/sample").join(file)
}

fn manifest() -> Result<Manifest> {
    serde_json::from_str(MANIFEST).map_err(|e| Error::ImportLine {
        path: asset_path("collections.json"),
        line: e.line() as u64,
        message: e.to_string(),
    })
}

/// The records of one JSON Lines file; a bad line is an error naming it.
fn parse_lines(file: &str, text: &str) -> Result<Vec<Value>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|e| Error::ImportLine {
                path: asset_path(file),
                line: index as u64 + 1,
                message: e.to_string(),
            })
        })
        .collect()
}

/// Creates every sample collection with its indexes and records in `db`.
pub fn build_sample(db: &mut dyn Database) -> Result<()> {
    let files: BTreeMap<&str, &str> = FILES.iter().copied().collect();
    for collection in manifest()?.collections {
        let text = files.get(collection.file.as_str()).ok_or_else(|| {
            Error::InvalidDocument(format!(
                "the sample collection {:?} names {}, which is not built into this binary",
                collection.name, collection.file
            ))
        })?;
        let indexes: Vec<&str> = collection.indexes.iter().map(String::as_str).collect();
        db.create_collection(&collection.name, &indexes)?;
        db.insert_many(&collection.name, parse_lines(&collection.file, text)?)?;
    }
    db.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sample_collection_has_its_file_built_in_and_every_line_parses() {
        let files: BTreeMap<&str, &str> = FILES.iter().copied().collect();
        let manifest = manifest().unwrap_or_else(|e| panic!("{e}"));
        assert!(!manifest.collections.is_empty());
        for collection in &manifest.collections {
            let text = files.get(collection.file.as_str());
            assert!(text.is_some(), "{} is not in FILES", collection.file);
            let records = parse_lines(&collection.file, text.copied().unwrap_or_default());
            assert!(records.is_ok_and(|r| !r.is_empty()), "{}", collection.file);
        }
    }

    #[test]
    fn a_bad_line_is_reported_with_its_file_and_number() {
        let error = parse_lines("x.jsonl", "{}\n\n{oops\n")
            .err()
            .map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.starts_with("assets/sample/x.jsonl: line 3:")),
            "{error:?}"
        );
    }
}
