//! Python FluxDB 0.1 collections in a database folder: loading them, the
//! operations that replace their files, and migration to the native format.

use std::collections::HashSet;
use std::path::Path;

use super::fluxdb::FluxDB;
use super::reports::RecoveryNote;
use crate::engine::collection::CollectionStore;
use crate::engine::legacy::collection::LegacyCollection;
use crate::engine::legacy::migrate::{MigrateOptions, MigrateReport, Migration};
use crate::engine::storage::{StorageFormat, durable, native};
use crate::error::{Error, IoContext, Result};

/// Python FluxDB 0.1 collections (`engine::legacy`): loading them, the
/// operations that replace their files, and migration to the native format.
impl FluxDB {
    pub(super) fn load_legacy_collection(
        &mut self,
        name: &str,
        committed: &HashSet<u64>,
    ) -> Result<Box<dyn CollectionStore>> {
        let opened = LegacyCollection::open(&self.dir, name, committed, self.read_only)?;
        for dropped in opened.dropped {
            self.recovery.push(RecoveryNote {
                collection: name.to_owned(),
                dropped,
            });
        }
        Ok(Box::new(opened.collection))
    }

    /// New collections take the folder's format: Python's when every
    /// collection in it is, so the Python library keeps seeing all of them.
    pub(super) fn new_collections_are_legacy(&self) -> bool {
        !self.collections.is_empty()
            && self
                .collections
                .values()
                .all(|c| c.format() == StorageFormat::Legacy)
    }

    /// Creates (or, for clear, replaces) a legacy collection with no records.
    pub(super) fn create_legacy_collection(
        &mut self,
        name: &str,
        fields: Vec<String>,
    ) -> Result<bool> {
        let collection = LegacyCollection::create(&self.dir, name, fields)?;
        self.adopt(name.to_owned(), Box::new(collection));
        Ok(true)
    }

    pub(super) fn drop_legacy_collection(&mut self, name: &str) -> Result<bool> {
        let removed = LegacyCollection::remove_files(&self.dir, name);
        if !self.collection_path(name).exists() {
            self.collections.remove(name);
        }
        removed?;
        Ok(true)
    }

    /// Whether an import goes the legacy way: into a legacy collection (which
    /// takes files in its own format, as Python's export writes them), or
    /// into a new collection from a legacy file.
    pub(super) fn imports_as_legacy(&self, collection: &str, file: &Path) -> Result<bool> {
        let mut first = [0u8; 8];
        let handle = std::fs::File::open(file).at(file)?;
        let n = durable::read_at_most(&handle, &mut first, 0).at(file)?;
        let file_is_native = native::has_native_magic(&first[..n]);
        match self.collections.get(collection) {
            Some(c) if c.format() == StorageFormat::Legacy => {
                if file_is_native {
                    return Err(Error::UnsupportedFormat {
                        collection: collection.to_owned(),
                        format: StorageFormat::Legacy.to_string(),
                        reason: format!(
                            "{} is a native FluxDB backup; this collection imports files in its own format (migrate the folder to import native backups)",
                            file.display()
                        ),
                    });
                }
                Ok(true)
            }
            Some(_) => Ok(false),
            None => Ok(!file_is_native),
        }
    }

    pub(super) fn import_legacy_collection(
        &mut self,
        collection: &str,
        file: &Path,
    ) -> Result<bool> {
        self.flush()?;
        let fields = match self.collections.get(collection) {
            Some(c) => c.indexed_fields().to_vec(),
            None => Vec::new(),
        };
        let imported = LegacyCollection::import(&self.dir, collection, fields, file)?;
        self.adopt(collection.to_owned(), Box::new(imported));
        Ok(true)
    }

    /// Turns every Python FluxDB 0.1 collection of the folder into a native
    /// one, keeping ids, record order and field order (values stay text
    /// unless `options.infer_types`). Each new file is complete and checked
    /// against the old one before it replaces it; the old files are copied
    /// to a backup folder first (named in the report). Native collections
    /// are left as they are.
    pub fn migrate(&mut self, options: MigrateOptions) -> Result<MigrateReport> {
        self.write_span(|db| {
            db.ensure_writable("migrating")?;
            db.refuse_in_transaction("migrating")?;
            db.flush()?;
            let legacy: Vec<String> = db
                .collections
                .iter()
                .filter(|(_, c)| c.format() == StorageFormat::Legacy)
                .map(|(name, _)| name.clone())
                .collect();
            let mut migration = Migration::new(&db.dir, db.codec.clone(), options);
            for name in legacy {
                let Some(source) = db.collections.get(&name) else {
                    continue;
                };
                let native = migration.collection(&name, source.as_ref())?;
                db.adopt(name, Box::new(native));
            }
            Ok(migration.finish())
        })
    }
}
