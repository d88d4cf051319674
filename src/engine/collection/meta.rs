//! The collection file's Meta entry (its index definitions: FORMAT.md, the
//! `meta` entry of "A collection file", and invariant 5) and the first
//! bytes of a new file: the header, any zstd dictionary, and a Meta entry.

use std::path::Path;

use super::position::LogPosition;
use crate::engine::storage::compress::{Compression, Dictionary};
use crate::engine::storage::native::{
    self, EntryKind, EntryRef, FileHeader, FileKind, GroupWriter,
};
use crate::error::{Error, Result};

/// Metadata kept in the collection file itself: the data of its `meta`
/// entries (see FORMAT.md, "A collection file", and invariant 5).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct CollectionMeta {
    #[serde(default)]
    pub indexed_fields: Vec<String>,
    /// Random, in the first Meta entry of every new file: no two files
    /// begin with the same batch, which is what tells a checkpoint whose
    /// file it is (FORMAT.md, "Checkpoints"). Older readers ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_id: Option<String>,
    /// In the first Meta entry of a file that compaction or a change of
    /// compression wrote: the position in the file it replaced that its
    /// snapshot is the state at, so a follower goes on from there without
    /// losing or repeating a change (FORMAT.md, "Following a live file");
    /// then the positions that one continued, while no write came between
    /// (at most [`MAX_CONTINUED`]). Older readers ignore it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub continues: Vec<LogPosition>,
    /// With `continues`: the snapshot also holds writes that never reached
    /// the old file (a first flush that trains a dictionary writes the
    /// file whole), so a follower compares instead of going on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub snapshot_has_writes: bool,
    /// With `continues`: the records of the snapshot, the group right
    /// after this Meta entry's (none when 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_records: Option<u64>,
    /// In the first Meta entry of a file written from a backup (import,
    /// restore): a follower tells it as a replacement, not as a clear.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restored: bool,
}

pub(super) fn parse_meta(entry: EntryRef<'_>, offset: u64, path: &Path) -> Result<Vec<String>> {
    Ok(parse_meta_data(entry.data, offset, path)?.indexed_fields)
}

pub(super) fn parse_meta_data(data: &[u8], offset: u64, path: &Path) -> Result<CollectionMeta> {
    serde_json::from_slice(data).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason: format!("collection metadata is not valid JSON: {e}"),
    })
}

pub(super) fn encode_meta(indexed_fields: &[String]) -> Result<Vec<u8>> {
    serde_json::to_vec(&CollectionMeta {
        indexed_fields: indexed_fields.to_vec(),
        file_id: None,
        continues: Vec::new(),
        snapshot_has_writes: false,
        snapshot_records: None,
        restored: false,
    })
    .map_err(|e| Error::RecordEncoding(e.to_string()))
}

/// Positions a rewritten file names as continued: a chain of rewrites
/// with no write between them stays followable this far back.
pub(super) const MAX_CONTINUED: usize = 8;

/// What a rewritten file's first Meta entry says of the file it replaces.
#[derive(Debug, Clone)]
pub(super) struct Continuation {
    /// Where in the old file the snapshot is the state (and the positions
    /// that file continued with no write since).
    pub at: Vec<LogPosition>,
    /// The snapshot holds writes that never reached the old file.
    pub has_writes: bool,
    /// Records in the snapshot.
    pub records: u64,
}

/// Where a new file's records come from, as its first Meta entry says.
pub(super) enum NewFile {
    /// None yet (a new or cleared collection).
    Empty,
    /// A backup's (import, restore).
    Restored,
    /// The file it replaces (compaction, a change of compression).
    Rewritten(Continuation),
}

/// A new file: header and a Meta entry with the index definitions.
pub(crate) fn initial_file(
    codec: &str,
    kind: FileKind,
    indexed_fields: &[String],
    compression: Compression,
) -> Result<Vec<u8>> {
    initial_file_with_dictionary(
        codec,
        kind,
        indexed_fields,
        compression,
        None,
        NewFile::Empty,
    )
}

/// [`initial_file`] of a collection whose records come from a backup.
pub(crate) fn initial_restored_file(
    codec: &str,
    indexed_fields: &[String],
    compression: Compression,
) -> Result<Vec<u8>> {
    initial_file_with_dictionary(
        codec,
        FileKind::Collection,
        indexed_fields,
        compression,
        None,
        NewFile::Restored,
    )
}

/// Like [`initial_file`], with a dictionary section after the header (a
/// zstd collection file) and the Meta entry compressed with it, saying
/// where the records that follow come from (FORMAT.md, "Following a live
/// file").
pub(super) fn initial_file_with_dictionary(
    codec: &str,
    kind: FileKind,
    indexed_fields: &[String],
    compression: Compression,
    dictionary: Option<&Dictionary>,
    origin: NewFile,
) -> Result<Vec<u8>> {
    let header = FileHeader {
        kind,
        compression,
        codec: codec.to_owned(),
    };
    let out = header.encode_with_dictionary(dictionary);
    let mut first_meta = CollectionMeta {
        indexed_fields: indexed_fields.to_vec(),
        file_id: (kind == FileKind::Collection).then(|| uuid::Uuid::new_v4().to_string()),
        restored: matches!(origin, NewFile::Restored),
        ..CollectionMeta::default()
    };
    if let NewFile::Rewritten(continuation) = origin {
        first_meta.snapshot_has_writes = continuation.has_writes;
        first_meta.snapshot_records = Some(continuation.records);
        first_meta.continues = continuation.at;
    }
    let meta = serde_json::to_vec(&first_meta).map_err(|e| Error::RecordEncoding(e.to_string()))?;
    let mut entry = Vec::new();
    native::push_entry(&mut entry, EntryKind::Meta, "", &meta)?;
    let encoding = |e: std::io::Error| Error::RecordEncoding(format!("a new file: {e}"));
    let at = out.len() as u64;
    let mut group =
        GroupWriter::with_dictionary(out, at, 0, compression, dictionary).map_err(encoding)?;
    group.push(&entry).map_err(encoding)?;
    Ok(group.finish().map_err(encoding)?.0)
}
