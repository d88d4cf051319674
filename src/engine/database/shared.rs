//! Shared mode ([`OpenOptions::shared`](super::OpenOptions::shared)):
//! several processes write one folder, each holding the writer lock only
//! for the span of a write.
//!
//! A write span is one public write called outside a transaction, or a
//! transaction from begin to commit or rollback. It starts by taking the
//! lock (waiting up to the busy timeout while another writer commits) and
//! catching up: each collection reads what the others appended since this
//! handle last looked (the follower's tail read, `follow.rs`), a replaced
//! file is opened again, collections that came or went are taken or
//! forgotten. The write then sees the latest committed state, so a
//! read-modify-write (an update, `$inc`, the conflict check of Studio)
//! never works from an old version. The span ends by flushing, durably,
//! and releasing the lock. Nothing is staged outside a span: writes are
//! not buffered in shared mode, and what a failed flush left staged is
//! dropped by the next catch-up (it was staged against an older state).

use std::time::Duration;

use super::fluxdb::FluxDB;
use super::refreshed::Refreshed;
use crate::engine::storage::lock::WriterLock;
use crate::error::Result;

impl FluxDB {
    /// Runs `write` as one write span: in shared mode with the lock held
    /// and this handle caught up, and durable before the lock goes. In
    /// exclusive mode, or within a span or a transaction, it just runs.
    pub(super) fn write_span<T>(
        &mut self,
        write: impl FnOnce(&mut FluxDB) -> Result<T>,
    ) -> Result<T> {
        self.write_span_within(self.busy_timeout, write)
    }

    /// [`write_span`](Self::write_span), waiting at most `patience` for
    /// the lock.
    pub(super) fn write_span_within<T>(
        &mut self,
        patience: Duration,
        write: impl FnOnce(&mut FluxDB) -> Result<T>,
    ) -> Result<T> {
        if !self.shared || self.lock.is_some() {
            return write(self);
        }
        self.take_shared_lock(patience)?;
        let result = write(self).and_then(|value| self.flush().map(|()| value));
        self.release_shared_lock();
        result
    }

    /// Takes the writer lock and brings the handle up to what the other
    /// writers committed.
    pub(super) fn take_shared_lock(&mut self, patience: Duration) -> Result<()> {
        self.lock = Some(WriterLock::acquire_shared(&self.dir, patience)?);
        match self.catch_up() {
            Ok(caught_up) => {
                self.unreported.absorb(caught_up);
                Ok(())
            }
            Err(e) => {
                self.lock = None;
                Err(e)
            }
        }
    }

    /// Lets the writer lock go (shared mode; an exclusive handle keeps it).
    pub(super) fn release_shared_lock(&mut self) {
        if self.shared {
            self.lock = None;
        }
    }

    /// With the lock held: forgets what a failed span left staged, then
    /// reads what the others committed.
    fn catch_up(&mut self) -> Result<Refreshed> {
        // Another writer appended to the transaction log: where this
        // handle would append is found again when it next commits.
        self.txlog = None;
        let stale: Vec<String> = (self.collections.iter())
            .filter(|(_, c)| c.has_pending())
            .map(|(name, _)| name.clone())
            .collect();
        for name in stale {
            // Opened again below, from the file as it is.
            self.collections.remove(&name);
        }
        self.follow_disk(None, None)
    }
}
