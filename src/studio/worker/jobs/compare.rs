//! File > Compare with backup… on the worker: the engine's comparison,
//! keeping the first [`MAX_LISTED_DIFFERENCES`] records that differ (with
//! both versions, so chosen ones can be staged back) and counting the rest.

use std::path::{Path, PathBuf};

use crate::Result;
use crate::engine::{BackupComparison, BackupKind, RecordDiff};
use crate::interchange::CancelToken;
use crate::studio::format::format_count;
use crate::studio::worker::database::Database;

/// How many differing records a comparison keeps for the dialog: enough to
/// pick from by hand, few enough to keep memory and drawing small. The
/// counts cover every record.
pub const MAX_LISTED_DIFFERENCES: usize = 2000;

/// A finished comparison, as the dialog shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub path: PathBuf,
    pub report: BackupComparison,
    /// The first differences found, in backup order.
    pub diffs: Vec<RecordDiff>,
    /// Differences found beyond those listed.
    pub unlisted: u64,
    pub message: String,
}

/// Runs the comparison; `progress(bytes read, backup size)`.
pub(super) fn compare(
    db: &dyn Database,
    path: &Path,
    collection: Option<&str>,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Comparison> {
    let mut diffs = Vec::new();
    let mut unlisted = 0u64;
    let report = db.compare_with_backup(path, collection, cancel, progress, &mut |diff| {
        if diffs.len() < MAX_LISTED_DIFFERENCES {
            diffs.push(diff);
        } else {
            unlisted += 1;
        }
        Ok(())
    })?;
    let kind = match report.kind {
        BackupKind::Database => "database backup",
        BackupKind::Collection => "collection backup",
    };
    let differences = report.differences() as usize;
    let message = match differences {
        0 => format!(
            "The folder and the {kind} {} hold the same records",
            path.display()
        ),
        n => format!(
            "{} {} between the folder and the {kind} {}",
            format_count(n),
            if n == 1 {
                "record differs"
            } else {
                "records differ"
            },
            path.display()
        ),
    };
    Ok(Comparison {
        path: path.to_path_buf(),
        report,
        diffs,
        unlisted,
        message,
    })
}
