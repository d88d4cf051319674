//! Durable file operations: the only ways FluxDB replaces or grows a file.
//!
//! A file is never rewritten in place: the new content goes to `<name>.tmp`,
//! is fsynced, renamed over the old name, and the directory is fsynced so the
//! rename itself survives power loss (NeDB lost whole databases without that).
//!
//! Every write, fsync and rename of the storage layer passes through this
//! module, so [`fault`] can make any of them fail in tests.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{IoContext, Result};

/// Replaces `path` with `bytes` atomically and durably.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_file(path, |out| out.write_all(bytes).at(path))
}

/// What [`replace_file`] hands to its `fill`: a buffered writer to the
/// temporary file.
pub type ReplaceWriter = BufWriter<FileWriter>;

/// Replaces `path` with what `fill` writes, atomically and durably: the
/// content goes to `<path>.tmp`, is fsynced and renamed over `path`. If
/// `fill` fails the old file is untouched and the temporary file removed.
pub fn replace_file<T>(
    path: &Path,
    fill: impl FnOnce(&mut ReplaceWriter) -> Result<T>,
) -> Result<T> {
    replace_file_reporting(path, fill).map_err(|failure| failure.error)
}

/// Why [`replace_file_reporting`] failed, and whether the new file had
/// already been renamed into place (then `path` holds the new content, but
/// the rename may not survive power loss).
#[derive(Debug)]
pub struct ReplaceFailure {
    pub error: crate::Error,
    pub renamed: bool,
}

/// Like [`replace_file`], telling a failure after the rename apart: a
/// caller holding the old file open must then stop using that handle.
pub fn replace_file_reporting<T>(
    path: &Path,
    fill: impl FnOnce(&mut ReplaceWriter) -> Result<T>,
) -> std::result::Result<T, ReplaceFailure> {
    let tmp = temp_path(path);
    let before_rename = (|| {
        let file = FileWriter(File::create(&tmp).at(&tmp)?);
        let mut out = BufWriter::with_capacity(1 << 20, file);
        let value = fill(&mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| crate::Error::io(&tmp, e.into_error()))?;
        sync_all(&file.0).at(&tmp)?;
        drop(file);
        rename(&tmp, path).at(path)?;
        Ok(value)
    })();
    let value = match before_rename {
        Ok(value) => value,
        Err(error) => {
            let _ = fs::remove_file(&tmp);
            return Err(ReplaceFailure {
                error,
                renamed: false,
            });
        }
    };
    sync_dir(parent(path)).map_err(|error| ReplaceFailure {
        error,
        renamed: true,
    })?;
    Ok(value)
}

/// Renames a finished, fsynced file over `to` and makes the rename durable.
pub fn durable_rename(from: &Path, to: &Path) -> Result<()> {
    rename(from, to).at(to)?;
    sync_dir(parent(to))
}

/// `fs::rename`, where a test can make it fail (not durable by itself:
/// fsync the folder after).
pub fn rename(from: &Path, to: &Path) -> std::io::Result<()> {
    fault::before_rename()?;
    fs::rename(from, to)
}

/// Flushes a file's data and metadata to the device (`fsync`).
pub fn sync_all(file: &File) -> std::io::Result<()> {
    fault::before_sync()?;
    file.sync_all()
}

/// Flushes a file's data to the device (`fdatasync`): what a commit needs.
pub fn sync_data(file: &File) -> std::io::Result<()> {
    fault::before_sync()?;
    file.sync_data()
}

/// Creates (or truncates) `path`, writes `bytes` and fsyncs it: a new file
/// that is whole on disk before anyone renames it.
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = FileWriter(File::create(path).at(path)?);
    file.write_all(bytes).at(path)?;
    sync_all(&file.0).at(path)
}

/// A file written sequentially through the storage layer's one write path.
#[derive(Debug)]
pub struct FileWriter(File);

impl FileWriter {
    /// Creates (or truncates) `path` for writing.
    pub fn create(path: &Path) -> Result<FileWriter> {
        Ok(FileWriter(File::create(path).at(path)?))
    }

    /// Fsyncs what was written.
    pub fn sync_all(&self) -> std::io::Result<()> {
        sync_all(&self.0)
    }
}

impl Write for FileWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let allowed = fault::before_write(buf.len())?;
        let n = self.0.write(&buf[..allowed])?;
        fault::wrote(n);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// Removes a file and makes the removal durable. Missing is fine.
pub fn durable_remove(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => {
            sync_dir(parent(path))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(crate::Error::io(path, e)),
    }
}

/// Fsyncs a directory so creations, renames and removals in it are durable.
pub fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        sync_all(&File::open(dir).at(dir)?).at(dir)?;
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
    }
    Ok(())
}

/// `<path>.tmp`: where a replacement is built before the rename.
pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Opens a file for appending at its end, creating nothing.
pub fn open_for_append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .at(path)
}

/// Reads exactly `buf.len()` bytes at `offset` without moving any cursor, so
/// readers share one handle.
pub fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < buf.len() {
            let n = std::os::windows::fs::FileExt::seek_read(
                file,
                &mut buf[done..],
                offset + done as u64,
            )?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

/// Reads up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
pub fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        #[cfg(unix)]
        let n = std::os::unix::fs::FileExt::read_at(file, &mut buf[done..], offset + done as u64);
        #[cfg(windows)]
        let n =
            std::os::windows::fs::FileExt::seek_read(file, &mut buf[done..], offset + done as u64);
        match n {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Writes all of `bytes` at `offset`.
pub fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    if fault::armed() {
        // Write what the plan lets through, then fail as the device would.
        let allowed = fault::before_write(bytes.len())?;
        write_all_at_unchecked(file, &bytes[..allowed], offset)?;
        fault::wrote(allowed);
        if allowed < bytes.len() {
            fault::before_write(bytes.len() - allowed)?;
        }
        return Ok(());
    }
    write_all_at_unchecked(file, bytes, offset)
}

fn write_all_at_unchecked(file: &File, bytes: &[u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
    }
    #[cfg(windows)]
    {
        let mut done = 0;
        while done < bytes.len() {
            done += std::os::windows::fs::FileExt::seek_write(
                file,
                &bytes[done..],
                offset + done as u64,
            )?;
        }
        Ok(())
    }
}

/// Test hook: makes the storage layer's writes, fsyncs or renames fail on
/// purpose, on the current thread only, to check that every write path
/// leaves the last committed state behind. Unused, it costs one
/// thread-local flag read per write, fsync or rename.
#[doc(hidden)]
pub mod fault {
    use std::cell::Cell;
    use std::io::{Error, ErrorKind};

    /// What to break.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Plan {
        /// Break nothing; just count (to learn what an operation writes).
        Count,
        /// Writes go through up to this many bytes in total; the write that
        /// crosses the limit is cut there and fails, and every write, fsync
        /// and rename after it fails too (a full disk, a dead device).
        StopAfterBytes(u64),
        /// The fsync with this number (from 0) fails; nothing else does.
        FailSync(u64),
        /// The rename with this number (from 0) fails; nothing else does.
        FailRename(u64),
    }

    /// What happened since [`arm`].
    #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
    pub struct Counts {
        pub bytes: u64,
        pub syncs: u64,
        pub renames: u64,
        /// An injected failure happened.
        pub tripped: bool,
    }

    thread_local! {
        static STATE: Cell<Option<(Plan, Counts)>> = const { Cell::new(None) };
    }

    /// Starts following `plan` on this thread (replacing any earlier one).
    pub fn arm(plan: Plan) {
        STATE.with(|s| s.set(Some((plan, Counts::default()))));
    }

    /// Stops injecting faults; returns what happened while armed.
    pub fn disarm() -> Counts {
        STATE
            .with(|s| s.take())
            .map(|(_, counts)| counts)
            .unwrap_or_default()
    }

    /// What happened so far, without disarming.
    pub fn counts() -> Counts {
        STATE
            .with(Cell::get)
            .map(|(_, counts)| counts)
            .unwrap_or_default()
    }

    pub(super) fn armed() -> bool {
        STATE.with(|s| s.get().is_some())
    }

    fn injected(what: &str) -> Error {
        Error::new(ErrorKind::StorageFull, format!("injected fault: {what}"))
    }

    fn update<T>(f: impl FnOnce(Plan, &mut Counts) -> T) -> Option<T> {
        STATE.with(|s| {
            let (plan, mut counts) = s.get()?;
            let out = f(plan, &mut counts);
            s.set(Some((plan, counts)));
            Some(out)
        })
    }

    /// How many of `len` bytes may be written now; an error if none may.
    pub(super) fn before_write(len: usize) -> std::io::Result<usize> {
        update(|plan, counts| match plan {
            Plan::StopAfterBytes(limit) => {
                let left = limit.saturating_sub(counts.bytes);
                if left == 0 && len > 0 {
                    counts.tripped = true;
                    return Err(injected(&format!("the device stopped after {limit} bytes")));
                }
                Ok(len.min(usize::try_from(left).unwrap_or(usize::MAX)))
            }
            _ => Ok(len),
        })
        .unwrap_or(Ok(len))
    }

    pub(super) fn wrote(n: usize) {
        update(|_, counts| counts.bytes += n as u64);
    }

    pub(super) fn before_sync() -> std::io::Result<()> {
        update(|plan, counts| {
            let this = counts.syncs;
            counts.syncs += 1;
            let fail = match plan {
                Plan::FailSync(n) => n == this,
                Plan::StopAfterBytes(_) => counts.tripped,
                _ => false,
            };
            if fail {
                counts.tripped = true;
                return Err(injected("fsync failed"));
            }
            Ok(())
        })
        .unwrap_or(Ok(()))
    }

    pub(super) fn before_rename() -> std::io::Result<()> {
        update(|plan, counts| {
            let this = counts.renames;
            counts.renames += 1;
            let fail = match plan {
                Plan::FailRename(n) => n == this,
                Plan::StopAfterBytes(_) => counts.tripped,
                _ => false,
            };
            if fail {
                counts.tripped = true;
                return Err(injected("rename failed"));
            }
            Ok(())
        })
        .unwrap_or(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::fault::{self, Plan};
    use super::*;

    #[test]
    fn a_stopped_device_writes_up_to_the_limit_and_fails_from_there() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        let file = File::create(&path).unwrap();
        fault::arm(Plan::StopAfterBytes(5));
        assert!(write_all_at(&file, b"abc", 0).is_ok());
        assert!(write_all_at(&file, b"defgh", 3).is_err());
        assert!(sync_all(&file).is_err());
        assert!(write_all_at(&file, b"x", 8).is_err());
        let counts = fault::disarm();
        assert_eq!(std::fs::read(&path).unwrap(), b"abcde");
        assert_eq!(counts.bytes, 5);
        assert!(counts.tripped);
        // Disarmed, everything works again.
        assert!(write_all_at(&file, b"fgh", 5).is_ok());
    }

    #[test]
    fn only_the_chosen_fsync_or_rename_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        fault::arm(Plan::FailSync(1));
        assert!(atomic_write(&path, b"one").is_err(), "the folder's fsync");
        let counts = fault::disarm();
        assert_eq!((counts.syncs, counts.renames), (2, 1));
        // The rename had happened: the new content is in place.
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        fault::arm(Plan::FailRename(0));
        let failure = replace_file_reporting(&path, |out| out.write_all(b"two").at(&path));
        fault::disarm();
        assert!(matches!(
            failure,
            Err(ReplaceFailure { renamed: false, .. })
        ));
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
        assert!(!temp_path(&path).exists(), "the temporary file is removed");
    }

    #[test]
    fn counting_breaks_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("f");
        fault::arm(Plan::Count);
        atomic_write(&path, b"hello").unwrap();
        let counts = fault::disarm();
        assert_eq!(
            counts,
            fault::Counts {
                bytes: 5,
                syncs: 2,
                renames: 1,
                tripped: false
            }
        );
    }
}
