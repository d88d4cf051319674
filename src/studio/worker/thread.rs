//! The worker thread: it owns the engine, so the UI thread never calls it.
//!
//! The UI sends [`Request`]s (each with an id) through a channel and receives
//! [`Event`]s; after every event the worker asks for a repaint. Requests for
//! the same [`Slot`] supersede each other: a queued older one is dropped here,
//! and a late answer to an older one is dropped by the UI state. An engine
//! panic is caught, reported as an error, and the folder reopened, so the app
//! keeps running. [`WorkerHandle`] is the UI's end; `Worker` serves the queue
//! on the thread and runs each request through the [`Database`] seam.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc as std_mpsc;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::mpsc as tokio_mpsc;

use super::database::{Database, OpenMode, OpenedFolder, Opener};
use super::jobs::{self, ManageEvent};
use super::messages::{Event, EventKind, LiveUpdate, Request, RequestId, RequestKind, Slot};
use crate::backend::Location;
use crate::interchange::CancelToken;

/// Called after every event, from the worker thread (egui's `request_repaint`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

/// Builds the sample database's records into a fresh folder; `sample.rs`
/// provides the real one, tests their own.
pub type SampleBuilder = Arc<dyn Fn(&mut dyn Database) -> crate::Result<()> + Send + Sync>;

/// How often a long analysis tells the UI how far it got.
const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

enum Message {
    Run(Request),
    /// Drop everything queued; the answer to the running request is ignored
    /// by the UI.
    Cancel,
}

/// The read the worker is running, shared with the handle: Cancel and a
/// newer request for the same view fire its token, so the engine stops the
/// scan within a few thousand records instead of finishing work nobody will
/// look at, and the worker is free for the request that matters.
#[derive(Clone, Default)]
struct RunningRead(Arc<Mutex<Option<(Slot, CancelToken)>>>);

impl RunningRead {
    fn start(&self, slot: Slot) -> CancelToken {
        let token = CancelToken::new();
        *self.lock() = Some((slot, token.clone()));
        token
    }

    /// Runs with the request's own token, so the UI can stop it too.
    fn start_with(&self, slot: Slot, token: CancelToken) {
        *self.lock() = Some((slot, token));
    }

    fn finish(&self) {
        *self.lock() = None;
    }

    fn cancel_if(&self, unwanted: impl Fn(&Slot) -> bool) {
        if let Some((slot, token)) = self.lock().as_ref()
            && unwanted(slot)
        {
            token.cancel();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<(Slot, CancelToken)>> {
        // Every write is one assignment, so a poisoned lock holds a whole value.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The UI's end of the worker: send requests, poll events. Never blocks.
pub struct WorkerHandle {
    running: RunningRead,
    opener: Arc<dyn Opener + Sync>,
    sample: SampleBuilder,
    notify: Notify,
    channels: Option<Channels>,
    /// The last folder a request opened, so a restarted worker reopens it.
    last_open: Option<RequestKind>,
}

struct Channels {
    requests: tokio_mpsc::UnboundedSender<Message>,
    events: std_mpsc::Receiver<Event>,
}

impl WorkerHandle {
    pub fn new(opener: Arc<dyn Opener + Sync>, sample: SampleBuilder, notify: Notify) -> Self {
        WorkerHandle {
            running: RunningRead::default(),
            opener,
            sample,
            notify,
            channels: None,
            last_open: None,
        }
    }

    /// Sends a request, starting the worker thread if it is not running.
    /// If the thread cannot start, the failure comes back as an event.
    pub fn send(&mut self, request: Request) -> Option<Event> {
        if matches!(
            request.kind,
            RequestKind::Open { .. } | RequestKind::OpenSample { .. }
        ) {
            self.last_open = Some(request.kind.clone());
        } else if request.kind == RequestKind::Close {
            self.last_open = None;
        }
        let channels = match self.channels.take() {
            Some(channels) => channels,
            None => match self.spawn() {
                Ok(channels) => channels,
                Err(why) => {
                    return Some(Event {
                        id: request.id,
                        kind: EventKind::Failed {
                            what: request.kind.describe(),
                            why,
                        },
                    });
                }
            },
        };
        let slot = request.kind.slot();
        // The read running for this view (or for the folder being left) is
        // answered for nobody any more.
        self.running.cancel_if(|running| {
            *running == slot || slot == Slot::Folder || *running == Slot::Warm
        });
        let id = request.id;
        let what = request.kind.describe();
        let sent = channels.requests.send(Message::Run(request));
        self.channels = Some(channels);
        match sent {
            Ok(()) => None,
            Err(_) => Some(Event {
                id,
                kind: EventKind::Failed {
                    what,
                    why: "the worker thread has stopped; try again".to_owned(),
                },
            }),
        }
    }

    /// Drops the queued requests and stops the running read.
    pub fn cancel(&self) {
        self.running.cancel_if(|_| true);
        if let Some(channels) = &self.channels {
            // A worker that is gone has nothing to cancel.
            let _ = channels.requests.send(Message::Cancel);
        }
    }

    /// The events that arrived since the last poll. A worker that died is
    /// reported once and restarted (reopening its folder) on the next send.
    pub fn poll(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        let Some(channels) = &self.channels else {
            return events;
        };
        loop {
            match channels.events.try_recv() {
                Ok(event) => events.push(event),
                Err(std_mpsc::TryRecvError::Empty) => break,
                Err(std_mpsc::TryRecvError::Disconnected) => {
                    self.channels = None;
                    events.push(Event {
                        id: 0,
                        kind: EventKind::Stopped {
                            why: "the worker thread stopped unexpectedly".to_owned(),
                        },
                    });
                    break;
                }
            }
        }
        events
    }

    /// The request that reopens the last folder, for a restarted worker.
    pub fn last_open(&self) -> Option<&RequestKind> {
        self.last_open.as_ref()
    }

    fn spawn(&self) -> Result<Channels, String> {
        let (request_tx, request_rx) = tokio_mpsc::unbounded_channel();
        let (event_tx, event_rx) = std_mpsc::channel();
        let sink = EventSink {
            events: event_tx,
            notify: self.notify.clone(),
        };
        let opener = self.opener.clone();
        let sample = self.sample.clone();
        let running = self.running.clone();
        std::thread::Builder::new()
            .name("fluxdb-worker".to_owned())
            .spawn(move || run_worker(request_rx, sink, opener, sample, running))
            .map_err(|e| format!("cannot start the worker thread: {e}"))?;
        Ok(Channels {
            requests: request_tx,
            events: event_rx,
        })
    }
}

struct EventSink {
    events: std_mpsc::Sender<Event>,
    notify: Notify,
}

impl EventSink {
    fn send(&self, id: RequestId, kind: EventKind) {
        // A closed receiver means the UI is gone; there is no one to tell.
        let _ = self.events.send(Event { id, kind });
        (self.notify)();
    }
}

fn run_worker(
    requests: tokio_mpsc::UnboundedReceiver<Message>,
    sink: EventSink,
    opener: Arc<dyn Opener + Sync>,
    sample: SampleBuilder,
    running: RunningRead,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            sink.send(
                0,
                EventKind::Stopped {
                    why: format!("cannot start the worker's runtime: {e}"),
                },
            );
            return;
        }
    };
    let mut worker = Worker {
        sink,
        opener,
        sample,
        db: None,
        queue: Vec::new(),
        running,
        follow: None,
    };
    runtime.block_on(worker.serve(requests));
}

/// How often a live folder is looked at while the worker is idle: a commit
/// shows within this (plus the look itself, a few milliseconds).
pub const LIVE_LOOK: Duration = Duration::from_millis(250);

struct Worker {
    sink: EventSink,
    opener: Arc<dyn Opener + Sync>,
    sample: SampleBuilder,
    db: Option<Box<dyn Database>>,
    queue: Vec<Request>,
    running: RunningRead,
    /// A read-only folder another program writes: how following it goes.
    follow: Option<Follow>,
}

/// Following the writer of a read-only folder.
struct Follow {
    /// Off while the user holds the view still (Pause).
    live: bool,
    next_look: Instant,
    /// What the last look found the writer lock to be.
    writer_present: bool,
    /// The last look failed (reported once, not at every look).
    failing: bool,
}

impl Worker {
    async fn serve(&mut self, mut requests: tokio_mpsc::UnboundedReceiver<Message>) {
        loop {
            if self.queue.is_empty() {
                let look_at = self.follow.as_ref().filter(|f| f.live).map(|f| f.next_look);
                let message = match look_at {
                    None => requests.recv().await,
                    Some(at) => tokio::select! {
                        message = requests.recv() => message,
                        () = tokio::time::sleep_until(at.into()) => {
                            self.look();
                            continue;
                        }
                    },
                };
                match message {
                    Some(message) => self.absorb(message),
                    None => return,
                }
            }
            while let Ok(message) = requests.try_recv() {
                self.absorb(message);
            }
            if let Some(request) = self.take_next() {
                self.run_caught(request);
                if self.queue.is_empty() {
                    self.sink.send(0, EventKind::Idle);
                }
            }
            // Lets a Cancel sent during a long request be seen before the next.
            tokio::task::yield_now().await;
        }
    }

    fn absorb(&mut self, message: Message) {
        match message {
            Message::Cancel => {
                self.queue.clear();
                self.sink.send(0, EventKind::Idle);
            }
            Message::Run(request) => {
                if request.kind.slot() == Slot::Folder {
                    // Everything queued was for the folder being left.
                    self.queue.clear();
                } else if request.kind.slot() != Slot::Manage {
                    let slot = request.kind.slot();
                    self.queue.retain(|queued| queued.kind.slot() != slot);
                }
                self.queue.push(request);
            }
        }
    }

    /// One look at a live folder: what its writer committed since the last,
    /// and whether it still holds the folder. Told only when something
    /// changed; a failure is told once, until a look works again.
    fn look(&mut self) {
        let (Some(db), Some(follow)) = (self.db.as_deref_mut(), self.follow.as_mut()) else {
            return;
        };
        follow.next_look = Instant::now() + LIVE_LOOK;
        let looked = catch_unwind(AssertUnwindSafe(|| -> crate::Result<LiveUpdate> {
            let changes = db.follow_writer()?;
            let writer_present = db.writer_present()?;
            let collections = changes.catalogue_changed.then(|| db.list_collections());
            Ok(LiveUpdate {
                changes,
                writer_present,
                collections,
            })
        }));
        match looked {
            Ok(Ok(update)) => {
                follow.failing = false;
                if !update.changes.is_empty() || update.writer_present != follow.writer_present {
                    follow.writer_present = update.writer_present;
                    self.sink.send(0, EventKind::Live(update));
                }
            }
            Ok(Err(error)) => {
                if !std::mem::replace(&mut follow.failing, true) {
                    self.sink.send(
                        0,
                        EventKind::Failed {
                            what: "following the folder's writer".to_owned(),
                            why: error.to_string(),
                        },
                    );
                }
            }
            Err(payload) => {
                self.recover_from_panic(0, "following the folder's writer".to_owned(), &*payload)
            }
        }
    }

    fn take_next(&mut self) -> Option<Request> {
        let index = self
            .queue
            .iter()
            .enumerate()
            .min_by_key(|(index, request)| (request.kind.priority(), *index))
            .map(|(index, _)| index)?;
        Some(self.queue.remove(index))
    }

    fn run_caught(&mut self, request: Request) {
        let id = request.id;
        let what = request.kind.describe();
        self.sink
            .send(id, EventKind::Started { what: what.clone() });
        let outcome = catch_unwind(AssertUnwindSafe(|| self.run(id, &request.kind)));
        match outcome {
            Ok(Ok(kind)) => self.sink.send(id, kind),
            Ok(Err(error)) => self.sink.send(
                id,
                EventKind::Failed {
                    what,
                    why: error.to_string(),
                },
            ),
            Err(payload) => self.recover_from_panic(id, what, payload.as_ref()),
        }
    }

    /// The engine may be half-way through something: drop it and reopen the
    /// folder, so the next request starts from what is on disk.
    fn recover_from_panic(&mut self, id: RequestId, what: String, payload: &(dyn Any + Send)) {
        let message = panic_message(payload);
        let reopened = self.db.take().map(|db| {
            let mode = match (db.is_read_only(), db.is_shared()) {
                (true, _) => OpenMode::ReadOnly,
                (false, true) => OpenMode::Shared,
                (false, false) => OpenMode::ReadWrite,
            };
            let path = db.path().to_path_buf();
            drop(db);
            let opened = catch_unwind(AssertUnwindSafe(|| self.opener.open(&path, mode)));
            match opened {
                Ok(Ok(db)) => {
                    self.db = Some(db);
                    "; the folder was reopened".to_owned()
                }
                Ok(Err(e)) => format!("; reopening the folder failed: {e}"),
                Err(_) => "; reopening the folder failed".to_owned(),
            }
        });
        self.sink.send(
            id,
            EventKind::Failed {
                what,
                why: format!(
                    "the engine stopped with an internal error ({message}){}",
                    reopened.unwrap_or_default()
                ),
            },
        );
    }

    fn run(&mut self, id: RequestId, kind: &RequestKind) -> crate::Result<EventKind> {
        match kind {
            RequestKind::Manage(request) => {
                let sink = &self.sink;
                let mut progress = |p| sink.send(id, EventKind::Manage(ManageEvent::Progress(p)));
                let db = self.db.as_deref_mut();
                jobs::run(db, self.opener.as_ref(), request, &mut progress).map(EventKind::Manage)
            }
            RequestKind::Open { path, create } => {
                let server = matches!(Location::parse(path), Location::Server(_));
                if !*create && !server && !path.is_dir() {
                    return Err(crate::Error::io(
                        path,
                        std::io::Error::new(std::io::ErrorKind::NotFound, "no such folder"),
                    ));
                }
                self.open(path)
            }
            RequestKind::ListDatabases { uri } => list_databases(uri),
            RequestKind::OpenSample { folder } => {
                if !folder.is_dir() {
                    self.create_sample(folder)?;
                }
                self.open(folder)
            }
            RequestKind::Close => {
                self.close()?;
                Ok(EventKind::Closed)
            }
            RequestKind::Info { collection } => {
                let db = self.db()?;
                let cancel = self.running.start(Slot::Info(collection.clone()));
                let summary = db.collection_summary_cancellable(collection, &cancel);
                self.running.finish();
                Ok(EventKind::Info(summary?))
            }
            RequestKind::Page {
                collection,
                query,
                skip,
                limit,
            } => {
                let db = self.db()?;
                let started = Instant::now();
                let cancel = self.running.start(Slot::Page);
                let found = db.find_page_cancellable(collection, query, *skip, *limit, &cancel);
                self.running.finish();
                let (docs, explain) = found?;
                let elapsed = started.elapsed();
                Ok(EventKind::Page {
                    collection: collection.clone(),
                    skip: *skip,
                    docs,
                    elapsed,
                    explain,
                })
            }
            RequestKind::Count { collection, filter } => {
                let started = Instant::now();
                let db = self.db()?;
                let cancel = self.running.start(Slot::Count);
                let counted = db.count_cancellable(collection, filter, &cancel);
                self.running.finish();
                let total = counted?;
                Ok(EventKind::Count {
                    collection: collection.clone(),
                    filter: filter.clone(),
                    total,
                    elapsed: started.elapsed(),
                })
            }
            RequestKind::WarmIndexes { collection } => {
                let db = self.db()?;
                let cancel = self.running.start(Slot::Warm);
                let warmed = db.warm_indexes(collection, &cancel);
                self.running.finish();
                warmed?;
                Ok(EventKind::IndexesWarm {
                    collection: collection.clone(),
                })
            }
            RequestKind::Schema {
                collection,
                filter,
                cancel,
            } => {
                let db = self.db()?;
                let started = Instant::now();
                self.running.start_with(Slot::Schema, cancel.0.clone());
                let sink = &self.sink;
                let mut reported = Instant::now();
                let mut progress = |read, total| {
                    if reported.elapsed() >= PROGRESS_INTERVAL {
                        reported = Instant::now();
                        sink.send(id, EventKind::SchemaProgress { read, total });
                    }
                };
                let analysed = db.schema(collection, filter, &cancel.0, &mut progress);
                self.running.finish();
                Ok(EventKind::Schema {
                    schema: Box::new(analysed?),
                    elapsed: started.elapsed(),
                })
            }
            RequestKind::Chart {
                source,
                spec,
                cancel,
            } => {
                let db = self.db()?;
                self.running.start_with(Slot::Chart, cancel.0.clone());
                let sink = &self.sink;
                let mut reported = Instant::now();
                let mut progress = |read, total| {
                    if reported.elapsed() >= PROGRESS_INTERVAL {
                        reported = Instant::now();
                        sink.send(id, EventKind::ChartProgress { read, total });
                    }
                };
                let charted =
                    super::chart::run(db, source, spec.as_ref(), &cancel.0, &mut progress);
                self.running.finish();
                Ok(EventKind::Chart(Box::new(charted?)))
            }
            RequestKind::Edit(request) => {
                let db = self.db.as_deref_mut().ok_or_else(no_folder)?;
                super::edit::run(db, request).map(EventKind::Edit)
            }
            RequestKind::Follow { live } => match self.follow.as_mut() {
                Some(follow) => {
                    follow.live = *live;
                    // Resuming looks at once.
                    follow.next_look = Instant::now();
                    Ok(EventKind::Following { live: *live })
                }
                // A folder this app writes has nobody else to follow.
                None => Ok(EventKind::Following { live: false }),
            },
        }
    }

    fn db(&self) -> crate::Result<&dyn Database> {
        self.db.as_deref().ok_or_else(no_folder)
    }

    fn close(&mut self) -> crate::Result<()> {
        self.follow = None;
        if let Some(mut db) = self.db.take()
            && !db.is_read_only()
        {
            db.flush()?;
        }
        Ok(())
    }

    /// Opens read-write when possible; a folder locked by another writer
    /// opens read-only (with a notice). Python 0.1 folders open read-write:
    /// the engine writes them in their own format (engine::legacy).
    fn open(&mut self, path: &Path) -> crate::Result<EventKind> {
        self.close()?;
        let db = match self.opener.open(path, OpenMode::Shared) {
            Ok(db) => db,
            Err(crate::Error::Locked { holder, .. }) => {
                self.sink.send(
                    0,
                    EventKind::Notice(format!(
                        "{} is open in another program ({holder}): opened read-only",
                        path.display()
                    )),
                );
                self.opener.open(path, OpenMode::ReadOnly)?
            }
            Err(e) => return Err(e),
        };
        let collections = db.list_collections();
        let legacy = collections.iter().any(|name| {
            db.collection_summary(name)
                .map(|summary| summary.legacy)
                .unwrap_or(false)
        });
        let opened = OpenedFolder {
            path: db.path().to_path_buf(),
            read_only: db.is_read_only(),
            shared: db.is_shared(),
            legacy,
            collections,
        };
        // Read-only because another program holds the lock, or shared
        // with programs that write between Studio's writes: follow them.
        self.follow = (db.is_read_only() || db.is_shared()).then(|| Follow {
            live: true,
            next_look: Instant::now() + LIVE_LOOK,
            writer_present: true,
            failing: false,
        });
        self.db = Some(db);
        Ok(EventKind::Opened(opened))
    }

    /// Builds the sample in a temporary folder beside the target and renames
    /// it into place, so a failure never leaves a half-made sample behind.
    fn create_sample(&mut self, folder: &Path) -> crate::Result<()> {
        self.close()?;
        let parent = folder.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent).map_err(|e| crate::Error::io(parent, e))?;
        let staging = folder.with_extension("creating");
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| crate::Error::io(&staging, e))?;
        }
        {
            let mut db = self.opener.open(&staging, OpenMode::ReadWrite)?;
            (self.sample)(db.as_mut())?;
            db.flush()?;
        }
        std::fs::rename(&staging, folder).map_err(|e| crate::Error::io(folder, e))
    }
}

fn no_folder() -> crate::Error {
    crate::Error::Transaction("no folder is open; open one from the start screen".into())
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "no message".to_owned()
    }
}

/// The Connect dialog's Test: the server's databases, sorted.
#[cfg(feature = "mongodb")]
fn list_databases(uri: &str) -> crate::Result<EventKind> {
    let server = crate::mongo::MongoServer::connect(uri)?;
    Ok(EventKind::Databases {
        uri: uri.to_owned(),
        names: server.list_databases()?,
    })
}

#[cfg(not(feature = "mongodb"))]
fn list_databases(_uri: &str) -> crate::Result<EventKind> {
    Err(crate::Error::Unsupported {
        what: "a mongodb:// URI".to_owned(),
        place: "this build of Studio (made without the `mongodb` cargo feature)".to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::time::Duration;

    use super::*;
    use crate::studio::query::ParsedQuery;
    use crate::studio::worker::memory::MemoryOpener;

    fn handle(opener: MemoryOpener) -> WorkerHandle {
        WorkerHandle::new(Arc::new(opener), Arc::new(|_db| Ok(())), Arc::new(|| {}))
    }

    /// Polls until an event other than Started/Idle arrives for `id`.
    fn answer(worker: &mut WorkerHandle, id: RequestId) -> EventKind {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            for event in worker.poll() {
                let is_progress = matches!(event.kind, EventKind::Started { .. } | EventKind::Idle);
                if event.id == id && !is_progress {
                    return event.kind;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        panic!("no answer to request {id}");
    }

    /// A worker without its thread, to test how it queues requests.
    fn queue_only_worker() -> Worker {
        Worker {
            sink: EventSink {
                events: std_mpsc::channel().0,
                notify: Arc::new(|| {}),
            },
            opener: Arc::new(MemoryOpener::with_records("people", 1)),
            sample: Arc::new(|_db| Ok(())),
            db: None,
            queue: Vec::new(),
            running: RunningRead::default(),
            follow: None,
        }
    }

    fn page(collection: &str) -> RequestKind {
        RequestKind::Page {
            collection: collection.into(),
            query: Box::new(ParsedQuery::matching(serde_json::json!({}))),
            skip: 0,
            limit: 10,
        }
    }

    fn open(worker: &mut WorkerHandle, opener_path: &str) {
        let sent = worker.send(Request {
            id: 1,
            kind: RequestKind::Open {
                path: PathBuf::from(opener_path),
                create: true,
            },
        });
        assert_eq!(sent, None);
        assert!(matches!(answer(worker, 1), EventKind::Opened(_)));
    }

    #[test]
    fn a_page_request_returns_the_records() {
        let mut worker = handle(MemoryOpener::with_records("people", 3));
        open(&mut worker, "/db");
        worker.send(Request {
            id: 2,
            kind: page("people"),
        });
        match answer(&mut worker, 2) {
            EventKind::Page { docs, skip, .. } => {
                assert_eq!(docs.len(), 3);
                assert_eq!(skip, 0);
            }
            other => panic!("expected a page, got {other:?}"),
        }
    }

    #[test]
    fn an_engine_error_comes_back_as_a_failure_naming_the_request() {
        let mut worker = handle(MemoryOpener::with_records("people", 3));
        open(&mut worker, "/db");
        worker.send(Request {
            id: 2,
            kind: page("missing"),
        });
        match answer(&mut worker, 2) {
            EventKind::Failed { what, why } => {
                assert!(what.contains("missing"), "{what}");
                assert!(why.contains("does not exist"), "{why}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn an_engine_panic_is_reported_and_the_worker_keeps_serving() {
        let mut worker = handle(MemoryOpener::with_records("people", 3));
        open(&mut worker, "/db");
        worker.send(Request {
            id: 2,
            kind: page("panic"),
        });
        match answer(&mut worker, 2) {
            EventKind::Failed { why, .. } => {
                assert!(why.contains("internal error"), "{why}");
                assert!(why.contains("reopened"), "{why}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
        worker.send(Request {
            id: 3,
            kind: page("people"),
        });
        assert!(matches!(answer(&mut worker, 3), EventKind::Page { .. }));
    }

    #[test]
    fn opening_a_missing_folder_without_create_fails_with_its_path() {
        let mut worker = handle(MemoryOpener::with_records("people", 3));
        worker.send(Request {
            id: 1,
            kind: RequestKind::Open {
                path: PathBuf::from("/surely/not/here"),
                create: false,
            },
        });
        match answer(&mut worker, 1) {
            EventKind::Failed { why, .. } => assert!(why.contains("/surely/not/here"), "{why}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn a_legacy_folder_reports_its_format_and_opens_as_the_policy_says() {
        let mut opener = MemoryOpener::with_records("people", 3);
        opener.legacy = true;
        let mut worker = handle(opener);
        worker.send(Request {
            id: 1,
            kind: RequestKind::Open {
                path: PathBuf::from("/db"),
                create: true,
            },
        });
        match answer(&mut worker, 1) {
            EventKind::Opened(folder) => {
                assert!(folder.legacy);
                assert!(!folder.read_only, "Python 0.1 folders open read-write");
            }
            other => panic!("expected opened, got {other:?}"),
        }
    }

    #[test]
    fn a_queued_request_is_superseded_by_a_newer_one_for_the_same_slot() {
        let mut worker = queue_only_worker();
        let count = RequestKind::Count {
            collection: "people".into(),
            filter: serde_json::json!({}),
        };
        worker.absorb(Message::Run(Request {
            id: 1,
            kind: count.clone(),
        }));
        worker.absorb(Message::Run(Request {
            id: 2,
            kind: page("people"),
        }));
        worker.absorb(Message::Run(Request {
            id: 3,
            kind: page("people"),
        }));
        let ids: Vec<_> = worker.queue.iter().map(|r| r.id).collect();
        assert_eq!(ids, vec![1, 3]);
        // The page goes before the count even though it came later.
        assert_eq!(worker.take_next().map(|r| r.id), Some(3));
        assert_eq!(worker.take_next().map(|r| r.id), Some(1));
    }

    #[test]
    fn cancel_drops_everything_queued() {
        let mut worker = queue_only_worker();
        worker.absorb(Message::Run(Request {
            id: 1,
            kind: page("people"),
        }));
        worker.absorb(Message::Cancel);
        assert!(worker.take_next().is_none());
    }

    fn count_until_cancelled(id: RequestId) -> Request {
        Request {
            id,
            kind: RequestKind::Count {
                collection: "people".into(),
                filter: serde_json::json!({"scan_until_cancelled": true}),
            },
        }
    }

    #[test]
    fn cancel_stops_the_running_count_inside_the_engine() {
        let mut worker = handle(MemoryOpener::with_records("people", 3));
        open(&mut worker, "/db");
        worker.send(count_until_cancelled(2));
        // Wait until the worker is inside the count, then cancel it.
        while worker.running.lock().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        worker.cancel();
        match answer(&mut worker, 2) {
            EventKind::Failed { why, .. } => assert!(why.contains("cancel"), "{why}"),
            other => panic!("expected the count to stop, got {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the scan ran on"
        );
        // The worker serves the next request.
        worker.send(Request {
            id: 3,
            kind: page("people"),
        });
        assert!(matches!(answer(&mut worker, 3), EventKind::Page { .. }));
    }

    #[test]
    fn a_newer_count_stops_the_running_one() {
        let mut worker = handle(MemoryOpener::with_records("people", 3));
        open(&mut worker, "/db");
        worker.send(count_until_cancelled(2));
        while worker.running.lock().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        worker.send(Request {
            id: 3,
            kind: RequestKind::Count {
                collection: "people".into(),
                filter: serde_json::json!({}),
            },
        });
        // Both answers may come in one poll, so they are collected together.
        let mut answers = std::collections::HashMap::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        while answers.len() < 2 && Instant::now() < deadline {
            for event in worker.poll() {
                if matches!(
                    event.kind,
                    EventKind::Failed { .. } | EventKind::Count { .. }
                ) {
                    answers.insert(event.id, event.kind);
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(matches!(answers.get(&2), Some(EventKind::Failed { .. })));
        assert!(matches!(
            answers.get(&3),
            Some(EventKind::Count { total: 3, .. })
        ));
    }

    #[test]
    fn building_indexes_while_idle_gives_way_to_the_next_request() {
        let mut worker = handle(MemoryOpener::with_records("warm_until_cancelled", 3));
        open(&mut worker, "/db");
        worker.send(Request {
            id: 2,
            kind: RequestKind::WarmIndexes {
                collection: "warm_until_cancelled".into(),
            },
        });
        while worker.running.lock().is_none() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        worker.send(Request {
            id: 3,
            kind: page("warm_until_cancelled"),
        });
        assert!(matches!(answer(&mut worker, 3), EventKind::Page { .. }));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the page waited for the index build"
        );
    }

    #[test]
    fn every_event_asks_for_a_repaint() {
        let repaints = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = repaints.clone();
        let mut worker = WorkerHandle::new(
            Arc::new(MemoryOpener::with_records("people", 1)),
            Arc::new(|_db| Ok(())),
            Arc::new(move || {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }),
        );
        open(&mut worker, "/db");
        // Started, Opened and Idle: all sent before the test saw Opened or soon after.
        assert!(repaints.load(std::sync::atomic::Ordering::SeqCst) >= 2);
    }
}
