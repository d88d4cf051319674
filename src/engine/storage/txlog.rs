//! The database's transaction log: commit records of transactions that span
//! several collections.
//!
//! Each collection's part of such a transaction is a batch tagged with the
//! transaction id; the transaction commits when its record here is durable.
//! Recovery ignores tagged batches whose id is not in this file.
//!
//! ```text
//! file   := magic "FLUXDB\0T" record*
//! record := txn_id u64 LE | crc32(txn_id bytes) u32 LE
//! ```
//! A torn last record is ignored (that transaction did not commit).

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

use super::durable::{self, write_all_at};

pub const TXLOG_FILE: &str = "transactions.log";
const MAGIC: [u8; 8] = *b"FLUXDB\0T";
const RECORD_LEN: usize = 12;

#[derive(Debug)]
pub struct TxLog {
    path: PathBuf,
    file: File,
    end: u64,
}

impl TxLog {
    /// Reads the committed transaction ids; `None` when there is no log yet.
    pub fn read_committed(dir: &Path) -> Result<HashSet<u64>> {
        let path = dir.join(TXLOG_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
            Err(e) => return Err(Error::io(&path, e)),
        };
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::Corrupt {
                path,
                offset: 0,
                reason: "not a FluxDB transaction log (no magic)".to_owned(),
            });
        }
        Ok(bytes[MAGIC.len()..]
            .chunks_exact(RECORD_LEN)
            .filter_map(|rec| {
                let id = u64::from_le_bytes(rec[0..8].try_into().ok()?);
                let crc = u32::from_le_bytes(rec[8..12].try_into().ok()?);
                (crc32fast::hash(&rec[0..8]) == crc).then_some(id)
            })
            .collect())
    }

    /// Opens the log for appending, creating it durably if missing.
    pub fn open(dir: &Path) -> Result<TxLog> {
        let path = dir.join(TXLOG_FILE);
        if !path.exists() {
            durable::atomic_write(&path, &MAGIC)?;
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .at(&path)?;
        let len = file.metadata().at(&path)?.len();
        // Appends start after the last whole record; a torn one is overwritten.
        let whole =
            (len.saturating_sub(MAGIC.len() as u64) / RECORD_LEN as u64) * RECORD_LEN as u64;
        Ok(TxLog {
            end: MAGIC.len() as u64 + whole,
            path,
            file,
        })
    }

    /// Makes transaction `id` committed, durably.
    pub fn commit(&mut self, id: u64) -> Result<()> {
        let mut rec = [0u8; RECORD_LEN];
        rec[0..8].copy_from_slice(&id.to_le_bytes());
        let crc = crc32fast::hash(&rec[0..8]);
        rec[8..12].copy_from_slice(&crc.to_le_bytes());
        write_all_at(&self.file, &rec, self.end).at(&self.path)?;
        durable::sync_data(&self.file).at(&self.path)?;
        self.end += RECORD_LEN as u64;
        Ok(())
    }
}
