//! One-collection backups (the seed's export/import): writing a
//! collection's backup file, and checking one and writing it back as a
//! collection file.
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
use crate::engine::storage::native::{self, EntryKind, FileKind, GroupWriter, Place, ScanEvent};
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

/// An entry of a backup as scanned, before its document is checked.
struct BackupEntry {
    kind: EntryKind,
    id: Box<str>,
    place: Place,
    len: u32,
    /// The entry's data, kept when it cannot be read again by its offset
    /// (a meta entry, or any entry of a compressed backup).
    data: Option<Vec<u8>>,
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
    let mut cancel = CancelCheck::new(cancel);
    let file = File::open(path).at(path)?;
    let corrupt = |offset: u64, reason: String| Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason,
    };
    let mut entries: Vec<BackupEntry> = Vec::new();
    let outcome = native::scan(&file, path, &HashSet::new(), |event| {
        match event {
            ScanEvent::Entry(e, place) => {
                cancel.tick()?;
                let keep = e.kind == EntryKind::Meta || matches!(place, Place::Block { .. });
                entries.push(BackupEntry {
                    kind: e.kind,
                    id: e.id.into(),
                    place,
                    len: e.len as u32,
                    data: keep.then(|| e.data.to_vec()),
                });
            }
            // An incomplete backup is refused below (the tail is reported).
            ScanEvent::GroupStart | ScanEvent::GroupDiscarded => {}
        }
        Ok(())
    })
    .map_err(|e| match e {
        Error::Corrupt {
            reason, offset: 0, ..
        } => corrupt(
            0,
            format!("{reason}; this is not a FluxDB backup made by export"),
        ),
        other => other,
    })?;
    match outcome.header.kind {
        FileKind::Backup => {}
        FileKind::Collection => {
            return Err(corrupt(
                10,
                "a collection file, not a backup (copy it instead)".to_owned(),
            ));
        }
        FileKind::DatabaseBackup => {
            return Err(corrupt(
                10,
                "a backup of a whole database, not of one collection (restore it instead)"
                    .to_owned(),
            ));
        }
    }
    if let Some(d) = outcome.dropped {
        return Err(corrupt(
            d.offset,
            format!("the backup is damaged or incomplete: {}", d.reason),
        ));
    }
    if outcome.header.codec != codec.name() {
        return Err(Error::UnsupportedFormat {
            collection: path.display().to_string(),
            format: format!("backup with the {} codec", outcome.header.codec),
            reason: format!("the database uses the {} codec", codec.name()),
        });
    }
    let mut entries = entries.into_iter();
    let (meta_offset, meta) = match entries.next() {
        Some(BackupEntry {
            kind: EntryKind::Meta,
            place,
            data,
            ..
        }) => (place.offset(), data.unwrap_or_default()),
        _ => {
            return Err(corrupt(
                native::HEADER_LEN,
                "the backup has no metadata entry".to_owned(),
            ));
        }
    };
    let meta: BackupMeta = serde_json::from_slice(&meta)
        .map_err(|e| corrupt(meta_offset, format!("bad backup metadata: {e}")))?;
    let mut records = Vec::with_capacity(meta.records.min(1 << 24) as usize);
    let mut seen = HashSet::new();
    let mut buf = Vec::new();
    for BackupEntry {
        kind,
        id,
        place,
        len,
        data,
    } in entries
    {
        cancel.tick()?;
        let offset = place.offset();
        if kind != EntryKind::Put {
            return Err(corrupt(offset, "unexpected entry in a backup".to_owned()));
        }
        if !seen.insert(id.clone()) {
            return Err(corrupt(offset, format!("duplicate _id {id:?}")));
        }
        let data = match data {
            // Its block's checksum held when it was read.
            Some(data) => data,
            None => {
                native::read_entry(&file, path, offset, len, &mut buf)?;
                let entry = native::parse_entry(&buf).map_err(|r| corrupt(offset, r))?;
                entry.data.to_vec()
            }
        };
        codec
            .decode(&id, &data)
            .map_err(|err| corrupt(offset, format!("record {id:?}: {err}")))?;
        records.push((id, data));
    }
    if records.len() as u64 != meta.records {
        return Err(corrupt(
            0,
            format!(
                "the backup says {} records but holds {}",
                meta.records,
                records.len()
            ),
        ));
    }
    Ok(CheckedBackup {
        indexed_fields: meta.indexed_fields,
        compression: outcome.header.compression,
        records,
    })
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
