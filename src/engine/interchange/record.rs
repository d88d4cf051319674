//! What a format reader hands up: a document with its line, or a failure that
//! says whether reading can go on after it.

use std::path::Path;

use crate::engine::Document;
use crate::error::Error;

/// A record that could not be read.
#[derive(Debug)]
pub(super) struct Failure {
    pub(super) error: Error,
    /// The reader has moved past the bad record and can read the next one.
    /// False for I/O errors and broken structure (an unclosed array, a string
    /// that never ends), where no next record can be found.
    pub(super) recoverable: bool,
}

impl Failure {
    /// A bad record the reader has skipped past.
    pub(super) fn bad_record(path: &Path, line: u64, message: impl Into<String>) -> Failure {
        Failure {
            error: import_line(path, line, message),
            recoverable: true,
        }
    }

    /// A problem after which nothing more can be read.
    pub(super) fn fatal_at(path: &Path, line: u64, message: impl Into<String>) -> Failure {
        Failure::fatal(import_line(path, line, message))
    }

    pub(super) fn fatal(error: Error) -> Failure {
        Failure {
            error,
            recoverable: false,
        }
    }
}

fn import_line(path: &Path, line: u64, message: impl Into<String>) -> Error {
    Error::ImportLine {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// One step of a format reader: `None` at the end of the input.
pub(super) type Step = Option<Result<(u64, Document), Failure>>;

/// Readers keep at most this much record buffer between records, so one huge
/// record does not pin its memory for the rest of the file.
pub(super) const KEPT_RECORD_CAPACITY: usize = 64 * 1024;

/// Empties a record buffer, giving back memory a big record left behind.
pub(super) fn reset_record_buffer(buffer: &mut Vec<u8>) {
    buffer.clear();
    if buffer.capacity() > KEPT_RECORD_CAPACITY {
        buffer.shrink_to(KEPT_RECORD_CAPACITY);
    }
}

/// The "too big" message, the same in every format.
pub(super) fn too_large_message(what: &str, limit: usize) -> String {
    format!(
        "the {what} is larger than the limit of {} (ReadOptions::max_record_bytes)",
        byte_size(limit)
    )
}

fn byte_size(bytes: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}
