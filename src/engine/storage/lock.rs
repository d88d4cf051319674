//! One writer per folder: an advisory lock on `<dir>/.fluxdb.lock`.
//!
//! The lock is the OS's (flock on Unix, LockFileEx on Windows), so it is
//! released when the holder dies, even by SIGKILL: a stale lock file never
//! blocks anyone. Readers take no lock, so a read-only open works while
//! another process writes.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, IoContext, Result};

pub const LOCK_FILE: &str = ".fluxdb.lock";

/// How long a busy lock is retried before [`Error::Locked`].
pub const LOCK_PATIENCE: Duration = Duration::from_millis(500);

/// Held for as long as a writable [`crate::engine::FluxDB`] is open, or,
/// in shared mode, for the span of one write.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the folder's writer lock, to hold while open, or says who
    /// holds it.
    pub fn acquire(dir: &Path) -> Result<WriterLock> {
        WriterLock::take(dir, LOCK_PATIENCE, false)
    }

    /// Takes the writer lock for one write of a shared handle, waiting up
    /// to `patience` while another shared writer commits. A holder that
    /// keeps it while open (its lock file says so) is waited for only as
    /// long as [`acquire`](Self::acquire) waits: it will not let go soon.
    pub fn acquire_shared(dir: &Path, patience: Duration) -> Result<WriterLock> {
        WriterLock::take(dir, patience, true)
    }

    fn take(dir: &Path, patience: Duration, shared: bool) -> Result<WriterLock> {
        let path = dir.join(LOCK_FILE);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .at(&path)?;
        // A lock just released can stay held for a moment by a child process
        // forked in between (it shares the open file until it execs), so a
        // busy lock is tried again briefly before it counts as held.
        let started = Instant::now();
        // Short naps first: a commit holds the lock for about an fsync.
        let mut nap = Duration::from_micros(200);
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock)
                    if started.elapsed() < patience.min(LOCK_PATIENCE)
                        || (started.elapsed() < patience
                            && describe_holder(&mut file).ends_with(SHARED_HOLDER)) =>
                {
                    std::thread::sleep(nap);
                    nap = (nap * 2).min(Duration::from_millis(10));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(Error::Locked {
                        path: dir.to_path_buf(),
                        holder: describe_holder(&mut file),
                    });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
        write_holder(&mut file, &path, shared)?;
        Ok(WriterLock { _file: file })
    }
}

/// Whether some process holds the folder's writer lock now. It is asked
/// by taking the lock shared for an instant (a writer that tries in that
/// instant retries, as it does for any busy lock), so nothing is changed.
pub fn is_held(dir: &Path) -> Result<bool> {
    let path = dir.join(LOCK_FILE);
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(&path, e)),
    };
    match file.try_lock_shared() {
        Ok(()) => {
            file.unlock().at(&path)?;
            Ok(false)
        }
        Err(std::fs::TryLockError::WouldBlock) => Ok(true),
        Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&path, e)),
    }
}

/// How a shared writer's lock file ends: it holds the lock for a commit.
const SHARED_HOLDER: &str = ", writing in shared mode";

fn describe_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.seek(SeekFrom::Start(0));
    let _ = file.read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() {
        "holder unknown".to_owned()
    } else {
        text.to_owned()
    }
}

fn write_holder(file: &mut File, path: &Path, shared: bool) -> Result<()> {
    let program = std::env::args()
        .next()
        .map(|p| {
            Path::new(&p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(p)
        })
        .unwrap_or_else(|| "unknown program".to_owned());
    let mode = if shared { SHARED_HOLDER } else { "" };
    let mut holder = format!("process {} ({program}", std::process::id());
    let mut keep = HOLDER_BYTES - mode.len() - 1;
    while !holder.is_char_boundary(keep.min(holder.len())) {
        keep -= 1;
    }
    holder.truncate(keep);
    holder = format!("{holder}){mode}");
    // One write of a fixed length over the last holder's, never an empty
    // file in between: a writer waiting for a shared holder reads it to
    // know it is one, while holders come and go many times a second.
    let padded = format!("{holder:<HOLDER_BYTES$}");
    file.seek(SeekFrom::Start(0)).at(path)?;
    file.write_all(padded.as_bytes()).at(path)?;
    if file.metadata().at(path)?.len() != HOLDER_BYTES as u64 {
        file.set_len(HOLDER_BYTES as u64).at(path)?;
    }
    Ok(())
}

/// Bytes of the lock file's text (the holder, padded with spaces).
const HOLDER_BYTES: usize = 160;
