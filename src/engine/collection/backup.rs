//! One-collection backups (the seed's export/import): writing a
//! collection's backup file, reading one through as a stream (what an
//! import checks, and what a comparison with a backup reads), and writing
//! a checked one back as a collection file. The header helpers serve
//! database backups too (`database/backup_read.rs`).
//!
//! A backup is a native file of kind `Backup`: a Meta entry (collection
//! name, index definitions, record count) then every record, as one batch
//! group. Import reads and checks all of it (checksums, the group's final
//! batch, the count, every document decodes, no duplicate id) before the
//! collection file is replaced by a single rename.

use std::collections::HashSet;
use std::fs::File;
use std::io::Write;
use std::path::Path;

use super::meta::initial_restored_file;
use super::native::NativeCollection;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::storage::durable::ReplaceFailure;
use crate::engine::storage::native::{
    self, EntryKind, FileHeader, FileKind, GroupWriter, ScanEvent,
};
use crate::engine::storage::{Compression, RecordCodec, durable};
use crate::error::{Error, IoContext, Result};

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct BackupMeta {
    collection: String,
    indexed_fields: Vec<String>,
    records: u64,
}

/// Writes `collection` to `target` (atomically: a `.tmp` then a rename).
pub(crate) fn export_collection(c: &NativeCollection, name: &str, target: &Path) -> Result<()> {
    let meta = serde_json::to_vec(&BackupMeta {
        collection: name.to_owned(),
        indexed_fields: c.indexed_fields().to_vec(),
        records: c.len() as u64,
    })
    .map_err(|e| Error::RecordEncoding(e.to_string()))?;
    // A backup is stored as the collection is, so it keeps the setting.
    let compression = c.compression();
    let header = native::FileHeader {
        kind: FileKind::Backup,
        compression,
        codec: c.codec_name().to_owned(),
    }
    .encode();
    let mut meta_entry = Vec::new();
    native::push_entry(&mut meta_entry, EntryKind::Meta, "", &meta)?;
    durable::replace_file(target, |out| {
        out.write_all(&header).at(target)?;
        let mut group =
            GroupWriter::with_compression(out, header.len() as u64, 0, compression).at(target)?;
        group.push(&meta_entry).at(target)?;
        c.for_each_entry(|entry| group.push(entry).map(drop).at(target))?;
        group.finish().at(target)?;
        Ok(())
    })
}

/// A backup that passed every check, ready to become a collection.
pub(crate) struct CheckedBackup {
    pub indexed_fields: Vec<String>,
    /// How the collection was stored: the new file is stored the same way.
    pub compression: Compression,
    /// `(id, encoded document)` in order.
    records: Vec<(Box<str>, Vec<u8>)>,
}

/// Reads and checks a whole backup file, stopping with
/// [`Error::Cancelled`] soon after `cancel` fires.
pub(crate) fn read_backup(
    path: &Path,
    codec: &dyn RecordCodec,
    cancel: Option<&CancelToken>,
) -> Result<CheckedBackup> {
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    let scanned = scan_backup(path, codec, cancel, &mut |part| {
        let BackupPart::Record { id, data, offset } = part else {
            return Ok(());
        };
        if !seen.insert(Box::<str>::from(id)) {
            return Err(backup_corrupt(
                path,
                offset,
                format!("duplicate _id {id:?}"),
            ));
        }
        codec
            .decode(id, data)
            .map_err(|err| backup_corrupt(path, offset, format!("record {id:?}: {err}")))?;
        records.push((id.into(), data.to_vec()));
        Ok(())
    })?;
    Ok(CheckedBackup {
        indexed_fields: scanned.indexed_fields,
        compression: scanned.compression,
        records,
    })
}

/// What a one-collection backup says of itself.
pub(crate) struct BackupSummary {
    /// The collection it was made from.
    pub collection: String,
    pub indexed_fields: Vec<String>,
    pub records: u64,
    pub compression: Compression,
}

/// A part of a backup as [`scan_backup`] reads it.
pub(crate) enum BackupPart<'a> {
    /// The metadata entry, before any record.
    Collection(&'a BackupSummary),
    /// A record as stored (checked by its batch's or block's checksum, not
    /// decoded), with the file offset errors name.
    Record {
        id: &'a str,
        data: &'a [u8],
        offset: u64,
    },
}

/// Reads a one-collection backup through in one pass, handing `visit` its
/// metadata then each record, in bounded memory (one batch or block). The
/// header is checked first (kind, codec); the end is checked last (a
/// damaged or incomplete tail, the record count), so a visitor that acts
/// before the end learns of damage there as this function's error. Stops
/// with [`Error::Cancelled`] soon after `cancel` fires.
pub(crate) fn scan_backup(
    path: &Path,
    codec: &dyn RecordCodec,
    cancel: Option<&CancelToken>,
    visit: &mut dyn FnMut(BackupPart<'_>) -> Result<()>,
) -> Result<BackupSummary> {
    let mut cancel = CancelCheck::new(cancel);
    let (file, header) = open_backup(path, "this is not a FluxDB backup made by export")?;
    match header.kind {
        FileKind::Backup => {}
        FileKind::Collection => {
            return Err(backup_corrupt(
                path,
                10,
                "a collection file, not a backup (copy it instead)",
            ));
        }
        FileKind::DatabaseBackup => {
            return Err(backup_corrupt(
                path,
                10,
                "a backup of a whole database, not of one collection (restore it instead)",
            ));
        }
    }
    check_backup_codec(&header, path, codec, "backup")?;
    let mut summary: Option<BackupSummary> = None;
    let mut records = 0u64;
    let outcome = native::scan(&file, path, &HashSet::new(), |event| {
        // An incomplete backup is refused below (the tail is reported).
        let ScanEvent::Entry(entry, place) = event else {
            return Ok(());
        };
        cancel.tick()?;
        let offset = place.offset();
        // Each entry's own checksum too, as restore checks it.
        native::parse_entry(entry.raw).map_err(|reason| backup_corrupt(path, offset, reason))?;
        match (summary.is_some(), entry.kind) {
            (false, EntryKind::Meta) => {
                let meta: BackupMeta = serde_json::from_slice(entry.data).map_err(|e| {
                    backup_corrupt(path, offset, format!("bad backup metadata: {e}"))
                })?;
                let found = summary.insert(BackupSummary {
                    collection: meta.collection,
                    indexed_fields: meta.indexed_fields,
                    records: meta.records,
                    compression: header.compression,
                });
                visit(BackupPart::Collection(found))
            }
            (false, _) => Err(backup_corrupt(
                path,
                native::HEADER_LEN,
                "the backup has no metadata entry",
            )),
            (true, EntryKind::Put) => {
                records += 1;
                visit(BackupPart::Record {
                    id: entry.id,
                    data: entry.data,
                    offset,
                })
            }
            (true, _) => Err(backup_corrupt(path, offset, "unexpected entry in a backup")),
        }
    })
    .map_err(|e| match e {
        Error::Corrupt {
            reason, offset: 0, ..
        } => backup_corrupt(
            path,
            0,
            format!("{reason}; this is not a FluxDB backup made by export"),
        ),
        other => other,
    })?;
    if let Some(d) = outcome.dropped {
        return Err(backup_corrupt(
            path,
            d.offset,
            format!("the backup is damaged or incomplete: {}", d.reason),
        ));
    }
    let Some(summary) = summary else {
        return Err(backup_corrupt(
            path,
            native::HEADER_LEN,
            "the backup has no metadata entry",
        ));
    };
    if records != summary.records {
        return Err(backup_corrupt(
            path,
            0,
            format!(
                "the backup says {} records but holds {records}",
                summary.records
            ),
        ));
    }
    Ok(summary)
}

/// Opens a backup file (of either kind) and reads its header, so its kind
/// and codec are known before any entry is read. `not_a_backup` ends the
/// message for a file that is no FluxDB file at all.
pub(crate) fn open_backup(path: &Path, not_a_backup: &str) -> Result<(File, FileHeader)> {
    let file = File::open(path).at(path)?;
    let mut bytes = [0u8; native::HEADER_LEN as usize];
    let n = durable::read_at_most(&file, &mut bytes, 0).at(path)?;
    let header = FileHeader::decode(&bytes[..n], path).map_err(|e| match e {
        Error::Corrupt { reason, .. } => {
            backup_corrupt(path, 0, format!("{reason}; {not_a_backup}"))
        }
        other => other,
    })?;
    Ok((file, header))
}

/// A backup is read with the codec it was written with: the database's.
pub(crate) fn check_backup_codec(
    header: &FileHeader,
    path: &Path,
    codec: &dyn RecordCodec,
    what: &str,
) -> Result<()> {
    if header.codec == codec.name() {
        return Ok(());
    }
    Err(Error::UnsupportedFormat {
        collection: path.display().to_string(),
        format: format!("{what} with the {} codec", header.codec),
        reason: format!("the database uses the {} codec", codec.name()),
    })
}

pub(crate) fn backup_corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> Error {
    Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason: reason.into(),
    }
}

/// Builds the collection file from a checked backup and renames it into place.
/// Writes `backup` as the collection file at `path`, replacing it
/// atomically; stopping with [`Error::Cancelled`] before the switch when
/// `cancel` fires (the old file then stays).
pub(crate) fn write_collection_from_backup(
    path: &Path,
    codec: &dyn RecordCodec,
    backup: CheckedBackup,
    cancel: Option<&CancelToken>,
) -> std::result::Result<(), ReplaceFailure> {
    let mut cancel = CancelCheck::new(cancel);
    let start = initial_restored_file(codec.name(), &backup.indexed_fields, backup.compression)
        .map_err(|error| ReplaceFailure {
            error,
            renamed: false,
        })?;
    durable::replace_file_reporting(path, |out| {
        out.write_all(&start).at(path)?;
        let mut group =
            GroupWriter::with_compression(out, start.len() as u64, 0, backup.compression)
                .at(path)?;
        let mut entry = Vec::new();
        for (id, data) in &backup.records {
            cancel.tick()?;
            entry.clear();
            native::push_entry(&mut entry, EntryKind::Put, id, data)?;
            group.push(&entry).at(path)?;
        }
        group.finish().at(path)?;
        Ok(())
    })
}
