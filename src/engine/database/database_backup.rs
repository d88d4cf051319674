//! A backup of a whole database in one file (FORMAT.md, "A database
//! backup"), and how it is restored (the restore itself: `restore.rs`).
//!
//! The file is a native file of kind `DatabaseBackup`: per collection one
//! batch group (a Meta entry naming it with its index definitions and record
//! count, then its records), then an End group with the totals. Restore
//! reads and checks all of it first (every checksum, every document, every
//! count, the End group), writes each collection's new file beside the old
//! one (`<name>.fdb.restore`, fsynced), and only then switches: it writes
//! `restore.journal` naming the collections, renames each new file over the
//! old, and removes the journal. A crash before the journal leaves the old
//! database (the next writer removes the staged files); a crash after it is
//! finished by the next writer to open the folder (readers meanwhile see
//! the restored files). So a restore is all or nothing across collections.

use std::io::Write;
use std::path::Path;

use super::fluxdb::FluxDB;
use crate::engine::storage::native::{self, EntryKind, FileKind, GroupWriter};
use crate::engine::storage::{Compression, durable};
use crate::error::{Error, IoContext, Result};

/// The Meta entry that opens each part of a database backup.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum Section {
    /// A collection's records follow.
    Collection {
        name: String,
        indexed_fields: Vec<String>,
        records: u64,
        /// How the collection was stored; absent (none) in older backups.
        #[serde(default, skip_serializing_if = "Compression::is_none")]
        compression: Compression,
    },
    /// The last entry of the file: what it holds in all.
    End { collections: u64, records: u64 },
}

/// What `backup_database` wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupReport {
    pub collections: Vec<String>,
    pub records: u64,
    pub bytes: u64,
}

impl FluxDB {
    /// Writes every collection, with its index definitions, into one file
    /// (replaced atomically). `progress(records done, total)`.
    pub fn backup_database(
        &self,
        file: impl AsRef<Path>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<BackupReport> {
        let file = file.as_ref();
        self.check_export_target(file)?;
        let mut stores = Vec::new();
        for name in self.collections.keys() {
            stores.push((name.as_str(), self.store(name)?));
        }
        let total: u64 = stores.iter().map(|(_, s)| s.len() as u64).sum();
        let codec = self.codec.as_ref();
        let header = native::FileHeader {
            kind: FileKind::DatabaseBackup,
            compression: Compression::None,
            codec: codec.name().to_owned(),
        }
        .encode();
        let mut done = 0u64;
        let bytes = durable::replace_file(file, |out| {
            out.write_all(&header).at(file)?;
            let mut at = header.len() as u64;
            let mut entry = Vec::with_capacity(256);
            for (name, store) in &stores {
                let expected = store.len() as u64;
                let meta = Section::Collection {
                    name: (*name).to_owned(),
                    indexed_fields: store.indexed_fields().to_vec(),
                    records: expected,
                    compression: store.compression(),
                };
                let mut group = GroupWriter::new(&mut *out, at, 0);
                group.push(&meta_entry(&meta)?).at(file)?;
                let mut written = 0u64;
                store.for_each_encoded(codec, &mut |id, data| {
                    entry.clear();
                    native::push_entry(&mut entry, EntryKind::Put, id, data)?;
                    group.push(&entry).at(file)?;
                    written += 1;
                    done += 1;
                    if done.is_multiple_of(4096) {
                        progress(done, total);
                    }
                    Ok(())
                })?;
                if written != expected {
                    return Err(Error::Transaction(format!(
                        "collection {name:?} changed during the backup ({written} records, expected {expected})"
                    )));
                }
                at = group.finish().at(file)?.1;
            }
            let end = Section::End {
                collections: stores.len() as u64,
                records: done,
            };
            let mut group = GroupWriter::new(&mut *out, at, 0);
            group.push(&meta_entry(&end)?).at(file)?;
            Ok(group.finish().at(file)?.1)
        })?;
        progress(done, total);
        Ok(BackupReport {
            collections: stores.iter().map(|(n, _)| (*n).to_owned()).collect(),
            records: done,
            bytes,
        })
    }
}

pub(super) fn meta_entry(section: &Section) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(section).map_err(|e| Error::RecordEncoding(e.to_string()))?;
    let mut entry = Vec::new();
    native::push_entry(&mut entry, EntryKind::Meta, "", &json)?;
    Ok(entry)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn section_records_are_tagged_json() -> Result<()> {
        let section = Section::Collection {
            name: "users".to_owned(),
            indexed_fields: vec!["age".to_owned()],
            records: 2,
            compression: Compression::None,
        };
        let json: serde_json::Value =
            serde_json::to_value(&section).map_err(|e| Error::RecordEncoding(e.to_string()))?;
        assert_eq!(
            json,
            json!({"collection": {"name": "users", "indexed_fields": ["age"], "records": 2}}),
            "an uncompressed collection's section is as before compression existed"
        );
        let compressed = json!({"collection": {"name": "logs", "indexed_fields": [], "records": 0, "compression": "zstd:7"}});
        let section: Section = serde_json::from_value(compressed.clone())
            .map_err(|e| Error::RecordEncoding(e.to_string()))?;
        assert!(matches!(
            &section,
            Section::Collection {
                compression: Compression::Zstd { level: 7 },
                ..
            }
        ));
        let json =
            serde_json::to_value(&section).map_err(|e| Error::RecordEncoding(e.to_string()))?;
        assert_eq!(json, compressed);
        let end = serde_json::to_value(Section::End {
            collections: 1,
            records: 2,
        })
        .map_err(|e| Error::RecordEncoding(e.to_string()))?;
        assert_eq!(end, json!({"end": {"collections": 1, "records": 2}}));
        Ok(())
    }
}
