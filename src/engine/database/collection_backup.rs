//! One-collection backups seen from the database (the seed's
//! `export_collection` and `import_collection`); the backup file itself is
//! `collection/backup.rs`.

use std::collections::HashSet;
use std::path::Path;

use super::fluxdb::FluxDB;
use crate::engine::cancel::CancelToken;
use crate::engine::collection::{NativeCollection, backup, checkpoint_path};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::{durable, index_definitions};
use crate::error::{Error, Result};

impl FluxDB {
    /// Writes a binary backup of one collection and its index definitions
    /// (the seed's `export_collection`); `Ok(false)` if there is no such collection.
    pub fn export_collection(&self, collection: &str, file: impl AsRef<Path>) -> Result<bool> {
        if !self.collections.contains_key(collection) {
            return Ok(false);
        }
        self.check_export_target(file.as_ref())?;
        self.store(collection)?.export(collection, file.as_ref())?;
        Ok(true)
    }

    /// Replaces a collection with a backup made by `export_collection`
    /// (the seed's `import_collection`). The whole file is checked before
    /// anything changes; `Ok(false)` if the file does not exist.
    pub fn import_collection(&mut self, collection: &str, file: impl AsRef<Path>) -> Result<bool> {
        self.import_collection_with(collection, file.as_ref(), None)
    }

    /// [`import_collection`](Self::import_collection) that stops with
    /// [`Error::Cancelled`] soon after `cancel` fires, the collection as it
    /// was (the backup is checked and written whole before one atomic
    /// switch, which is not cancelled once it starts).
    pub fn import_collection_cancellable(
        &mut self,
        collection: &str,
        file: impl AsRef<Path>,
        cancel: &CancelToken,
    ) -> Result<bool> {
        self.import_collection_with(collection, file.as_ref(), Some(cancel))
    }

    pub(super) fn import_collection_with(
        &mut self,
        collection: &str,
        file: &Path,
        cancel: Option<&CancelToken>,
    ) -> Result<bool> {
        self.write_span(|db| {
            validate_collection_name(collection)?;
            db.ensure_writable("importing")?;
            db.refuse_in_transaction("importing a backup")?;
            if !file.exists() {
                return Ok(false);
            }
            if db.imports_as_legacy(collection, file)? {
                return db.import_legacy_collection(collection, file);
            }
            db.flush()?;
            let checked = backup::read_backup(file, db.codec.as_ref(), cancel)?;
            let path = db.collection_path(collection);
            let fields = checked.indexed_fields.clone();
            backup::write_collection_from_backup(&path, db.codec.as_ref(), checked, cancel)
                .map_err(|failure| db.replaced_under(collection, failure))?;
            // The checkpoint of the replaced file (it would only be ignored).
            let _ = durable::durable_remove(&checkpoint_path(&path));
            let opened = NativeCollection::open(&path, db.codec.clone(), &HashSet::new(), false)
                .map_err(|error| {
                    db.replaced_under(
                        collection,
                        durable::ReplaceFailure {
                            error,
                            renamed: true,
                        },
                    )
                })?;
            db.adopt(collection.to_owned(), Box::new(opened.collection));
            // The readable copy last: a collection file is never left behind
            // an open handle to the file it replaced.
            index_definitions::write(&db.dir, collection, &fields)?;
            Ok(true)
        })
    }
}

impl FluxDB {
    /// Refuses an export written into the database folder as one of its
    /// own files: as a `.fdb` it would replace a collection (or become one
    /// that does not open: a backup is not a collection), and over the
    /// transaction log or the lock it would break the folder.
    pub(super) fn check_export_target(&self, target: &Path) -> Result<()> {
        let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let database_file = name.ends_with(".fdb")
            || name == crate::engine::storage::txlog::TXLOG_FILE
            || name == crate::engine::storage::lock::LOCK_FILE;
        if !database_file {
            return Ok(());
        }
        let parent = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let inside = matches!(
            (parent.canonicalize(), self.dir.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        );
        if inside {
            return Err(Error::io(
                target,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "an export cannot be written into the database folder as one of its files (a .fdb there is a collection); choose another folder",
                ),
            ));
        }
        Ok(())
    }
}
