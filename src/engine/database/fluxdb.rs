//! The [`FluxDB`] type: what an open database holds, and the small
//! lookups and refusals every operation starts with. The operations
//! themselves are in the files beside this one (`open.rs`, `catalogue.rs`,
//! `crud.rs`, `queries.rs`, `indexes.rs`, `transactions.rs`, ...).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::reports::RecoveryNote;
use crate::engine::collection::CollectionStore;
use crate::engine::storage::RecordCodec;
use crate::engine::storage::durable;
use crate::engine::storage::lock::WriterLock;
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, Result};

/// The transaction in progress.
pub(super) struct ActiveTransaction {
    pub(super) id: u64,
    pub(super) touched: BTreeSet<String>,
}

/// A FluxDB database: a folder with one `.fdb` file per collection.
///
/// Writes outside a transaction are buffered and reach the disk when the
/// buffer is full, on [`flush`](FluxDB::flush) and on drop; a transaction's
/// writes reach it, all at once and durably, on [`commit`](FluxDB::commit).
/// Reads always see every write made through this handle.
pub struct FluxDB {
    pub(super) dir: PathBuf,
    pub(super) read_only: bool,
    /// The writer lock: held while open (exclusive mode), or only within
    /// a write span (shared mode, `shared.rs`).
    pub(super) lock: Option<WriterLock>,
    /// Shared mode: other processes write the folder too.
    pub(super) shared: bool,
    /// How long a shared-mode write waits for the lock.
    pub(super) busy_timeout: std::time::Duration,
    /// What catching up before writes applied, for the next refresh's report.
    pub(super) unreported: super::refreshed::Refreshed,
    pub(super) codec: Arc<dyn RecordCodec>,
    pub(super) collections: BTreeMap<String, Box<dyn CollectionStore>>,
    pub(super) txlog: Option<TxLog>,
    pub(super) flush_size: usize,
    pub(super) transaction: Option<ActiveTransaction>,
    pub(super) recovery: Vec<RecoveryNote>,
    /// Records in memory that make a collection write a checkpoint (see
    /// [`OpenOptions::checkpoint_records`]).
    pub(super) checkpoint_records: usize,
}

impl std::fmt::Debug for FluxDB {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FluxDB")
            .field("dir", &self.dir)
            .field("read_only", &self.read_only)
            .field("collections", &self.collections.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl FluxDB {
    /// Takes a collection into the database, with its checkpoint policy.
    pub(super) fn adopt(&mut self, name: String, mut store: Box<dyn CollectionStore>) {
        store.set_checkpoint_records(self.checkpoint_records);
        store.set_shared(self.shared);
        self.collections.insert(name, store);
    }

    /// The database folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Torn tails dropped while opening (a crash interrupted a write).
    pub fn recovery_report(&self) -> &[RecoveryNote] {
        &self.recovery
    }

    /// Every collection name, sorted.
    pub fn list_collections(&self) -> Vec<String> {
        self.collections.keys().cloned().collect()
    }

    pub fn has_collection(&self, name: &str) -> bool {
        self.collections.contains_key(name)
    }

    pub(super) fn store(&self, name: &str) -> Result<&dyn CollectionStore> {
        match self.collections.get(name) {
            Some(c) => Ok(c.as_ref()),
            None => Err(Error::CollectionNotFound(name.to_owned())),
        }
    }

    pub(super) fn ensure_writable(&self, what: &str) -> Result<()> {
        if self.read_only {
            return Err(Error::ReadOnly {
                path: self.dir.clone(),
                what: what.to_owned(),
            });
        }
        if self.shared && self.lock.is_none() {
            // Every write goes through a write span (`shared.rs`): one that
            // did not would stage against a state others may have changed.
            return Err(Error::Transaction(format!(
                "{what} outside a write span of a shared handle (a bug in FluxDB)"
            )));
        }
        Ok(())
    }

    /// The collection to write, enrolled in the transaction if one is
    /// active (its savepoint opens on the first write).
    pub(super) fn store_mut(&mut self, name: &str) -> Result<&mut dyn CollectionStore> {
        self.ensure_writable("writing")?;
        let newly_enrolled = match &mut self.transaction {
            Some(t) => t.touched.insert(name.to_owned()),
            None => false,
        };
        match self.collections.get_mut(name) {
            Some(c) => {
                if newly_enrolled {
                    c.savepoint();
                }
                Ok(c.as_mut())
            }
            None => Err(Error::CollectionNotFound(name.to_owned())),
        }
    }

    pub(super) fn collection_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.fdb"))
    }

    pub(super) fn refuse_in_transaction(&self, what: &str) -> Result<()> {
        if self.transaction.is_some() {
            return Err(Error::Transaction(format!(
                "{what} is not possible inside a transaction"
            )));
        }
        Ok(())
    }

    /// A replacement of `collection`'s file failed; if the new file had
    /// taken the name, the open handle (to the old file) stops writing, so
    /// nothing is appended where no one will read it.
    pub(super) fn replaced_under(
        &mut self,
        collection: &str,
        failure: durable::ReplaceFailure,
    ) -> Error {
        if failure.renamed
            && let Some(c) = self.collections.get_mut(collection)
        {
            c.refuse_writes();
        }
        failure.error
    }
}
