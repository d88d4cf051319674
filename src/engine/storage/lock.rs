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
const LOCK_PATIENCE: Duration = Duration::from_millis(500);

/// Held for as long as a writable [`crate::engine::FluxDB`] is open.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the folder's writer lock or says who holds it.
    pub fn acquire(dir: &Path) -> Result<WriterLock> {
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
        let deadline = Instant::now() + LOCK_PATIENCE;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
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
        write_holder(&mut file, &path)?;
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

fn describe_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    let text = text.trim();
    if text.is_empty() {
        "holder unknown".to_owned()
    } else {
        text.to_owned()
    }
}

fn write_holder(file: &mut File, path: &Path) -> Result<()> {
    let program = std::env::args()
        .next()
        .map(|p| {
            Path::new(&p)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or(p)
        })
        .unwrap_or_else(|| "unknown program".to_owned());
    let holder = format!("process {} ({program})", std::process::id());
    file.set_len(0).at(path)?;
    file.seek(SeekFrom::Start(0)).at(path)?;
    file.write_all(holder.as_bytes()).at(path)
}
