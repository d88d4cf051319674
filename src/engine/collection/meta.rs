//! The collection file's Meta entry (its index definitions: FORMAT.md, the
//! `meta` entry of "A collection file", and invariant 5) and the first
//! bytes of a new file: the header, any zstd dictionary, and a Meta entry.

use std::path::Path;

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
}

pub(super) fn parse_meta(entry: EntryRef<'_>, offset: u64, path: &Path) -> Result<Vec<String>> {
    let meta: CollectionMeta = serde_json::from_slice(entry.data).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        offset,
        reason: format!("collection metadata is not valid JSON: {e}"),
    })?;
    Ok(meta.indexed_fields)
}

pub(super) fn encode_meta(indexed_fields: &[String]) -> Result<Vec<u8>> {
    serde_json::to_vec(&CollectionMeta {
        indexed_fields: indexed_fields.to_vec(),
        file_id: None,
    })
    .map_err(|e| Error::RecordEncoding(e.to_string()))
}

/// A new file: header and a Meta entry with the index definitions.
pub(crate) fn initial_file(
    codec: &str,
    kind: FileKind,
    indexed_fields: &[String],
    compression: Compression,
) -> Result<Vec<u8>> {
    initial_file_with_dictionary(codec, kind, indexed_fields, compression, None)
}

/// Like [`initial_file`], with a dictionary section after the header (a
/// zstd collection file) and the Meta entry compressed with it.
pub(super) fn initial_file_with_dictionary(
    codec: &str,
    kind: FileKind,
    indexed_fields: &[String],
    compression: Compression,
    dictionary: Option<&Dictionary>,
) -> Result<Vec<u8>> {
    let header = FileHeader {
        kind,
        compression,
        codec: codec.to_owned(),
    };
    let out = header.encode_with_dictionary(dictionary);
    let first_meta = CollectionMeta {
        indexed_fields: indexed_fields.to_vec(),
        file_id: (kind == FileKind::Collection).then(|| uuid::Uuid::new_v4().to_string()),
    };
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
