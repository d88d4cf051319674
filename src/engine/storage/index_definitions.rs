//! `<dir>/indexes/<collection>.json`: the readable copy of a native
//! collection's index definitions, beside the collection files. The
//! collection file's Meta entry is the truth; this copy follows it.

use std::path::Path;

use crate::engine::storage::durable;
use crate::error::{Error, IoContext, Result};

/// `<dir>/indexes/<collection>.json`: a readable copy of the index
/// definitions. The collection file's Meta entry is the truth (it changes
/// atomically with the data); this copy is rewritten whenever they change.
pub(crate) fn write(dir: &Path, collection: &str, fields: &[String]) -> Result<()> {
    let index_dir = dir.join("indexes");
    if !index_dir.exists() {
        std::fs::create_dir_all(&index_dir).at(&index_dir)?;
    }
    durable::atomic_write(
        &index_dir.join(format!("{collection}.json")),
        &definitions_json(fields)?,
    )
}

/// Rewrites `indexes/<collection>.json` if it is missing or says something
/// else than the collection file (a crash between the two, a hand edit).
pub(crate) fn repair(dir: &Path, collection: &str, fields: &[String]) -> Result<()> {
    let path = dir.join("indexes").join(format!("{collection}.json"));
    match std::fs::read(&path) {
        Ok(current) if current == definitions_json(fields)? => Ok(()),
        _ => write(dir, collection, fields),
    }
}

fn definitions_json(fields: &[String]) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(&serde_json::json!({ "indexed_fields": fields }))
        .map_err(|e| Error::RecordEncoding(e.to_string()))
}

pub(crate) fn remove(dir: &Path, collection: &str) -> Result<()> {
    durable::durable_remove(&dir.join("indexes").join(format!("{collection}.json")))?;
    Ok(())
}
