//! How a Python FluxDB 0.1 collection's files are replaced without ever being
//! half-written (see README.md in this folder).
//!
//! A write makes `<name>.fdb.<id>.tmp` and, when the collection has indexed
//! fields, `indexes/<name>.idx.<id>.tmp`, both whole and fsynced. Then the
//! `.fdb` temp is renamed into place (the commit point) and the index temp
//! after it. `<id>` is the transaction id for a write that is part of a
//! multi-collection transaction (odd, in `transactions.log` once committed)
//! and a fresh even number otherwise, which is never in the log.
//!
//! On open, leftovers are settled: a `.fdb` temp is renamed into place if its
//! id is a committed transaction, else deleted; an index temp follows its
//! `.fdb` temp when that is still there, and is renamed into place when it is
//! not (its `.fdb` temp was renamed: the write had committed).

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::storage::durable;
use crate::error::{Error, IoContext, Result};

/// The folder of the pickled index files, inside the database folder.
pub const INDEX_DIR: &str = "indexes";

/// `<dir>/<name>.fdb`: the collection file.
pub fn collection_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.fdb"))
}

/// `<dir>/indexes/<name>.idx`: the pickled index.
pub fn index_file(dir: &Path, name: &str) -> PathBuf {
    dir.join(INDEX_DIR).join(format!("{name}.idx"))
}

fn temp_name(file_name: &str, id: u64) -> String {
    format!("{file_name}.{id:016x}.tmp")
}

fn collection_temp(dir: &Path, name: &str, id: u64) -> PathBuf {
    dir.join(temp_name(&format!("{name}.fdb"), id))
}

fn index_temp(dir: &Path, name: &str, id: u64) -> PathBuf {
    dir.join(INDEX_DIR)
        .join(temp_name(&format!("{name}.idx"), id))
}

/// An id for a write outside a transaction: even, so never a transaction's.
pub fn standalone_write_id() -> u64 {
    let (a, _) = uuid::Uuid::new_v4().as_u64_pair();
    a & !1
}

/// Both replacement files written and fsynced, not yet in place.
#[derive(Debug)]
pub struct PreparedWrite {
    collection_tmp: PathBuf,
    collection: PathBuf,
    index: Option<(PathBuf, PathBuf)>,
}

/// Writes the replacement files under their temporary names, durably. On
/// error nothing is left behind and the current files are untouched.
pub fn prepare(
    dir: &Path,
    name: &str,
    id: u64,
    collection_bytes: &[u8],
    index_bytes: Option<&[u8]>,
) -> Result<PreparedWrite> {
    let prepared = PreparedWrite {
        collection_tmp: collection_temp(dir, name, id),
        collection: collection_file(dir, name),
        index: index_bytes.map(|_| (index_temp(dir, name, id), index_file(dir, name))),
    };
    let result = (|| {
        write_synced(&prepared.collection_tmp, collection_bytes)?;
        if let (Some((tmp, _)), Some(bytes)) = (&prepared.index, index_bytes) {
            let index_dir = dir.join(INDEX_DIR);
            if !index_dir.is_dir() {
                fs::create_dir_all(&index_dir).at(&index_dir)?;
                durable::sync_dir(dir)?;
            }
            write_synced(tmp, bytes)?;
            // The index temp must survive a crash that the .fdb rename survives.
            durable::sync_dir(&index_dir)?;
        }
        durable::sync_dir(dir)
    })();
    if result.is_err() {
        prepared.discard();
    }
    result.map(|()| prepared)
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    durable::write_new_file(path, bytes)
}

/// Where a failed [`PreparedWrite::commit`] stopped.
#[derive(Debug)]
pub enum CommitError {
    /// Nothing was renamed: the old files are in place.
    NotCommitted(Error),
    /// The collection file is the new one but its index temp could not be
    /// renamed; reopening the database finishes it.
    IndexPending(Error),
}

impl PreparedWrite {
    /// Renames the collection file into place (the commit point), then the
    /// index. On failure the temporary files stay: the caller discards them,
    /// or keeps them for recovery when the transaction log already commits them.
    pub fn commit(&self) -> std::result::Result<(), CommitError> {
        if let Err(e) = durable::durable_rename(&self.collection_tmp, &self.collection) {
            return Err(CommitError::NotCommitted(e));
        }
        if let Some((tmp, index)) = &self.index {
            durable::durable_rename(tmp, index).map_err(CommitError::IndexPending)?;
        }
        Ok(())
    }

    /// Removes the temporary files (the write will not happen).
    pub fn discard(&self) {
        let _ = fs::remove_file(&self.collection_tmp);
        if let Some((tmp, _)) = &self.index {
            let _ = fs::remove_file(tmp);
        }
    }
}

/// Where to read a collection from after settling leftover temporary files.
#[derive(Debug)]
pub struct Settled {
    pub collection: PathBuf,
    pub index: PathBuf,
}

/// Settles the temporary files a crash left for collection `name` (see the
/// module doc). A writer renames and deletes them; a read-only open changes
/// nothing and reads a committed temp in place of the file it replaces.
pub fn settle_leftovers(
    dir: &Path,
    name: &str,
    committed: &HashSet<u64>,
    read_only: bool,
) -> Result<Settled> {
    let collection_temps = temps_of(dir, &format!("{name}.fdb"))?;
    let index_temps = temps_of(&dir.join(INDEX_DIR), &format!("{name}.idx"))?;
    let mut settled = Settled {
        collection: collection_file(dir, name),
        index: index_file(dir, name),
    };
    let pending_collection_ids: HashSet<u64> = collection_temps.iter().map(|(id, _)| *id).collect();
    for (id, tmp) in collection_temps {
        if committed.contains(&id) {
            if read_only {
                settled.collection = tmp;
            } else {
                durable::durable_rename(&tmp, &settled.collection)?;
            }
        } else if !read_only {
            durable::durable_remove(&tmp)?;
        }
    }
    for (id, tmp) in index_temps {
        let roll_forward = !pending_collection_ids.contains(&id) || committed.contains(&id);
        if roll_forward {
            if read_only {
                settled.index = tmp;
            } else {
                durable::durable_rename(&tmp, &settled.index)?;
            }
        } else if !read_only {
            durable::durable_remove(&tmp)?;
        }
    }
    Ok(settled)
}

/// `(id, path)` of every `<file_name>.<16 hex digits>.tmp` in `dir`.
fn temps_of(dir: &Path, file_name: &str) -> Result<Vec<(u64, PathBuf)>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let prefix = format!("{file_name}.");
    let mut found = Vec::new();
    for entry in entries {
        let entry = entry.at(dir)?;
        let os_name = entry.file_name();
        let Some(hex) = os_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|rest| rest.strip_suffix(".tmp"))
        else {
            continue;
        };
        if hex.len() == 16
            && let Ok(id) = u64::from_str_radix(hex, 16)
        {
            found.push((id, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Copies the collection file to the first free `<name>.fdb.bak`,
/// `<name>.fdb.bak.2`, ... durably, before a rewrite drops bytes of it that
/// the engine could not read (a torn tail, an undecodable record).
pub fn keep_backup(dir: &Path, name: &str) -> Result<PathBuf> {
    let source = collection_file(dir, name);
    let bytes = fs::read(&source).at(&source)?;
    let mut n = 1;
    let target = loop {
        let candidate = if n == 1 {
            dir.join(format!("{name}.fdb.bak"))
        } else {
            dir.join(format!("{name}.fdb.bak.{n}"))
        };
        if !candidate.exists() {
            break candidate;
        }
        n += 1;
    };
    durable::atomic_write(&target, &bytes)?;
    Ok(target)
}

/// Removes a collection's files: the index first, so a crash never leaves
/// an index that a later collection of the same name would adopt.
pub fn remove_collection_files(dir: &Path, name: &str) -> Result<()> {
    for (_, tmp) in temps_of(&dir.join(INDEX_DIR), &format!("{name}.idx"))? {
        durable::durable_remove(&tmp)?;
    }
    durable::durable_remove(&index_file(dir, name))?;
    // A readable copy of index definitions the engine may have written.
    durable::durable_remove(&dir.join(INDEX_DIR).join(format!("{name}.json")))?;
    for (_, tmp) in temps_of(dir, &format!("{name}.fdb"))? {
        durable::durable_remove(&tmp)?;
    }
    durable::durable_remove(&collection_file(dir, name))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> Vec<u8> {
        fs::read(path).unwrap_or_default()
    }

    fn setup() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(INDEX_DIR)).unwrap();
        fs::write(collection_file(tmp.path(), "c"), b"old").unwrap();
        fs::write(index_file(tmp.path(), "c"), b"old-idx").unwrap();
        tmp
    }

    fn leftovers(dir: &Path) -> usize {
        temps_of(dir, "c.fdb").unwrap().len()
            + temps_of(&dir.join(INDEX_DIR), "c.idx").unwrap().len()
    }

    #[test]
    fn a_commit_puts_both_files_in_place_and_leaves_no_temp() {
        let tmp = setup();
        let dir = tmp.path();
        let prepared = prepare(dir, "c", 2, b"new", Some(b"new-idx")).unwrap();
        assert_eq!(read(&collection_file(dir, "c")), b"old");
        prepared.commit().unwrap();
        assert_eq!(read(&collection_file(dir, "c")), b"new");
        assert_eq!(read(&index_file(dir, "c")), b"new-idx");
        assert_eq!(leftovers(dir), 0);
    }

    #[test]
    fn leftovers_of_an_uncommitted_write_are_deleted() {
        let tmp = setup();
        let dir = tmp.path();
        let _prepared = prepare(dir, "c", 7, b"new", Some(b"new-idx")).unwrap();
        let settled = settle_leftovers(dir, "c", &HashSet::new(), false).unwrap();
        assert_eq!(read(&settled.collection), b"old");
        assert_eq!(read(&settled.index), b"old-idx");
        assert_eq!(leftovers(dir), 0);
    }

    #[test]
    fn leftovers_of_a_committed_transaction_are_rolled_forward() {
        let tmp = setup();
        let dir = tmp.path();
        let _prepared = prepare(dir, "c", 7, b"new", Some(b"new-idx")).unwrap();
        let committed = HashSet::from([7]);
        // A reader sees the committed state without changing anything.
        let seen = settle_leftovers(dir, "c", &committed, true).unwrap();
        assert_eq!(read(&seen.collection), b"new");
        assert_eq!(read(&seen.index), b"new-idx");
        assert_eq!(leftovers(dir), 2);
        let settled = settle_leftovers(dir, "c", &committed, false).unwrap();
        assert_eq!(settled.collection, collection_file(dir, "c"));
        assert_eq!(read(&collection_file(dir, "c")), b"new");
        assert_eq!(read(&index_file(dir, "c")), b"new-idx");
        assert_eq!(leftovers(dir), 0);
    }

    #[test]
    fn an_index_temp_whose_collection_was_renamed_is_rolled_forward() {
        let tmp = setup();
        let dir = tmp.path();
        let prepared = prepare(dir, "c", 4, b"new", Some(b"new-idx")).unwrap();
        // A crash between the two renames.
        durable::durable_rename(&prepared.collection_tmp, &prepared.collection).unwrap();
        settle_leftovers(dir, "c", &HashSet::new(), false).unwrap();
        assert_eq!(read(&index_file(dir, "c")), b"new-idx");
        assert_eq!(leftovers(dir), 0);
    }

    #[test]
    fn other_collections_temps_are_left_alone() {
        let tmp = setup();
        let dir = tmp.path();
        fs::write(collection_file(dir, "c.x"), b"").unwrap();
        let _other = prepare(dir, "c.x", 8, b"x", None).unwrap();
        settle_leftovers(dir, "c", &HashSet::new(), false).unwrap();
        assert_eq!(temps_of(dir, "c.x.fdb").unwrap().len(), 1);
    }

    #[test]
    fn backups_never_overwrite_an_earlier_one() {
        let tmp = setup();
        let dir = tmp.path();
        let first = keep_backup(dir, "c").unwrap();
        fs::write(collection_file(dir, "c"), b"second").unwrap();
        let second = keep_backup(dir, "c").unwrap();
        assert_eq!(first, dir.join("c.fdb.bak"));
        assert_eq!(second, dir.join("c.fdb.bak.2"));
        assert_eq!(read(&first), b"old");
        assert_eq!(read(&second), b"second");
    }

    #[test]
    fn removing_a_collection_removes_its_index_and_temps() {
        let tmp = setup();
        let dir = tmp.path();
        let _prepared = prepare(dir, "c", 6, b"new", Some(b"new-idx")).unwrap();
        remove_collection_files(dir, "c").unwrap();
        assert!(!collection_file(dir, "c").exists());
        assert!(!index_file(dir, "c").exists());
        assert_eq!(leftovers(dir), 0);
    }

    #[test]
    fn standalone_ids_are_even_and_transaction_ids_odd() {
        for _ in 0..100 {
            assert_eq!(standalone_write_id() % 2, 0);
        }
    }
}
