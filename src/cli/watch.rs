//! `fluxdb watch`: follows a folder read-only and prints each change of
//! one collection as it is committed, until Ctrl+C or SIGTERM.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::commands::open_read_only;
use super::failure::{Failure, Outcome};
use super::lines::LineOut;
use super::parse::parse_json;
use crate::Error;
use crate::engine::query::{Filter, ValueMode};
use crate::engine::{LogChange, LogPosition};

/// Looks that may fail in a row (a file caught between a writer's rename
/// and its sync, say) before watch gives up and reports the error.
const FAILED_LOOKS_TOLERATED: u32 = 20;

/// What `fluxdb watch` was asked.
pub struct Watch<'a> {
    pub collection: &'a str,
    pub filter: Option<&'a str>,
    pub interval_ms: u64,
    /// A log position token: print what changed since it first.
    pub since: Option<&'a str>,
}

pub fn watch(dir: &Path, watch: &Watch<'_>, out: &mut impl Write) -> Outcome {
    let collection = watch.collection;
    let filter = match watch.filter {
        Some(text) => Some(Filter::parse(&parse_json("FILTER", text)?)?),
        None => None,
    };
    let since: Option<LogPosition> = watch.since.map(str::parse).transpose()?;
    let stop = stop_on_signal()?;
    let mut db = open_read_only(dir, true)?;
    if !db.has_collection(collection) {
        return Err(Error::CollectionNotFound(collection.to_owned()).into());
    }
    let mut mode = db.value_mode(collection)?;
    let mut lines = LineOut::new(out);
    let print = |lines: &mut LineOut<_>, change: LogChange, mode: ValueMode| match change_line(
        change,
        filter.as_ref(),
        mode,
    ) {
        Some(line) => lines.json(&line).and_then(|()| lines.flush()),
        None => Ok(()),
    };
    if let Some(since) = &since {
        let told = db.changes_since(collection, since, &mut |change| {
            print(&mut lines, change, mode)
        });
        lines.outcome::<_, Failure>(told)?;
    }
    let interval = Duration::from_millis(watch.interval_ms.max(1));
    let mut failed_looks = 0;
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let looked = db
            .refresh_collection_each(collection, &mut |_, change| print(&mut lines, change, mode));
        let looked = lines.outcome::<_, Failure>(looked);
        match looked {
            Ok(_) => failed_looks = 0,
            // Output that fails ends the watch at once.
            Err(Failure::Engine(_)) if failed_looks < FAILED_LOOKS_TOLERATED => failed_looks += 1,
            Err(e) => return Err(e),
        }
        if let Ok(now) = db.value_mode(collection) {
            mode = now;
        }
        sleep_unless_stopped(interval.saturating_sub(started.elapsed()), &stop);
    }
    Ok(())
}

/// The line printed for `change`, if the filter lets it through.
fn change_line(change: LogChange, filter: Option<&Filter>, mode: ValueMode) -> Option<Value> {
    let matches = |doc: &crate::engine::Document| filter.is_none_or(|f| f.matches_in(doc, mode));
    Some(match change {
        LogChange::Insert { id, doc } => {
            matches(&doc).then(|| json!({"op": "insert", "_id": id, "doc": doc}))?
        }
        LogChange::Update { id, doc, .. } => {
            matches(&doc).then(|| json!({"op": "update", "_id": id, "doc": doc}))?
        }
        LogChange::Delete { id, before } => {
            // Without its last version (never, for a record the follower
            // knew) a delete is printed: better one line too many.
            before
                .as_ref()
                .is_none_or(matches)
                .then(|| json!({"op": "delete", "_id": id}))?
        }
        LogChange::Created => json!({"op": "create"}),
        LogChange::Dropped => json!({"op": "drop"}),
        LogChange::Cleared => json!({"op": "clear"}),
        LogChange::Replaced => json!({"op": "replace"}),
    })
}

/// A flag raised by Ctrl+C (SIGINT) or SIGTERM, so that watch ends its
/// look, flushes and exits 0 instead of dying in the middle of a line.
fn stop_on_signal() -> Result<Arc<AtomicBool>, Failure> {
    let stop = Arc::new(AtomicBool::new(false));
    let raised = stop.clone();
    ctrlc::set_handler(move || raised.store(true, Ordering::Relaxed))
        .map_err(|e| Failure::Message(format!("cannot handle Ctrl+C: {e}")))?;
    Ok(stop)
}

fn sleep_unless_stopped(duration: Duration, stop: &AtomicBool) {
    let until = Instant::now() + duration;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(20)));
    }
}
