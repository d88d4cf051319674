//! [`OpenOptions`]: how to open a database (read-only, flush size, codec).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::fluxdb::FluxDB;
use crate::engine::storage::{BinaryCodec, RecordCodec};
use crate::error::Result;

/// How to open a database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    pub(super) read_only: bool,
    pub(super) flush_size: Option<usize>,
    pub(super) codec: Arc<dyn RecordCodec>,
    pub(super) checkpoint_records: Option<usize>,
    pub(super) shared: bool,
    pub(super) busy_timeout: Duration,
}

/// How long a shared-mode write waits for another writer's commit before
/// [`Error::Locked`](crate::Error::Locked), unless told otherwise.
pub const DEFAULT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            read_only: false,
            flush_size: None,
            codec: Arc::new(BinaryCodec),
            checkpoint_records: None,
            shared: false,
            busy_timeout: DEFAULT_BUSY_TIMEOUT,
        }
    }
}

impl OpenOptions {
    pub fn new() -> OpenOptions {
        OpenOptions::default()
    }

    /// Opens without the writer lock; every write is refused.
    pub fn read_only(mut self, read_only: bool) -> Self {
        self.read_only = read_only;
        self
    }

    /// Bytes of buffered writes that trigger a flush (default: from the
    /// machine's available memory, 1 to 64 MiB). 0 writes through.
    pub fn flush_size(mut self, bytes: usize) -> Self {
        self.flush_size = Some(bytes);
        self
    }

    /// The seed's `storage_backend`: how documents are encoded on disk.
    pub fn codec(mut self, codec: Arc<dyn RecordCodec>) -> Self {
        self.codec = codec;
        self
    }

    /// How many records a collection may hold in memory (changed or added
    /// since its last checkpoint, FORMAT.md "Checkpoints") before closing
    /// writes a new checkpoint (default 1,000); a commit writes one once
    /// they pass a thousand times this (1,000,000) and half the
    /// checkpoint. Lower it to make small collections persist their
    /// indexes too.
    pub fn checkpoint_records(mut self, records: usize) -> Self {
        self.checkpoint_records = Some(records);
        self
    }

    /// Shares the folder with other writers (other processes, Studio): the
    /// writer lock is taken only for the span of each write (a call
    /// outside a transaction, or a transaction from begin to commit), the
    /// handle first brings itself up to what the others committed, and
    /// the lock is released after the fsync. Writes outside a transaction
    /// are then not buffered: each is its own commit. Between writes,
    /// [`FluxDB::refresh`] follows the others as a reader does.
    ///
    /// The default is exclusive: one writer holds the lock while open.
    pub fn shared(mut self, shared: bool) -> Self {
        self.shared = shared;
        self
    }

    /// How long a write in shared mode waits while another writer holds
    /// the lock (default 5 s); after it, the write fails with
    /// [`Error::Locked`](crate::Error::Locked) naming the holder.
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    pub fn open(self, path: impl AsRef<Path>) -> Result<FluxDB> {
        FluxDB::open_with(path, self)
    }
}
