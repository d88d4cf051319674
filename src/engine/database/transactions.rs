//! Flushing and transactions: buffered writes reach the disk on flush; a
//! transaction's writes reach it all at once on commit (through the
//! transaction log when it spans several collections), or not at all.

use std::collections::BTreeSet;

use super::fluxdb::{ActiveTransaction, FluxDB};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, Result};

impl FluxDB {
    /// Writes buffered writes to disk, durably. Inside a transaction this
    /// does nothing: the transaction's writes wait for commit.
    pub fn flush(&mut self) -> Result<()> {
        if self.transaction.is_some() || self.read_only {
            return Ok(());
        }
        if self.shared && self.lock.is_none() {
            // Each write span flushed before it ended: nothing is staged
            // (what a failed one left is dropped by the next span).
            return Ok(());
        }
        for c in self.collections.values_mut() {
            c.flush(0)?;
            if c.wants_compaction() {
                c.compact()?;
            }
        }
        Ok(())
    }

    /// Flushes, then writes the persisted `_id` table and indexes (a
    /// checkpoint, FORMAT.md "Checkpoints") of every collection holding
    /// records in memory that its checkpoint lacks: what closing does, for
    /// a program that wants the next open to read no log now. Refused in a
    /// transaction and on a read-only handle.
    pub fn write_checkpoints(&mut self) -> Result<()> {
        self.refuse_in_transaction("writing checkpoints")?;
        self.write_span(|db| {
            db.ensure_writable("writing checkpoints")?;
            db.flush()?;
            for c in db.collections.values_mut() {
                c.write_checkpoint()?;
            }
            Ok(())
        })
    }

    /// Starts a transaction (the seed's `begin_transaction`). Buffered
    /// writes are flushed first, so the transaction holds only its own. A
    /// shared handle takes the writer lock here, up to date, and keeps it
    /// until the commit or rollback.
    pub fn begin_transaction(&mut self) -> Result<()> {
        if self.transaction.is_some() {
            return Err(Error::Transaction(
                "a transaction is already active".to_owned(),
            ));
        }
        if self.read_only {
            return self.ensure_writable("a transaction");
        }
        if self.shared && self.lock.is_none() {
            self.take_shared_lock(self.busy_timeout)?;
        }
        if let Err(e) = self.flush() {
            self.release_shared_lock();
            return Err(e);
        }
        self.transaction = Some(ActiveTransaction {
            id: new_transaction_id(),
            touched: BTreeSet::new(),
        });
        Ok(())
    }

    /// Makes the transaction's writes durable, all of them or (on error)
    /// none: after an error the transaction is rolled back.
    pub fn commit(&mut self) -> Result<()> {
        let Some(txn) = self.transaction.take() else {
            return Err(Error::Transaction("no transaction is active".to_owned()));
        };
        let touched: Vec<String> = txn
            .touched
            .iter()
            .filter(|name| matches!(self.collections.get(*name), Some(c) if c.has_pending()))
            .cloned()
            .collect();
        let result = self.write_transaction(txn.id, &touched);
        for name in &txn.touched {
            if let Some(c) = self.collections.get_mut(name) {
                if result.is_ok() {
                    c.release_savepoint();
                } else {
                    c.rollback_savepoint();
                }
            }
        }
        self.release_shared_lock();
        result.map_err(|e| Error::Transaction(format!("commit failed and was rolled back: {e}")))
    }

    pub(super) fn write_transaction(&mut self, id: u64, touched: &[String]) -> Result<()> {
        if touched.len() <= 1 {
            // One collection: its batch group is its own commit record.
            for name in touched {
                if let Some(c) = self.collections.get_mut(name) {
                    c.flush(0)?;
                }
            }
            return Ok(());
        }
        let mut prepared: Vec<&String> = Vec::new();
        let mut result = Ok(());
        for name in touched {
            if let Some(c) = self.collections.get_mut(name) {
                prepared.push(name);
                result = c.flush(id);
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_ok() {
            result = self.txlog_mut().and_then(|log| log.commit(id));
        }
        for name in prepared {
            if let Some(c) = self.collections.get_mut(name) {
                if result.is_ok() {
                    // The commit record is durable: a failure here is
                    // repaired by recovery, so it does not undo the commit.
                    let _ = c.finish_commit();
                } else {
                    // Without its commit record the batches are invisible
                    // on disk; cut them off so later appends do not follow them.
                    let _ = c.abort_commit();
                }
            }
        }
        result
    }

    pub(super) fn txlog_mut(&mut self) -> Result<&mut TxLog> {
        if self.txlog.is_none() {
            self.txlog = Some(TxLog::open(&self.dir)?);
        }
        self.txlog
            .as_mut()
            .ok_or_else(|| Error::Transaction("transaction log unavailable".to_owned()))
    }

    /// Discards the transaction's writes.
    pub fn rollback(&mut self) -> Result<()> {
        let Some(txn) = self.transaction.take() else {
            return Err(Error::Transaction("no transaction is active".to_owned()));
        };
        for name in &txn.touched {
            if let Some(c) = self.collections.get_mut(name) {
                c.rollback_savepoint();
            }
        }
        self.release_shared_lock();
        Ok(())
    }

    pub fn in_transaction(&self) -> bool {
        self.transaction.is_some()
    }

    /// A transaction as a value: commit it with [`Transaction::commit`]; if
    /// it is dropped first (an early return, a panic) it rolls back.
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.begin_transaction()?;
        Ok(Transaction {
            db: self,
            finished: false,
        })
    }
}

/// A transaction that rolls back unless committed.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// let mut db = fluxdb::engine::FluxDB::open(dir.path())?;
/// let mut tx = db.transaction()?;
/// tx.insert("users", serde_json::json!({"name": "Eve"}))?;
/// tx.insert("users", serde_json::json!({"name": "Frank"}))?;
/// tx.commit()?;
/// # Ok::<(), fluxdb::Error>(())
/// ```
pub struct Transaction<'a> {
    db: &'a mut FluxDB,
    finished: bool,
}

impl Transaction<'_> {
    pub fn commit(mut self) -> Result<()> {
        self.finished = true;
        self.db.commit()
    }

    pub fn rollback(mut self) -> Result<()> {
        self.finished = true;
        self.db.rollback()
    }
}

impl std::ops::Deref for Transaction<'_> {
    type Target = FluxDB;
    fn deref(&self) -> &FluxDB {
        self.db
    }
}

impl std::ops::DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut FluxDB {
        self.db
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if !self.finished && self.db.transaction.is_some() {
            let _ = self.db.rollback();
        }
    }
}

pub(super) fn new_transaction_id() -> u64 {
    let (a, _) = uuid::Uuid::new_v4().as_u64_pair();
    a | 1
}
