//! Comparing the folder with a backup, record by record: which records
//! only the folder has, which only the backup has, and which differ, each
//! with its field-by-field changes (`engine::diff`).
//!
//! The backup is read once, as restore and import read it
//! (`backup_read.rs`, `collection/backup.rs`), in bounded memory: each
//! backup record is looked up in the folder by `_id`, and the folder's slot
//! it was found in is marked in a bitset (a bit per record, not a set of
//! ids). Records stored alike in both are told apart by their bytes,
//! without decoding. The folder's records no backup record met are then
//! read, only when the counts say some are left.

use std::path::Path;

use super::backup_read::{Part, scan_database_backup};
use super::fluxdb::FluxDB;
use crate::engine::Document;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::collection::CollectionStore;
use crate::engine::collection::backup::{BackupPart, backup_corrupt, open_backup, scan_backup};
use crate::engine::diff::{FieldChange, diff_documents};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::RecordCodec;
use crate::engine::storage::native::FileKind;
use crate::error::{Error, IoContext, Result};

/// Which kind of backup was compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupKind {
    /// `backup_database`: every collection.
    Database,
    /// `export_collection`: one collection.
    Collection,
}

/// How a record of the folder and of the backup differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffStatus {
    OnlyInFolder,
    OnlyInBackup,
    Changed,
}

impl DiffStatus {
    /// As the CLI prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            DiffStatus::OnlyInFolder => "only_in_folder",
            DiffStatus::OnlyInBackup => "only_in_backup",
            DiffStatus::Changed => "changed",
        }
    }
}

/// One record that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDiff {
    pub collection: String,
    pub id: String,
    pub status: DiffStatus,
    /// From the folder's version (`before`) to the backup's (`after`); a
    /// record one side lacks lists each of its fields.
    pub changes: Vec<FieldChange>,
    /// The record in the folder (`None`: only in the backup).
    pub folder: Option<Document>,
    /// The record in the backup (`None`: only in the folder).
    pub backup: Option<Document>,
}

/// What a comparison found in one collection.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct CollectionComparison {
    pub name: String,
    pub in_folder: bool,
    pub in_backup: bool,
    pub same: u64,
    pub changed: u64,
    pub only_in_folder: u64,
    pub only_in_backup: u64,
}

impl CollectionComparison {
    pub fn differences(&self) -> u64 {
        self.changed + self.only_in_folder + self.only_in_backup
    }
}

/// What [`FluxDB::compare_with_backup`] found, per collection.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BackupComparison {
    pub kind: BackupKind,
    /// In backup order, then the folder's collections the backup lacks.
    pub collections: Vec<CollectionComparison>,
}

impl BackupComparison {
    pub fn differences(&self) -> u64 {
        self.collections
            .iter()
            .map(CollectionComparison::differences)
            .sum()
    }
}

impl FluxDB {
    /// Compares the folder with a database backup (`backup_database`) or a
    /// collection backup (`export_collection`), calling `each` with every
    /// record that differs as it is found; nothing is changed.
    ///
    /// `collection` limits a database backup to that collection; for a
    /// collection backup it names the folder's collection to compare with
    /// (by default the one the backup was made from). Without it, a
    /// database backup is compared collection by collection, and the
    /// folder's collections it lacks count as only in the folder.
    /// `progress(bytes read, backup size)`; stops with
    /// [`Error::Cancelled`] soon after `cancel` fires. A damaged backup is
    /// an error naming its offset, found where the damage is: records
    /// before it were already handed to `each`.
    pub fn compare_with_backup(
        &self,
        backup: impl AsRef<Path>,
        collection: Option<&str>,
        cancel: &CancelToken,
        progress: &mut dyn FnMut(u64, u64),
        each: &mut dyn FnMut(RecordDiff) -> Result<()>,
    ) -> Result<BackupComparison> {
        let path = backup.as_ref();
        if let Some(name) = collection {
            validate_collection_name(name)?;
        }
        let (file, header) = open_backup(path, "this is not a FluxDB backup")?;
        let total = file.metadata().at(path)?.len();
        drop(file);
        let mut comparer = Comparer {
            db: self,
            path,
            codec: self.codec.as_ref(),
            each,
            progress,
            total,
            records: 0,
            current: None,
            done: Vec::new(),
            cancel: CancelCheck::new(Some(cancel)),
        };
        let kind = match header.kind {
            FileKind::DatabaseBackup => {
                scan_database_backup(
                    path,
                    self.codec.as_ref(),
                    Some(cancel),
                    false,
                    &mut |part| match part {
                        Part::Collection(planned) => {
                            let wanted = collection.is_none_or(|c| c == planned.name);
                            comparer.start(wanted.then_some(planned.name.as_str()))
                        }
                        Part::Record { id, data, offset } => comparer.record(id, data, offset),
                    },
                )?;
                BackupKind::Database
            }
            // A collection file is refused by the reader, naming what it is.
            FileKind::Backup | FileKind::Collection => {
                scan_backup(
                    path,
                    self.codec.as_ref(),
                    Some(cancel),
                    &mut |part| match part {
                        BackupPart::Collection(summary) => {
                            comparer.start(Some(collection.unwrap_or(&summary.collection)))
                        }
                        BackupPart::Record { id, data, offset } => {
                            comparer.record(id, data, offset)
                        }
                    },
                )?;
                BackupKind::Collection
            }
        };
        comparer.start(None)?;
        // The folder's collections the backup lacks.
        let rest: Vec<&str> = match (kind, collection) {
            (BackupKind::Database, None) => self.collections.keys().map(String::as_str).collect(),
            (_, Some(name)) => vec![name],
            (BackupKind::Collection, None) => Vec::new(),
        };
        for name in rest {
            if comparer.done.iter().any(|c| c.name == name) {
                continue;
            }
            if !self.collections.contains_key(name) {
                return Err(Error::CollectionNotFound(name.to_owned()));
            }
            comparer.start(Some(name))?;
            comparer.start(None)?;
        }
        let total = comparer.total;
        (comparer.progress)(total, total);
        Ok(BackupComparison {
            kind,
            collections: comparer.done,
        })
    }
}

/// The collection being compared.
struct Current<'a> {
    stats: CollectionComparison,
    store: Option<&'a dyn CollectionStore>,
    /// A bit per folder slot a backup record was found in.
    met: Vec<u64>,
    /// Backup records found in the folder.
    matched: u64,
}

/// A comparison in progress: the backup's reader feeds it section by
/// section, record by record.
struct Comparer<'a, 'f> {
    db: &'a FluxDB,
    path: &'a Path,
    codec: &'a dyn RecordCodec,
    each: &'f mut dyn FnMut(RecordDiff) -> Result<()>,
    progress: &'f mut dyn FnMut(u64, u64),
    total: u64,
    records: u64,
    /// `None` between collections, and in one the caller left out.
    current: Option<Current<'a>>,
    done: Vec<CollectionComparison>,
    cancel: CancelCheck<'a>,
}

impl<'a> Comparer<'a, '_> {
    /// Ends the collection being compared and starts `name` (`None`: a
    /// part of the backup to skip, or the end).
    fn start(&mut self, name: Option<&str>) -> Result<()> {
        if let Some(current) = self.current.take() {
            let stats = self.finish(current)?;
            self.done.push(stats);
        }
        let Some(name) = name else {
            return Ok(());
        };
        let store = self.db.collections.get(name).map(|s| s.as_ref());
        self.current = Some(Current {
            stats: CollectionComparison {
                name: name.to_owned(),
                in_folder: store.is_some(),
                in_backup: false,
                ..CollectionComparison::default()
            },
            store,
            met: Vec::new(),
            matched: 0,
        });
        Ok(())
    }

    fn record(&mut self, id: &str, data: &[u8], offset: u64) -> Result<()> {
        self.records += 1;
        if self.records.is_multiple_of(4096) {
            (self.progress)(offset, self.total);
        }
        let Some(current) = self.current.as_mut() else {
            return Ok(());
        };
        current.stats.in_backup = true;
        let (codec, path) = (self.codec, self.path);
        let decode = |collection: &str| {
            codec.decode(id, data).map_err(|e| {
                backup_corrupt(
                    path,
                    offset,
                    format!("collection {collection:?}, record {id:?}: {e}"),
                )
            })
        };
        let found = match current.store {
            Some(store) => store.slot_of(id)?.map(|slot| (store, slot)),
            None => None,
        };
        let Some((store, slot)) = found else {
            let backup = decode(&current.stats.name)?;
            current.stats.only_in_backup += 1;
            let diff = RecordDiff {
                collection: current.stats.name.clone(),
                id: id.to_owned(),
                status: DiffStatus::OnlyInBackup,
                changes: diff_documents(None, Some(&backup)),
                folder: None,
                backup: Some(backup),
            };
            return (self.each)(diff);
        };
        let (word, bit) = ((slot / 64) as usize, 1u64 << (slot % 64));
        if current.met.len() <= word {
            current.met.resize(word + 1, 0);
        }
        if current.met[word] & bit != 0 {
            return Err(backup_corrupt(
                self.path,
                offset,
                format!("collection {:?}: duplicate _id {id:?}", current.stats.name),
            ));
        }
        current.met[word] |= bit;
        current.matched += 1;
        // Stored alike: the same record, with nothing decoded.
        let mut folder = None;
        store.visit_stored(&mut std::iter::once(slot), &mut |_, stored| {
            if stored.codec.name() != codec.name() || stored.data != data {
                folder = Some(stored.decode()?);
            }
            Ok(false)
        })?;
        let Some(folder) = folder else {
            current.stats.same += 1;
            return Ok(());
        };
        let backup = decode(&current.stats.name)?;
        let changes = diff_documents(Some(&folder), Some(&backup));
        if changes.is_empty() {
            current.stats.same += 1;
            return Ok(());
        }
        current.stats.changed += 1;
        (self.each)(RecordDiff {
            collection: current.stats.name.clone(),
            id: id.to_owned(),
            status: DiffStatus::Changed,
            changes,
            folder: Some(folder),
            backup: Some(backup),
        })
    }

    /// The folder's records of the collection that no backup record met.
    fn finish(&mut self, current: Current<'a>) -> Result<CollectionComparison> {
        let Current {
            mut stats,
            store,
            met,
            matched,
        } = current;
        let Some(store) = store else {
            return Ok(stats);
        };
        if matched >= store.len() as u64 {
            return Ok(stats);
        }
        let each = &mut *self.each;
        let cancel = &mut self.cancel;
        store.scan_stored(&mut |slot, stored| {
            cancel.tick()?;
            let word = met.get((slot / 64) as usize).copied().unwrap_or(0);
            if word & (1u64 << (slot % 64)) != 0 {
                return Ok(true);
            }
            let folder = stored.decode()?;
            stats.only_in_folder += 1;
            each(RecordDiff {
                collection: stats.name.clone(),
                id: stored.id.to_owned(),
                status: DiffStatus::OnlyInFolder,
                changes: diff_documents(Some(&folder), None),
                folder: Some(folder),
                backup: None,
            })?;
            Ok(true)
        })?;
        Ok(stats)
    }
}
