//! `fluxdb diff BACKUP [COLL]`: the folder beside a backup, one JSON line
//! per record that differs. Its exit status is diff(1)'s: 0 when nothing
//! differs, 1 when something does, 2 when the comparison failed (1 is
//! taken by "differences", so a failure cannot be 1 as elsewhere).

use std::io::Write;
use std::path::Path;

use serde_json::{Map, Value};

use super::commands::open_read_only;
use super::failure::Failure;
use super::lines::LineOut;
use crate::engine::diff::FieldChange;
use crate::engine::{CancelToken, RecordDiff};

/// Prints the differences; `Ok(true)` when there were any.
pub fn diff(
    dir: &Path,
    backup: &Path,
    collection: Option<&str>,
    out: &mut impl Write,
) -> Result<bool, Failure> {
    let db = open_read_only(dir, true)?;
    if !backup.is_file() {
        return Err(Failure::Message(format!(
            "{}: no such backup file",
            backup.display()
        )));
    }
    let mut lines = LineOut::new(out);
    let compared = db.compare_with_backup(
        backup,
        collection,
        &CancelToken::new(),
        &mut |_, _| {},
        &mut |diff| lines.json(&diff_line(&diff)),
    );
    Ok(lines.outcome::<_, Failure>(compared)?.differences() > 0)
}

/// `{"collection", "_id", "status", "changes": [{"path", "folder", "backup"}]}`,
/// a side that lacks the field without its key.
fn diff_line(diff: &RecordDiff) -> Value {
    let mut line = Map::new();
    line.insert("collection".into(), diff.collection.clone().into());
    line.insert("_id".into(), diff.id.clone().into());
    line.insert("status".into(), diff.status.as_str().into());
    let changes = diff.changes.iter().map(change_object).collect();
    line.insert("changes".into(), Value::Array(changes));
    Value::Object(line)
}

fn change_object(change: &FieldChange) -> Value {
    let mut object = Map::new();
    object.insert("path".into(), change.path.clone().into());
    if let Some(folder) = &change.before {
        object.insert("folder".into(), folder.clone());
    }
    if let Some(backup) = &change.after {
        object.insert("backup".into(), backup.clone());
    }
    Value::Object(object)
}
