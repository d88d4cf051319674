//! Helpers shared by the integration tests.

use std::path::Path;

use fluxdb::Document;
use serde_json::Value;

pub fn doc(v: Value) -> Document {
    match v {
        Value::Object(m) => m,
        other => panic!("test document must be an object, got {other}"),
    }
}

pub fn names(docs: &[Document]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            d.get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

pub fn fdb_path(dir: &Path, collection: &str) -> std::path::PathBuf {
    dir.join(format!("{collection}.fdb"))
}
