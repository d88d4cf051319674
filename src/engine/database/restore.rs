//! Restoring a database backup (`database_backup.rs` has the file's
//! layout): the whole file is checked, each collection's new file staged
//! beside the old one, then `restore.journal` is written and the staged
//! files renamed over the old ones. A writer that opens the folder finishes
//! a journaled restore or removes the staged files of one without journal;
//! a reader opens the staged files in place of the old ones.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::backup_read::{Part, Planned, scan_database_backup};
use super::database_backup::Section;
use super::fluxdb::FluxDB;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::collection::backup::backup_corrupt as corrupt;
use crate::engine::collection::{NativeCollection, checkpoint_path, initial_restored_file};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::native::{self, EntryKind, GroupWriter, ScanEvent};
use crate::engine::storage::{RecordCodec, StorageFormat, durable, index_definitions};
use crate::error::{Error, IoContext, Result};

/// The journal of a restore between its first and last rename.
pub const RESTORE_JOURNAL: &str = "restore.journal";

/// Suffix of a collection file staged by a restore.
const STAGED_SUFFIX: &str = ".fdb.restore";

/// What `restore_database` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RestoreReport {
    /// The collections replaced (or created) from the backup.
    pub collections: Vec<String>,
    pub records: u64,
    /// Collections of the database that the backup does not hold: left as
    /// they were.
    pub untouched: Vec<String>,
}

/// `restore.journal`: the collections whose staged files replace theirs.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Journal {
    collections: Vec<Planned>,
}

impl FluxDB {
    /// Replaces the collections a backup made by
    /// [`backup_database`](Self::backup_database) holds with its content
    /// (index definitions included); other collections stay as they are.
    /// The whole file is checked before anything changes: a damaged or
    /// incomplete backup is refused, naming the byte offset, and the
    /// database is left untouched. The switch is atomic across collections
    /// (see the module docs on a crash in the middle).
    pub fn restore_database(&mut self, file: impl AsRef<Path>) -> Result<RestoreReport> {
        self.restore_database_with(file.as_ref(), None)
    }

    /// [`restore_database`](Self::restore_database) that stops with
    /// [`Error::Cancelled`] soon after `cancel` fires while the backup is
    /// checked and staged, the database as it was; once the switch starts
    /// it is not cancelled (it completes, even across a crash).
    pub fn restore_database_cancellable(
        &mut self,
        file: impl AsRef<Path>,
        cancel: &CancelToken,
    ) -> Result<RestoreReport> {
        self.restore_database_with(file.as_ref(), Some(cancel))
    }

    pub(super) fn restore_database_with(
        &mut self,
        file: &Path,
        cancel: Option<&CancelToken>,
    ) -> Result<RestoreReport> {
        self.write_span(|db| {
        db.ensure_writable("restoring a backup")?;
        db.refuse_in_transaction("restoring a backup")?;
        let plan = check_backup(file, db.codec.as_ref(), cancel)?;
        for planned in &plan {
            if let Some(c) = db.collections.get(&planned.name)
                && c.format() == StorageFormat::Legacy
            {
                // Its files (the pickled index too) are not what a restore
                // replaces; the folder should be migrated first.
                return Err(Error::UnsupportedFormat {
                    collection: planned.name.clone(),
                    format: StorageFormat::Legacy.to_string(),
                    reason: "a restore replaces native collections only; migrate the folder first (fluxdb migrate)".to_owned(),
                });
            }
        }
        db.flush()?;
        if let Err(e) = stage_backup(file, &db.dir, db.codec.as_ref(), &plan, cancel) {
            for planned in &plan {
                let _ = std::fs::remove_file(staged_path(&db.dir, &planned.name));
            }
            return Err(e);
        }
        let journal = Journal { collections: plan };
        let bytes = serde_json::to_vec_pretty(&journal)
            .map_err(|e| Error::RecordEncoding(e.to_string()))?;
        let journal_path = db.dir.join(RESTORE_JOURNAL);
        let written = durable::replace_file_reporting(&journal_path, |out| {
            out.write_all(&bytes).at(&journal_path)
        });
        let applied = match written {
            Ok(()) => apply_journal(&db.dir, &journal),
            Err(failure) if !failure.renamed => {
                for planned in &journal.collections {
                    let _ = std::fs::remove_file(staged_path(&db.dir, &planned.name));
                }
                return Err(failure.error);
            }
            // The journal is in place: the next open finishes the restore.
            Err(failure) => Err(failure.error),
        };
        if let Err(e) = applied {
            // Some files may be switched: this handle's view of them is
            // stale, so it lets them go; the next open finishes the restore.
            for planned in &journal.collections {
                db.collections.remove(&planned.name);
            }
            return Err(Error::Transaction(format!(
                "the restore stopped halfway ({e}); open the database again to finish it"
            )));
        }
        let mut restored = Vec::new();
        let mut records = 0;
        for (i, planned) in journal.collections.iter().enumerate() {
            let path = db.collection_path(&planned.name);
            let opened = NativeCollection::open(&path, db.codec.clone(), &HashSet::new(), false)
                .inspect_err(|_| {
                    // The files are switched: no handle to the old ones may stay.
                    for later in &journal.collections[i..] {
                        db.collections.remove(&later.name);
                    }
                })?;
            records += planned.records;
            db.adopt(planned.name.clone(), Box::new(opened.collection));
            restored.push(planned.name.clone());
        }
        let untouched = db
            .collections
            .keys()
            .filter(|name| !restored.contains(name))
            .cloned()
            .collect();
        Ok(RestoreReport {
            collections: restored,
            records,
            untouched,
        })
            })
    }
}

fn staged_path(dir: &Path, collection: &str) -> PathBuf {
    dir.join(format!("{collection}{STAGED_SUFFIX}"))
}

/// Reads a database backup through, checking everything a restore relies
/// on (every document decodes, no `_id` repeats); returns its collections
/// in file order.
fn check_backup(
    path: &Path,
    codec: &dyn RecordCodec,
    cancel: Option<&CancelToken>,
) -> Result<Vec<Planned>> {
    let mut collection = String::new();
    scan_database_backup(path, codec, cancel, true, &mut |part| match part {
        Part::Collection(planned) => {
            collection.clone_from(&planned.name);
            Ok(())
        }
        Part::Record { id, data, offset } => match codec.decode(id, data) {
            Ok(_) => Ok(()),
            Err(e) => Err(corrupt(
                path,
                offset,
                format!("collection {collection:?}, record {id:?}: {e}"),
            )),
        },
    })
}

/// A collection file being written from a backup.
struct Staging {
    name: String,
    path: PathBuf,
    group: GroupWriter<BufWriter<durable::FileWriter>>,
    records: u64,
}

impl Staging {
    fn start(dir: &Path, codec: &dyn RecordCodec, planned: &Planned) -> Result<Staging> {
        let path = staged_path(dir, &planned.name);
        let start =
            initial_restored_file(codec.name(), &planned.indexed_fields, planned.compression)?;
        let mut out = BufWriter::with_capacity(1 << 20, durable::FileWriter::create(&path)?);
        out.write_all(&start).at(&path)?;
        let group = GroupWriter::with_compression(out, start.len() as u64, 0, planned.compression)
            .at(&path)?;
        Ok(Staging {
            name: planned.name.clone(),
            group,
            path,
            records: 0,
        })
    }

    /// Writes the last batch and makes the file durable.
    fn finish(self) -> Result<(String, u64)> {
        let (out, _) = self.group.finish().at(&self.path)?;
        let file = out
            .into_inner()
            .map_err(|e| Error::io(&self.path, e.into_error()))?;
        file.sync_all().at(&self.path)?;
        Ok((self.name, self.records))
    }
}

/// Writes `<name>.fdb.restore` for every collection of a checked backup,
/// copying its entries as they are (their checksums are checked again: the
/// file could have changed since it was checked).
fn stage_backup(
    path: &Path,
    dir: &Path,
    codec: &dyn RecordCodec,
    plan: &[Planned],
    cancel: Option<&CancelToken>,
) -> Result<()> {
    let mut cancel = CancelCheck::new(cancel);
    let file = File::open(path).at(path)?;
    let mut current: Option<Staging> = None;
    let mut staged: Vec<(String, u64)> = Vec::new();
    native::scan(&file, path, &HashSet::new(), |event| {
        let ScanEvent::Entry(entry, place) = event else {
            return Ok(());
        };
        cancel.tick()?;
        let offset = place.offset();
        native::parse_entry(entry.raw).map_err(|reason| corrupt(path, offset, reason))?;
        match entry.kind {
            EntryKind::Put => match &mut current {
                Some(staging) => {
                    staging.group.push(entry.raw).at(&staging.path)?;
                    staging.records += 1;
                    Ok(())
                }
                None => Err(corrupt(path, offset, "a record before any collection")),
            },
            EntryKind::Meta => {
                if let Some(done) = current.take() {
                    staged.push(done.finish()?);
                }
                if let Ok(Section::Collection { name, .. }) = serde_json::from_slice(entry.data) {
                    let planned = plan.get(staged.len()).filter(|p| p.name == name);
                    let Some(planned) = planned else {
                        return Err(changed(path));
                    };
                    current = Some(Staging::start(dir, codec, planned)?);
                }
                Ok(())
            }
            EntryKind::Delete => Err(changed(path)),
        }
    })?;
    if let Some(done) = current.take() {
        staged.push(done.finish()?);
    }
    let expected: Vec<(String, u64)> = plan.iter().map(|p| (p.name.clone(), p.records)).collect();
    if staged != expected {
        return Err(changed(path));
    }
    durable::sync_dir(dir)
}

fn changed(path: &Path) -> Error {
    corrupt(
        path,
        0,
        "the backup changed while it was being restored; nothing was restored",
    )
}

/// Renames every staged file over its collection, rewrites the index
/// definition copies, and removes the journal: the second half of a
/// restore, and what the next writer does after a crash in it.
fn apply_journal(dir: &Path, journal: &Journal) -> Result<()> {
    for planned in &journal.collections {
        let staged = staged_path(dir, &planned.name);
        // Renamed already (a crash after it): nothing left to do for it.
        if staged.exists() {
            let target = dir.join(format!("{}.fdb", planned.name));
            durable::rename(&staged, &target).at(&target)?;
        }
    }
    durable::sync_dir(dir)?;
    for planned in &journal.collections {
        index_definitions::write(dir, &planned.name, &planned.indexed_fields)?;
        // The checkpoint of the replaced file (it would only be ignored).
        let collection = dir.join(format!("{}.fdb", planned.name));
        durable::durable_remove(&checkpoint_path(&collection))?;
    }
    durable::durable_remove(&dir.join(RESTORE_JOURNAL))?;
    Ok(())
}

fn read_journal(dir: &Path) -> Result<Option<Journal>> {
    let path = dir.join(RESTORE_JOURNAL);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&path, e)),
    };
    // Written whole by one atomic rename: unreadable means damaged.
    let journal: Journal = serde_json::from_slice(&bytes)
        .map_err(|e| corrupt(&path, 0, format!("not a restore journal: {e}")))?;
    for planned in &journal.collections {
        validate_collection_name(&planned.name)?;
    }
    Ok(Some(journal))
}

/// The collection files to open, after dealing with an interrupted restore:
/// a writer finishes one that has its journal and removes staged files of
/// one that does not; a reader (which changes nothing) opens the staged
/// files of a journaled restore in place of the old ones.
pub(super) fn collection_files_after_restore(
    dir: &Path,
    read_only: bool,
) -> Result<Vec<(String, PathBuf)>> {
    let journal = read_journal(dir)?;
    if read_only {
        let mut files = collection_files(dir)?;
        for planned in journal.iter().flat_map(|j| &j.collections) {
            let staged = staged_path(dir, &planned.name);
            if staged.is_file() {
                files.retain(|(name, _)| *name != planned.name);
                files.push((planned.name.clone(), staged));
            }
        }
        files.sort();
        return Ok(files);
    }
    if let Some(journal) = journal {
        apply_journal(dir, &journal)?;
    }
    let mut removed = false;
    for entry in std::fs::read_dir(dir).at(dir)? {
        let path = entry.at(dir)?.path();
        let staged = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(STAGED_SUFFIX));
        if staged && path.is_file() {
            std::fs::remove_file(&path).at(&path)?;
            removed = true;
        }
    }
    if removed {
        durable::sync_dir(dir)?;
    }
    collection_files(dir)
}

/// `(name, path)` of every `*.fdb` file in the folder whose name is a valid
/// collection name, sorted by name.
pub(super) fn collection_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).at(dir)? {
        let entry = entry.at(dir)?;
        let path = entry.path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".fdb"))
        else {
            continue;
        };
        if validate_collection_name(name).is_ok() && path.is_file() {
            found.push((name.to_owned(), path));
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::storage::Compression;

    #[test]
    fn a_writer_finishes_a_journaled_restore_and_a_reader_sees_it_finished() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let dir = tmp.path();
        std::fs::write(dir.join("a.fdb"), b"old").at(dir)?;
        std::fs::write(dir.join("b.fdb"), b"old").at(dir)?;
        std::fs::write(staged_path(dir, "a"), b"new").at(dir)?;
        std::fs::write(staged_path(dir, "c"), b"new").at(dir)?;
        let journal = Journal {
            collections: ["a", "c"]
                .map(|name| Planned {
                    name: name.to_owned(),
                    indexed_fields: vec![],
                    records: 0,
                    compression: Compression::None,
                })
                .to_vec(),
        };
        std::fs::write(
            dir.join(RESTORE_JOURNAL),
            serde_json::to_vec(&journal).map_err(|e| Error::RecordEncoding(e.to_string()))?,
        )
        .at(dir)?;
        let seen = collection_files_after_restore(dir, true)?;
        assert_eq!(
            seen,
            [
                ("a".to_owned(), staged_path(dir, "a")),
                ("b".to_owned(), dir.join("b.fdb")),
                ("c".to_owned(), staged_path(dir, "c")),
            ]
        );
        let opened = collection_files_after_restore(dir, false)?;
        assert_eq!(
            opened,
            [
                ("a".to_owned(), dir.join("a.fdb")),
                ("b".to_owned(), dir.join("b.fdb")),
                ("c".to_owned(), dir.join("c.fdb")),
            ]
        );
        assert_eq!(std::fs::read(dir.join("a.fdb")).at(dir)?, b"new");
        assert!(!dir.join(RESTORE_JOURNAL).exists());
        assert!(dir.join("indexes").join("c.json").exists());
        Ok(())
    }

    #[test]
    fn a_writer_removes_staged_files_of_a_restore_without_journal() -> Result<()> {
        let tmp = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let dir = tmp.path();
        std::fs::write(dir.join("a.fdb"), b"old").at(dir)?;
        std::fs::write(staged_path(dir, "a"), b"half").at(dir)?;
        let opened = collection_files_after_restore(dir, false)?;
        assert_eq!(opened, [("a".to_owned(), dir.join("a.fdb"))]);
        assert_eq!(std::fs::read(dir.join("a.fdb")).at(dir)?, b"old");
        assert!(!staged_path(dir, "a").exists());
        Ok(())
    }
}
