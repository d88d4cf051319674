//! The database's collections as a set: create, drop, clear, and the
//! whole-file rewrites (compaction, a change of compression).

use super::fluxdb::FluxDB;
use super::indexes::normalize_fields;
use super::reports::{CollectionInfo, CompactReport};
use crate::engine::collection::{NativeCollection, checkpoint_path};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::{Compression, StorageFormat, durable, index_definitions};
use crate::error::{Error, Result};

impl FluxDB {
    pub fn collection_info(&self, name: &str) -> Result<CollectionInfo> {
        let c = self.store(name)?;
        Ok(CollectionInfo {
            name: name.to_owned(),
            format: c.format(),
            records: c.len(),
            file_bytes: c.file_bytes(),
            dead_bytes: c.dead_bytes(),
            indexed_fields: c.indexed_fields().to_vec(),
            compression: c.compression(),
            compression_ratio: c.compression_ratio(),
            dictionary_bytes: c.dictionary_len(),
            persisted: c.persisted(),
            log_position: c.log_position(),
        })
    }

    /// Creates a collection; `Ok(false)` if it already exists (as the seed).
    pub fn create_collection<S: AsRef<str>>(
        &mut self,
        name: &str,
        indexed_fields: &[S],
    ) -> Result<bool> {
        self.create_collection_with(name, indexed_fields, Compression::None)
    }

    /// Creates a collection whose file is stored with `compression`;
    /// `Ok(false)` (and nothing changed) if it already exists. A folder of
    /// Python 0.1 collections only takes `Compression::None`.
    pub fn create_collection_with<S: AsRef<str>>(
        &mut self,
        name: &str,
        indexed_fields: &[S],
        compression: Compression,
    ) -> Result<bool> {
        self.write_span(|db| {
        let compression = compression.validated()?;
        validate_collection_name(name)?;
        db.ensure_writable("creating a collection")?;
        if db.collections.contains_key(name) {
            return Ok(false);
        }
        // Inside a transaction too: creating an empty collection is not part
        // of its atomicity (a rollback keeps the empty collection).
        let fields = normalize_fields(indexed_fields)?;
        db.refuse_unopened_file(name)?;
        if db.new_collections_are_legacy() {
            if !compression.is_none() {
                return Err(Error::UnsupportedFormat {
                    collection: name.to_owned(),
                    format: StorageFormat::Legacy.to_string(),
                    reason: "this folder holds Python 0.1 collections, which are never compressed; migrate it first (fluxdb migrate)".to_owned(),
                });
            }
            return db.create_legacy_collection(name, fields);
        }
        let path = db.collection_path(name);
        let collection =
            NativeCollection::create(&path, db.codec.clone(), fields.clone(), compression)?;
        index_definitions::write(&db.dir, name, &fields)?;
        db.adopt(name.to_owned(), Box::new(collection));
        Ok(true)
            })
    }

    /// Deletes a collection and its index definitions; `Ok(false)` if there
    /// was none.
    pub fn drop_collection(&mut self, name: &str) -> Result<bool> {
        self.write_span(|db| {
            db.ensure_writable("dropping a collection")?;
            db.refuse_in_transaction("dropping a collection")?;
            db.remove_collection(name)
        })
    }

    /// [`drop_collection`](Self::drop_collection) without its checks: also
    /// what undoes a collection that a failed call created.
    pub(super) fn remove_collection(&mut self, name: &str) -> Result<bool> {
        match self.collections.get(name) {
            None => return Ok(false),
            Some(c) if c.format() == StorageFormat::Legacy => {
                return self.drop_legacy_collection(name);
            }
            Some(_) => {}
        }
        let path = self.collection_path(name);
        let removed = durable::durable_remove(&path);
        if !path.exists() {
            // Gone even if the folder's fsync failed: so is the collection,
            // or later writes would go to the removed file.
            self.collections.remove(name);
        }
        removed?;
        index_definitions::remove(&self.dir, name)?;
        durable::durable_remove(&checkpoint_path(&path))?;
        Ok(true)
    }

    /// Removes every record and keeps the index definitions; `Ok(false)` if
    /// there is no such collection. Atomic: a crash leaves all or nothing.
    pub fn clear_collection(&mut self, name: &str) -> Result<bool> {
        self.write_span(|db| {
            db.ensure_writable("clearing a collection")?;
            db.refuse_in_transaction("clearing a collection")?;
            let (fields, compression) = match db.collections.get(name) {
                None => return Ok(false),
                Some(c) if c.format() == StorageFormat::Legacy => {
                    let fields = c.indexed_fields().to_vec();
                    return db.create_legacy_collection(name, fields);
                }
                Some(c) => (c.indexed_fields().to_vec(), c.compression()),
            };
            let path = db.collection_path(name);
            let collection =
                NativeCollection::create_reporting(&path, db.codec.clone(), fields, compression)
                    .map_err(|failure| db.replaced_under(name, failure))?;
            db.adopt(name.to_owned(), Box::new(collection));
            Ok(true)
        })
    }

    pub(super) fn ensure_collection(&mut self, name: &str) -> Result<()> {
        if !self.collections.contains_key(name) {
            self.create_collection::<&str>(name, &[])?;
        }
        Ok(())
    }

    /// Rewrites a collection's file with only its live records.
    pub fn compact(&mut self, collection: &str) -> Result<CompactReport> {
        self.write_span(|db| {
            db.refuse_in_transaction("compaction")?;
            let c = db.store_mut(collection)?;
            let bytes_before = c.file_bytes();
            c.compact()?;
            Ok(CompactReport {
                bytes_before,
                bytes_after: c.file_bytes(),
            })
        })
    }

    /// Rewrites a collection's file stored with `compression` (none, LZ4 or
    /// zstd at a level), keeping every record, its order and the indexes:
    /// the same atomic rewrite as [`compact`](Self::compact), which it also
    /// does. Python 0.1 collections only take `Compression::None`.
    pub fn set_compression(
        &mut self,
        collection: &str,
        compression: Compression,
    ) -> Result<CompactReport> {
        self.write_span(|db| {
            let compression = compression.validated()?;
            db.refuse_in_transaction("changing the compression")?;
            let c = db.store_mut(collection)?;
            let bytes_before = c.file_bytes();
            c.set_compression(compression).map_err(|e| match e {
                Error::UnsupportedFormat { format, reason, .. } => Error::UnsupportedFormat {
                    collection: collection.to_owned(),
                    format,
                    reason,
                },
                other => other,
            })?;
            Ok(CompactReport {
                bytes_before,
                bytes_after: c.file_bytes(),
            })
        })
    }
}

impl FluxDB {
    /// Creating a collection replaces its file: refused when one is there
    /// that this handle has not opened (another program wrote it, or a
    /// restore stopped halfway), as that would destroy its records.
    pub(super) fn refuse_unopened_file(&self, name: &str) -> Result<()> {
        let path = self.collection_path(name);
        if path.exists() {
            return Err(Error::io(
                &path,
                std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!(
                        "collection {name:?} has a file this handle did not open (written since it was opened, or by an unfinished restore); open the database again"
                    ),
                ),
            ));
        }
        Ok(())
    }
}
