//! Turning Python FluxDB 0.1 collections into native ones (`migrate`).
//!
//! Ids, record order and field order are kept; values stay the stored text
//! unless types are inferred ([`infer_type`]). For each collection the native
//! file is built under a temporary name, reopened and compared record by
//! record with the source; only then are the old files copied to the backup
//! folder and the native file renamed into place. A crash at any point
//! leaves either the old collection or the new one, and the backup is whole
//! before the old file is replaced.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::files;
use super::infer::infer_type;
use crate::engine::Document;
use crate::engine::collection::{CollectionStore, NativeCollection};
use crate::engine::storage::{Compression, RecordCodec, durable, index_definitions};
use crate::error::{Error, IoContext, Result};

/// How to migrate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MigrateOptions {
    /// Turn text back into the value Python stored when that is unambiguous
    /// (`"30"` to 30, `"True"` to true, `"None"` to null, list and dict reprs
    /// to JSON); otherwise every value stays a string.
    pub infer_types: bool,
}

/// One collection that was migrated.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MigratedCollection {
    pub name: String,
    pub records: usize,
    pub indexed_fields: Vec<String>,
    /// Copies of the old files (the `.fdb` and, if any, the index file).
    pub backup_files: Vec<PathBuf>,
}

/// What `migrate` did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct MigrateReport {
    /// Where the old files were copied (`None` when nothing was migrated).
    pub backup_dir: Option<PathBuf>,
    pub collections: Vec<MigratedCollection>,
}

/// The name of the folder, inside the database folder, that keeps the old files.
pub const BACKUP_DIR_NAME: &str = "python-0.1-backup";

/// One `migrate` call: where backups go, created on first use.
pub(crate) struct Migration {
    dir: PathBuf,
    codec: Arc<dyn RecordCodec>,
    options: MigrateOptions,
    report: MigrateReport,
}

impl Migration {
    pub fn new(dir: &Path, codec: Arc<dyn RecordCodec>, options: MigrateOptions) -> Migration {
        Migration {
            dir: dir.to_path_buf(),
            codec,
            options,
            report: MigrateReport::default(),
        }
    }

    pub fn finish(self) -> MigrateReport {
        self.report
    }

    /// Migrates one collection and returns it opened in the native format.
    /// On error the old files are in place and unchanged.
    pub fn collection(
        &mut self,
        name: &str,
        source: &dyn CollectionStore,
    ) -> Result<NativeCollection> {
        let fields = source.indexed_fields().to_vec();
        check_index_fields(name, &fields)?;
        let documents = self.documents(name, source)?;
        let final_path = files::collection_file(&self.dir, name);
        let temp = self.dir.join(format!("{name}.fdb.migrating"));
        let built = build_native(&temp, self.codec.clone(), &fields, &documents)
            .and_then(|()| verify(&temp, self.codec.clone(), &documents));
        if let Err(e) = built {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        let backup_files = self.back_up(name)?;
        durable::durable_rename(&temp, &final_path)?;
        // The native collection keeps its index definitions in its own file
        // (and a readable copy beside it); the pickle is in the backup.
        durable::durable_remove(&files::index_file(&self.dir, name))?;
        index_definitions::write(&self.dir, name, &fields)?;
        let opened =
            NativeCollection::open(&final_path, self.codec.clone(), &HashSet::new(), false)?;
        self.report.collections.push(MigratedCollection {
            name: name.to_owned(),
            records: documents.len(),
            indexed_fields: fields,
            backup_files,
        });
        Ok(opened.collection)
    }

    /// The source's documents as the native collection will hold them.
    fn documents(
        &self,
        name: &str,
        source: &dyn CollectionStore,
    ) -> Result<Vec<(String, Document)>> {
        let mut seen = HashSet::new();
        let mut documents = Vec::with_capacity(source.len());
        for doc in source.scan() {
            let doc = doc?;
            let id = match doc.get("_id") {
                Some(Value::String(id)) => id.clone(),
                _ => {
                    return Err(Error::InvalidDocument(format!(
                        "collection {name:?}: a record has no text _id"
                    )));
                }
            };
            if !seen.insert(id.clone()) {
                return Err(Error::DuplicateId {
                    collection: name.to_owned(),
                    id,
                });
            }
            let doc = if self.options.infer_types {
                infer_document(doc)
            } else {
                doc
            };
            documents.push((id, doc));
        }
        Ok(documents)
    }

    /// Copies the old `.fdb` and index file into the backup folder, durably.
    fn back_up(&mut self, name: &str) -> Result<Vec<PathBuf>> {
        let backup_dir = match &self.report.backup_dir {
            Some(dir) => dir.clone(),
            None => {
                let dir = free_backup_dir(&self.dir);
                std::fs::create_dir_all(dir.join(files::INDEX_DIR)).at(&dir)?;
                durable::sync_dir(&self.dir)?;
                self.report.backup_dir = Some(dir.clone());
                dir
            }
        };
        let mut copied = Vec::new();
        let sources = [
            (
                files::collection_file(&self.dir, name),
                backup_dir.join(format!("{name}.fdb")),
            ),
            (
                files::index_file(&self.dir, name),
                backup_dir
                    .join(files::INDEX_DIR)
                    .join(format!("{name}.idx")),
            ),
        ];
        for (from, to) in sources {
            let bytes = match std::fs::read(&from) {
                Ok(bytes) => bytes,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&from, e)),
            };
            durable::atomic_write(&to, &bytes)?;
            copied.push(to);
        }
        Ok(copied)
    }
}

/// `python-0.1-backup`, or `python-0.1-backup-2`, ... if taken.
fn free_backup_dir(dir: &Path) -> PathBuf {
    let mut n = 1;
    loop {
        let candidate = if n == 1 {
            dir.join(BACKUP_DIR_NAME)
        } else {
            dir.join(format!("{BACKUP_DIR_NAME}-{n}"))
        };
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

/// Native indexes take dot paths; a Python index field that is not one
/// cannot be carried over, which must be said before anything changes.
fn check_index_fields(name: &str, fields: &[String]) -> Result<()> {
    for field in fields {
        if field.is_empty() || field.starts_with('$') || field.split('.').any(str::is_empty) {
            return Err(Error::InvalidQuery(format!(
                "collection {name:?}: the Python index on {field:?} cannot become a native index (not a field path); nothing was migrated for it"
            )));
        }
    }
    Ok(())
}

/// Every value but `_id` through [`infer_type`].
fn infer_document(doc: Document) -> Document {
    doc.into_iter()
        .map(|(key, value)| match value {
            Value::String(text) if key != "_id" => {
                let typed = infer_type(&text);
                (key, typed)
            }
            other => (key, other),
        })
        .collect()
}

/// Writes the native collection file at `path` (fsynced).
fn build_native(
    path: &Path,
    codec: Arc<dyn RecordCodec>,
    fields: &[String],
    documents: &[(String, Document)],
) -> Result<()> {
    let _ = std::fs::remove_file(path);
    let mut native = NativeCollection::create(path, codec, fields.to_vec(), Compression::None)?;
    for (id, doc) in documents {
        if !CollectionStore::insert(&mut native, id, doc)? {
            return Err(Error::DuplicateId {
                collection: path.display().to_string(),
                id: id.clone(),
            });
        }
    }
    CollectionStore::flush(&mut native, 0)
}

/// Reopens the native file and checks it holds exactly `documents`: same
/// ids, order, field order and values.
fn verify(
    path: &Path,
    codec: Arc<dyn RecordCodec>,
    documents: &[(String, Document)],
) -> Result<()> {
    let opened = NativeCollection::open(path, codec, &HashSet::new(), true)?;
    let mismatch = |at: usize, reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        offset: 0,
        reason: format!(
            "migration check failed at record {at}: {reason}; the old files are untouched"
        ),
    };
    if let Some(dropped) = opened.dropped {
        return Err(mismatch(
            0,
            format!("the new file is incomplete: {}", dropped.reason),
        ));
    }
    let mut count = 0;
    for (at, found) in CollectionStore::scan(&opened.collection).enumerate() {
        let found = found?;
        let Some((_, expected)) = documents.get(at) else {
            return Err(mismatch(at, "more records than the source".to_owned()));
        };
        if !same_in_order(&found, expected) {
            return Err(mismatch(at, format!("{found:?} differs from {expected:?}")));
        }
        count += 1;
    }
    if count != documents.len() {
        return Err(mismatch(
            count,
            format!("{} records instead of {}", count, documents.len()),
        ));
    }
    Ok(())
}

/// Equal fields in equal order (a map's `==` ignores order).
fn same_in_order(a: &Document, b: &Document) -> bool {
    a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inference_keeps_id_text_and_types_the_rest() {
        let doc = match json!({"_id": "30", "age": "30", "ok": "True", "none": "None", "tags": "['a', 1]", "zip": "007"})
        {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let typed = infer_document(doc);
        assert_eq!(
            Value::Object(typed),
            json!({"_id": "30", "age": 30, "ok": true, "none": null, "tags": ["a", 1], "zip": "007"})
        );
    }

    #[test]
    fn same_in_order_sees_field_order() {
        let a = match json!({"a": 1, "b": 2}) {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let b = match json!({"b": 2, "a": 1}) {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        assert!(same_in_order(&a, &a));
        assert!(!same_in_order(&a, &b));
    }

    #[test]
    fn index_fields_that_are_not_paths_are_refused() {
        assert!(check_index_fields("c", &["age".into(), "a.b".into()]).is_ok());
        for bad in ["", "$x", "a..b", ".a"] {
            assert!(
                check_index_fields("c", &[bad.to_string()]).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn backup_folders_are_never_reused() {
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(
            free_backup_dir(tmp.path()),
            tmp.path().join(BACKUP_DIR_NAME)
        );
        std::fs::create_dir(tmp.path().join(BACKUP_DIR_NAME)).unwrap();
        assert_eq!(
            free_backup_dir(tmp.path()),
            tmp.path().join(format!("{BACKUP_DIR_NAME}-2"))
        );
    }
}
