//! Opening a database folder: the writer lock, the committed transactions,
//! an interrupted restore finished, then every collection file opened and
//! recovered. And closing it again.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use super::fluxdb::FluxDB;
use super::options::OpenOptions;
use super::reports::RecoveryNote;
use super::restore::collection_files_after_restore;
use crate::engine::collection::CLOSE_MIN_RECORDS;
use crate::engine::collection::{CollectionStore, NativeCollection};
use crate::engine::memory;
use crate::engine::storage::StorageFormat;
use crate::engine::storage::durable;
use crate::engine::storage::index_definitions;
use crate::engine::storage::lock::{LOCK_PATIENCE, WriterLock};
use crate::engine::storage::native;
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, IoContext, Result};

impl FluxDB {
    /// Opens (creating if missing) the database in `dir` for reading and
    /// writing. Fails with [`Error::Locked`] if another process writes it.
    pub fn open(dir: impl AsRef<Path>) -> Result<FluxDB> {
        FluxDB::open_with(dir, OpenOptions::default())
    }

    /// Opens an existing database without taking the writer lock.
    pub fn open_read_only(dir: impl AsRef<Path>) -> Result<FluxDB> {
        FluxDB::open_with(dir, OpenOptions::default().read_only(true))
    }

    pub fn open_with(dir: impl AsRef<Path>, options: OpenOptions) -> Result<FluxDB> {
        let dir = dir.as_ref().to_path_buf();
        if options.read_only {
            if !dir.is_dir() {
                return Err(Error::io(
                    &dir,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such database folder"),
                ));
            }
        } else if dir.exists() && !dir.is_dir() {
            return Err(Error::io(
                &dir,
                std::io::Error::new(
                    std::io::ErrorKind::NotADirectory,
                    "a database is a folder, and this is a file",
                ),
            ));
        } else if !dir.exists() {
            std::fs::create_dir_all(&dir).at(&dir)?;
        }
        // A shared handle takes the lock too, to recover what a crash left,
        // and lets it go once open.
        let lock = match (options.read_only, options.shared) {
            (true, _) => None,
            (false, false) => Some(WriterLock::acquire(&dir)?),
            (false, true) => Some(WriterLock::acquire_shared(&dir, options.busy_timeout)?),
        };
        let committed = TxLog::read_committed(&dir)?;
        let mut db = FluxDB {
            read_only: options.read_only,
            lock,
            shared: options.shared && !options.read_only,
            busy_timeout: options.busy_timeout,
            unreported: Default::default(),
            codec: options.codec,
            collections: BTreeMap::new(),
            txlog: None,
            // A reader never buffers writes: it need not ask the system
            // how much memory is free (two /proc reads per command).
            flush_size: match (options.flush_size, options.read_only) {
                (Some(size), _) => size,
                (None, true) => 0,
                (None, false) => memory::default_flush_size(),
            },
            transaction: None,
            recovery: Vec::new(),
            checkpoint_records: options.checkpoint_records.unwrap_or(CLOSE_MIN_RECORDS),
            dir,
        };
        for (name, path) in collection_files_after_restore(&db.dir, db.read_only)? {
            let collection = db.load_collection(&name, &path, &committed)?;
            if !db.read_only && collection.format() == StorageFormat::Native {
                index_definitions::repair(&db.dir, &name, collection.indexed_fields())?;
            }
            db.adopt(name, collection);
        }
        db.release_shared_lock();
        Ok(db)
    }

    pub(super) fn load_collection(
        &mut self,
        name: &str,
        path: &Path,
        committed: &HashSet<u64>,
    ) -> Result<Box<dyn CollectionStore>> {
        let mut first = [0u8; 8];
        let file = std::fs::File::open(path).at(path)?;
        let n = durable::read_at_most(&file, &mut first, 0).at(path)?;
        // A native file cut inside its magic is still native (and torn), not Python's.
        let torn_magic = n > 0 && n < 8 && first[..n] == native::FILE_MAGIC[..n];
        if !torn_magic && !native::has_native_magic(&first[..n]) {
            return self.load_legacy_collection(name, committed);
        }
        let opened = NativeCollection::open(path, self.codec.clone(), committed, self.read_only)?;
        if let Some(dropped) = opened.dropped {
            self.recovery.push(RecoveryNote {
                collection: name.to_owned(),
                dropped,
            });
        }
        Ok(Box::new(opened.collection))
    }

    /// Flushes and closes, reporting any error (drop flushes too, silently).
    pub fn close(mut self) -> Result<()> {
        if self.transaction.is_some() {
            self.rollback()?;
        }
        self.flush()
    }
}

impl Drop for FluxDB {
    fn drop(&mut self) {
        if self.transaction.is_some() {
            let _ = self.rollback();
        }
        if self.flush().is_err() || self.read_only {
            return;
        }
        // Closing may write checkpoints: a shared handle does it under the
        // lock, caught up, or (the lock busy) leaves them to another.
        let _ = self.write_span_within(LOCK_PATIENCE, |db| {
            for c in db.collections.values_mut() {
                c.close();
            }
            Ok(())
        });
    }
}
