//! Renaming a collection: its file and the readable copy of its index
//! definitions change names; the records, their order and the indexes stay.
//!
//! The commit point is the durable rename of `<from>.fdb` to `<to>.fdb`
//! (the index definitions' truth is the collection file's Meta entry, see
//! `storage::index_definitions`). `indexes/<from>.json` follows it; a crash
//! between the two leaves a stale `indexes/<from>.json` beside a whole
//! collection `to`, whose own copy `open` rewrites
//! (`index_definitions::repair`). No state loses or duplicates records.

use super::fluxdb::FluxDB;
use crate::engine::StorageFormat;
use crate::engine::collection::{NativeCollection, checkpoint_path};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::txlog::TxLog;
use crate::engine::storage::{durable, index_definitions};
use crate::error::{Error, Result};

impl FluxDB {
    /// Renames collection `from` to `to`. Refused: an invalid `to`, a `to`
    /// that exists (as a collection or as a file in the folder), a missing
    /// `from`, a read-only database, an open transaction, and Python 0.1
    /// collections (their data and pickled index files cannot be renamed in
    /// one atomic step, and the Python library keeps no record of names).
    pub fn rename_collection(&mut self, from: &str, to: &str) -> Result<()> {
        self.write_span(|db| {
        validate_collection_name(to)?;
        db.ensure_writable("renaming a collection")?;
        db.refuse_in_transaction("renaming a collection")?;
        let format = match db.collections.get(from) {
            None => return Err(Error::CollectionNotFound(from.to_owned())),
            Some(c) => c.format(),
        };
        if from == to {
            return Ok(());
        }
        if db.collections.contains_key(to) {
            return Err(Error::CollectionExists(to.to_owned()));
        }
        db.refuse_unopened_file(to)?;
        if format == StorageFormat::Legacy {
            return Err(Error::UnsupportedFormat {
                collection: from.to_owned(),
                format: format.to_string(),
                reason: "a Python 0.1 collection's data and index files cannot be renamed in one step; migrate the folder first (fluxdb migrate), or export it and import it under the new name".to_owned(),
            });
        }
        // Buffered writes reach the file under its old name first.
        db.flush()?;
        let old_path = db.collection_path(from);
        let new_path = db.collection_path(to);
        let Some(old) = db.collections.remove(from) else {
            return Err(Error::CollectionNotFound(from.to_owned()));
        };
        let fields = old.indexed_fields().to_vec();
        if let Err(error) = durable::durable_rename(&old_path, &new_path) {
            if old_path.exists() {
                // The name did not change: the open handle is still right.
                db.adopt(from.to_owned(), old);
            }
            return Err(error);
        }
        // The checkpoint describes the file's bytes, not its name: it goes
        // along (and if it cannot, the renamed file is read whole once).
        let (old_checkpoint, new_checkpoint) =
            (checkpoint_path(&old_path), checkpoint_path(&new_path));
        if old_checkpoint.exists()
            && durable::durable_rename(&old_checkpoint, &new_checkpoint).is_err()
        {
            let _ = durable::durable_remove(&old_checkpoint);
        }
        // The handle stays open on the renamed file until the new one is
        // open, so a failed reopen can hand the collection back.
        let committed = TxLog::read_committed(&db.dir)?;
        match NativeCollection::open(&new_path, db.codec.clone(), &committed, false) {
            Ok(opened) => {
                drop(old);
                db.adopt(to.to_owned(), Box::new(opened.collection));
            }
            Err(error) => {
                if durable::durable_rename(&new_path, &old_path).is_ok() {
                    db.adopt(from.to_owned(), old);
                }
                return Err(error);
            }
        }
        index_definitions::write(&db.dir, to, &fields)?;
        index_definitions::remove(&db.dir, from)?;
        Ok(())
            })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::Find;
    use std::collections::HashSet;

    /// Names of the files under `indexes/`, for tests.
    fn index_files(dir: &std::path::Path) -> HashSet<String> {
        std::fs::read_dir(dir.join("indexes"))
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn people(dir: &std::path::Path) -> FluxDB {
        let mut db = FluxDB::open(dir).expect("open");
        db.create_collection("people", &["age"]).expect("create");
        db.insert_many(
            "people",
            vec![
                json!({"_id": "a", "age": 30, "name": "Ann"}),
                json!({"_id": "b", "age": 40, "name": "Bob"}),
            ],
        )
        .expect("insert");
        db
    }

    fn ids(db: &FluxDB, collection: &str) -> Vec<String> {
        db.find(collection, &Find::new(json!({})))
            .expect("find")
            .iter()
            .filter_map(|d| d.get("_id").and_then(|v| v.as_str()).map(str::to_owned))
            .collect()
    }

    #[test]
    fn a_renamed_collection_keeps_its_records_and_indexes_after_reopening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = people(dir.path());
        // Unflushed writes go with it.
        db.insert("people", json!({"_id": "c", "age": 50}))
            .expect("insert");
        db.rename_collection("people", "staff").expect("rename");
        assert_eq!(db.list_collections(), vec!["staff".to_owned()]);
        assert_eq!(ids(&db, "staff"), vec!["a", "b", "c"]);
        db.insert("staff", json!({"_id": "d", "age": 60}))
            .expect("write after rename");
        drop(db);

        let db = FluxDB::open(dir.path()).expect("reopen");
        assert_eq!(db.list_collections(), vec!["staff".to_owned()]);
        assert_eq!(ids(&db, "staff"), vec!["a", "b", "c", "d"]);
        assert_eq!(db.list_indexes("staff").expect("indexes"), vec!["age"]);
        assert!(!dir.path().join("people.fdb").exists());
        assert_eq!(
            index_files(dir.path()),
            HashSet::from(["staff.json".to_owned()])
        );
    }

    #[test]
    fn renaming_onto_an_existing_collection_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = people(dir.path());
        db.create_collection::<&str>("staff", &[]).expect("create");
        let error = db.rename_collection("people", "staff").err();
        assert!(
            matches!(&error, Some(Error::CollectionExists(name)) if name == "staff"),
            "{error:?}"
        );
        assert_eq!(ids(&db, "people"), vec!["a", "b"]);
    }

    #[test]
    fn renaming_onto_a_file_the_handle_did_not_open_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = people(dir.path());
        std::fs::write(dir.path().join("stray.fdb"), b"not ours").expect("write");
        assert!(db.rename_collection("people", "stray").is_err());
        assert_eq!(
            std::fs::read(dir.path().join("stray.fdb")).expect("read"),
            b"not ours"
        );
        assert_eq!(ids(&db, "people"), vec!["a", "b"]);
    }

    #[test]
    fn invalid_or_missing_names_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = people(dir.path());
        for bad in ["", "../x", ".hidden", "a/b", "sp ace"] {
            let error = db.rename_collection("people", bad).err();
            assert!(
                matches!(error, Some(Error::InvalidName { .. })),
                "{bad:?}: {error:?}"
            );
        }
        assert!(matches!(
            db.rename_collection("nobody", "x"),
            Err(Error::CollectionNotFound(_))
        ));
        assert_eq!(ids(&db, "people"), vec!["a", "b"]);
    }

    #[test]
    fn renaming_inside_a_transaction_or_read_only_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = people(dir.path());
        db.begin_transaction().expect("begin");
        assert!(matches!(
            db.rename_collection("people", "staff"),
            Err(Error::Transaction(_))
        ));
        db.rollback().expect("rollback");
        drop(db);
        let mut read_only = FluxDB::open_read_only(dir.path()).expect("open");
        assert!(matches!(
            read_only.rename_collection("people", "staff"),
            Err(Error::ReadOnly { .. })
        ));
    }

    #[test]
    fn a_failed_rename_leaves_the_collection_usable_under_its_name() {
        use crate::engine::storage::durable::fault;
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = people(dir.path());
        db.flush().expect("flush");
        fault::arm(fault::Plan::FailRename(0));
        let result = db.rename_collection("people", "staff");
        fault::disarm();
        assert!(result.is_err());
        assert_eq!(db.list_collections(), vec!["people".to_owned()]);
        db.insert("people", json!({"_id": "z"})).expect("insert");
        assert_eq!(ids(&db, "people"), vec!["a", "b", "z"]);
    }

    #[test]
    fn a_python_collection_is_refused_with_the_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/legacy-v0.1/basic/users.fdb");
        std::fs::copy(fixture, dir.path().join("legacy.fdb")).expect("copy the Python fixture");
        let mut db = FluxDB::open(dir.path()).expect("open");
        let info = db.collection_info("legacy").expect("info");
        assert_eq!(info.format, StorageFormat::Legacy);
        let error = db.rename_collection("legacy", "old").err();
        assert!(
            matches!(&error, Some(Error::UnsupportedFormat { reason, .. }) if reason.contains("migrate")),
            "{error:?}"
        );
        assert!(dir.path().join("legacy.fdb").exists());
    }
}
