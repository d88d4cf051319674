//! Reading a database backup (`database_backup.rs` has its layout) through
//! in one pass, checked as it goes: the collection sections and the
//! records of each, handed to a visitor. A restore checks the whole file
//! with it before it changes anything; a comparison with a backup reads
//! it with it, record by record, in bounded memory.

use std::collections::HashSet;
use std::path::Path;

use super::database_backup::Section;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::collection::backup::{
    backup_corrupt as corrupt, check_backup_codec, open_backup,
};
use crate::engine::names::validate_collection_name;
use crate::engine::storage::native::{self, EntryKind, EntryRef, FileKind, ScanEvent};
use crate::engine::storage::{Compression, RecordCodec};
use crate::error::{Error, Result};

/// One collection of a database backup, as its section says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Planned {
    pub name: String,
    pub indexed_fields: Vec<String>,
    pub records: u64,
    #[serde(default, skip_serializing_if = "Compression::is_none")]
    pub compression: Compression,
}

/// A part of a database backup as [`scan_database_backup`] reads it.
pub(super) enum Part<'a> {
    /// A collection begins; its records follow.
    Collection(&'a Planned),
    /// A record of the last collection, as stored (its entry's checksum
    /// held; not decoded), with the file offset errors name.
    Record {
        id: &'a str,
        data: &'a [u8],
        offset: u64,
    },
}

/// Reads a database backup through, checking everything a restore relies
/// on but the documents themselves (the visitor decodes what it needs):
/// the header, every checksum, the sections, each collection's count, the
/// end record, and with `unique_ids` that no `_id` repeats in a collection
/// (a set of every id of the largest collection: a comparison, which must
/// stay small, finds repeats its own way). Returns the collections in file
/// order. Damage is found where it is, so a visitor that acts as it reads
/// learns of damage further on from this function's error.
pub(super) fn scan_database_backup(
    path: &Path,
    codec: &dyn RecordCodec,
    cancel: Option<&CancelToken>,
    unique_ids: bool,
    visit: &mut dyn FnMut(Part<'_>) -> Result<()>,
) -> Result<Vec<Planned>> {
    let mut cancel = CancelCheck::new(cancel);
    let (file, header) = open_backup(path, "this is not a FluxDB database backup")?;
    match header.kind {
        FileKind::DatabaseBackup => {}
        FileKind::Backup => {
            return Err(corrupt(
                path,
                10,
                "a backup of one collection, not of a database (import it instead)",
            ));
        }
        FileKind::Collection => {
            return Err(corrupt(
                path,
                10,
                "a collection file, not a database backup",
            ));
        }
    }
    check_backup_codec(&header, path, codec, "database backup")?;
    let mut checker = Checker {
        path,
        plan: Vec::new(),
        ids: unique_ids.then(HashSet::new),
        in_collection: 0,
        ended: false,
    };
    let outcome = native::scan(&file, path, &HashSet::new(), |event| match event {
        ScanEvent::Entry(entry, place) => {
            cancel.tick()?;
            checker.entry(entry, place.offset(), visit)
        }
        // Every group is self-committing; an incomplete one is a dropped tail.
        ScanEvent::GroupStart | ScanEvent::GroupDiscarded => Ok(()),
    })
    .map_err(|e| match e {
        Error::Corrupt {
            reason, offset: 0, ..
        } => corrupt(
            path,
            0,
            format!("{reason}; this is not a FluxDB database backup"),
        ),
        other => other,
    })?;
    if let Some(tail) = outcome.dropped {
        return Err(corrupt(
            path,
            tail.offset,
            format!("the backup is damaged or incomplete: {}", tail.reason),
        ));
    }
    if !checker.ended {
        return Err(corrupt(
            path,
            outcome.end,
            "the backup is incomplete: it has no end record",
        ));
    }
    Ok(checker.plan)
}

/// The checks of [`scan_database_backup`], entry by entry.
struct Checker<'a> {
    path: &'a Path,
    plan: Vec<Planned>,
    /// The ids of the current collection, to refuse a duplicate (when asked).
    ids: Option<HashSet<Box<str>>>,
    /// Records of the current collection so far.
    in_collection: u64,
    ended: bool,
}

impl Checker<'_> {
    fn entry(
        &mut self,
        entry: EntryRef<'_>,
        offset: u64,
        visit: &mut dyn FnMut(Part<'_>) -> Result<()>,
    ) -> Result<()> {
        let fail = |reason: String| Err(corrupt(self.path, offset, reason));
        if self.ended {
            return fail("data after the end record".to_owned());
        }
        if let Err(reason) = native::parse_entry(entry.raw) {
            return fail(reason);
        }
        match entry.kind {
            EntryKind::Meta => {
                let section: Section = match serde_json::from_slice(entry.data) {
                    Ok(section) => section,
                    Err(e) => return fail(format!("bad section record: {e}")),
                };
                self.close_collection(offset)?;
                match section {
                    Section::Collection {
                        name,
                        indexed_fields,
                        records,
                        compression,
                    } => {
                        if let Err(e) = validate_collection_name(&name) {
                            return fail(e.to_string());
                        }
                        if self.plan.iter().any(|p| p.name == name) {
                            return fail(format!("collection {name:?} appears twice"));
                        }
                        self.plan.push(Planned {
                            name,
                            indexed_fields,
                            records,
                            compression,
                        });
                        if let Some(planned) = self.plan.last() {
                            visit(Part::Collection(planned))?;
                        }
                    }
                    Section::End {
                        collections,
                        records,
                    } => {
                        let total: u64 = self.plan.iter().map(|p| p.records).sum();
                        if collections != self.plan.len() as u64 || records != total {
                            return fail(format!(
                                "the end record says {collections} collections and {records} records; the backup holds {} and {total}",
                                self.plan.len()
                            ));
                        }
                        self.ended = true;
                    }
                }
                Ok(())
            }
            EntryKind::Put => {
                let Some(current) = self.plan.last() else {
                    return fail("a record before any collection".to_owned());
                };
                if let Some(ids) = &mut self.ids
                    && !ids.insert(entry.id.into())
                {
                    return fail(format!(
                        "collection {:?}: duplicate _id {:?}",
                        current.name, entry.id
                    ));
                }
                self.in_collection += 1;
                visit(Part::Record {
                    id: entry.id,
                    data: entry.data,
                    offset,
                })
            }
            EntryKind::Delete => fail("a deletion entry, which a backup never holds".to_owned()),
        }
    }

    /// The current collection is complete: its count must hold.
    fn close_collection(&mut self, offset: u64) -> Result<()> {
        if let Some(current) = self.plan.last()
            && current.records != self.in_collection
        {
            return Err(corrupt(
                self.path,
                offset,
                format!(
                    "collection {:?}: the backup says {} records but holds {}",
                    current.name, current.records, self.in_collection
                ),
            ));
        }
        if let Some(ids) = &mut self.ids {
            ids.clear();
        }
        self.in_collection = 0;
        Ok(())
    }
}
