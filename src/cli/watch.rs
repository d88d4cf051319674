//! `fluxdb watch`: follows a folder read-only and prints each change of
//! one collection as it is committed, until Ctrl+C or SIGTERM. On a server
//! it reads the collection's change stream and prints the same lines.

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

/// Looks at a server's change stream that may fail in a row (each resumes
/// from the position; one that cannot reach the server takes seconds).
#[cfg(feature = "mongodb")]
const FAILED_SERVER_LOOKS_TOLERATED: u32 = 3;

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

/// `fluxdb watch` on a MongoDB server: the collection's change stream,
/// printed as a folder's lines. `--since` takes the position an earlier
/// watch of the server printed when it ended (a resume token); that
/// position goes to stderr when this one ends, by a signal or a failure.
#[cfg(feature = "mongodb")]
pub fn watch_server(uri: &str, watch: &Watch<'_>, out: &mut impl Write) -> Outcome {
    use crate::mongo::{MongoServer, WatchPosition};

    let filter = match watch.filter {
        Some(text) => Some(Filter::parse(&parse_json("FILTER", text)?)?),
        None => None,
    };
    let since = match watch.since {
        Some(token) if token.parse::<LogPosition>().is_ok() => {
            return Err(Failure::Message(format!(
                "--since {token}: that is a folder's log position; on a MongoDB server give the position a watch of the server printed when it ended"
            )));
        }
        Some(token) => Some(WatchPosition::parse(token)?),
        None => None,
    };
    let stop = stop_on_signal()?;
    let server = MongoServer::connect(uri)?;
    let interval = Duration::from_millis(watch.interval_ms.max(1));
    let mut feed = server.watch(watch.collection, since, interval)?;
    let mut lines = LineOut::new(out);
    let mut failed_looks = 0;
    let mut ended = Ok(());
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let looked = server.next_changes(&mut feed, &mut |change| match server_change_line(
            change,
            filter.as_ref(),
        ) {
            Some(line) => lines.json(&line).and_then(|()| lines.flush()),
            None => Ok(()),
        });
        match lines.outcome::<_, Failure>(looked) {
            Ok(()) => failed_looks = 0,
            // Output that fails ends the watch at once.
            Err(Failure::Engine(_)) if failed_looks < FAILED_SERVER_LOOKS_TOLERATED => {
                failed_looks += 1
            }
            Err(e) => {
                ended = Err(e);
                break;
            }
        }
        sleep_unless_stopped(interval.saturating_sub(started.elapsed()), &stop);
    }
    let position = feed.position().map(ToString::to_string);
    server.close_watch(feed);
    if let Some(position) = position {
        let said = format!("position {position} (--since {position} goes on from there)");
        return match ended {
            Ok(()) => {
                // A closed stderr loses the position, not the watch's exit 0.
                let _ = writeln!(std::io::stderr(), "fluxdb: {said}");
                Ok(())
            }
            Err(Failure::Engine(e)) => Err(Failure::Message(format!("{e}; {said}"))),
            Err(other) => Err(other),
        };
    }
    ended
}

/// The line printed for a server's `change`, if the filter lets it
/// through: a folder's lines (a replacement is an update; an update whose
/// document the server no longer has prints nothing, its delete follows).
#[cfg(feature = "mongodb")]
fn server_change_line(
    change: crate::mongo::ServerChange,
    filter: Option<&Filter>,
) -> Option<Value> {
    use crate::mongo::ServerChange;

    let matches =
        |doc: &crate::engine::Document| filter.is_none_or(|f| f.matches_in(doc, ValueMode::Typed));
    Some(match change {
        ServerChange::Insert { id, doc } => {
            matches(&doc).then(|| json!({"op": "insert", "_id": id, "doc": doc}))?
        }
        ServerChange::Update { id, doc } => {
            let doc = doc?;
            matches(&doc).then(|| json!({"op": "update", "_id": id, "doc": doc}))?
        }
        // Without the document before (MongoDB without pre-images), a
        // delete is printed, as on a folder.
        ServerChange::Delete { id, before } => before
            .as_ref()
            .is_none_or(matches)
            .then(|| json!({"op": "delete", "_id": id}))?,
        ServerChange::Dropped => json!({"op": "drop"}),
    })
}

/// Without the `mongodb` feature a URI cannot be watched: say why.
#[cfg(not(feature = "mongodb"))]
pub fn watch_server(_uri: &str, _watch: &Watch<'_>, _out: &mut impl Write) -> Outcome {
    Err(super::server::no_server_support())
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
