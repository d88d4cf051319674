//! [`MongoServer`]: one database on a MongoDB server, reached through the
//! official driver on a tokio runtime of its own, with blocking methods so
//! the command line and copy call it as they call a folder.
//!
//! Connecting checks the server answers (a `ping`) with short timeouts, so
//! a refused port or a wrong host is one clear error in seconds, not after
//! the driver's default 30 s; a URI may set `serverSelectionTimeoutMS` and
//! `connectTimeoutMS` to wait longer.
//!
//! Calls made inside [`MongoServer::cancellable`] stop waiting for the
//! server as soon as their [`CancelToken`] fires (Studio's Cancel): the
//! driver's future is dropped, so its connection is closed and the answer,
//! if the server still sends one, is never read.

use std::future::{Future, IntoFuture};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use mongodb::bson::{Document as BsonDocument, doc};
use mongodb::options::ClientOptions;
use mongodb::{Client, ClientSession, Collection, Database};

use super::errors::server_error;
use super::uri::validate_database_name;
use crate::backend::redact;
use crate::engine::CancelToken;
use crate::error::{Error, Result};

/// How long to look for a server before giving up, unless the URI says.
pub const DEFAULT_SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(5);

/// How long one TCP connection may take to open, unless the URI says.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How often a call under [`MongoServer::cancellable`] looks at its token.
const CANCEL_LOOK: Duration = Duration::from_millis(20);

/// A connection to a MongoDB server and the database its URI names.
pub struct MongoServer {
    /// Runs the driver's futures; its one worker thread also keeps the
    /// driver's monitors going between calls. Always `Some` until dropped
    /// (taken then, to shut it down where blocking is not allowed).
    runtime: Option<tokio::runtime::Runtime>,
    /// Always `Some` until dropped (dropped inside the runtime, since the
    /// driver ends its sessions from a task then).
    client: Option<Client>,
    /// The database of the URI's path (`mongodb://host/DATABASE`).
    database_name: Option<String>,
    /// Whether the server listed the URI's database when connecting: a
    /// missing collection of a database that was not there is said as a
    /// missing database (a wrong name, most likely).
    database_listed: bool,
    /// Where, for messages: `host:port/database`, never a password.
    place: String,
    /// The URI without its password.
    shown_uri: String,
    /// The token of the calls running under [`MongoServer::cancellable`].
    cancel: Mutex<Option<CancelToken>>,
    /// Whether the deployment runs transactions, and the open one's
    /// session (`transaction.rs`).
    transactions: Mutex<Transactions>,
}

impl MongoServer {
    /// Connects to the server `uri` names and checks that it answers.
    pub fn connect(uri: &str) -> Result<MongoServer> {
        let shown_uri = redact(uri);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fluxdb-mongodb")
            .enable_all()
            .build()
            .map_err(|e| Error::Server {
                server: shown_uri.clone(),
                message: format!("cannot start the driver's runtime: {e}"),
            })?;
        let mut options = run_on(&runtime, ClientOptions::parse(uri).into_future())
            .ok_or_else(|| Error::InvalidUri {
                uri: shown_uri.clone(),
                reason: "the driver stopped while reading it".to_owned(),
            })?
            .map_err(|e| Error::InvalidUri {
                uri: shown_uri.clone(),
                reason: e.kind.to_string(),
            })?;
        options
            .server_selection_timeout
            .get_or_insert(DEFAULT_SERVER_SELECTION_TIMEOUT);
        options
            .connect_timeout
            .get_or_insert(DEFAULT_CONNECT_TIMEOUT);
        options.app_name.get_or_insert_with(|| "fluxdb".to_owned());
        let database_name = options.default_database.clone();
        if let Some(name) = &database_name {
            validate_database_name(name).map_err(|reason| Error::InvalidUri {
                uri: shown_uri.clone(),
                reason,
            })?;
        }
        let hosts: Vec<String> = options.hosts.iter().map(ToString::to_string).collect();
        let place = format!(
            "{}/{}",
            hosts.join(","),
            database_name.as_deref().unwrap_or("")
        );
        let selection = options
            .server_selection_timeout
            .unwrap_or(DEFAULT_SERVER_SELECTION_TIMEOUT);
        // The driver starts its monitors as tasks of the current runtime.
        let entered = runtime.enter();
        let client = Client::with_options(options).map_err(|e| Error::InvalidUri {
            uri: shown_uri.clone(),
            reason: e.kind.to_string(),
        })?;
        drop(entered);
        let mut server = MongoServer {
            database_listed: false,
            runtime: Some(runtime),
            client: Some(client),
            database_name,
            place,
            shown_uri,
            cancel: Mutex::new(None),
            transactions: Mutex::new(Transactions::default()),
        };
        server
            .block_on(server.admin()?.run_command(doc! {"ping": 1}))
            .map_err(|e| match e {
                Error::ServerUnreachable { server, message } => Error::ServerUnreachable {
                    server,
                    message: format!(
                        "{message} (gave up after {} s; serverSelectionTimeoutMS in the URI waits longer)",
                        selection.as_secs_f64()
                    ),
                },
                other => other,
            })?;
        if let Some(name) = server.database_name.clone() {
            server.database_listed = server.list_databases()?.contains(&name);
        }
        Ok(server)
    }

    /// `host:port/database`, for messages.
    pub fn place(&self) -> &str {
        &self.place
    }

    /// The URI as given, without its password.
    pub fn shown_uri(&self) -> &str {
        &self.shown_uri
    }

    /// The database the URI names, if it names one.
    pub fn database_name(&self) -> Option<&str> {
        self.database_name.as_deref()
    }

    /// Runs `action`, every call it makes to the server stopping with
    /// [`Error::Cancelled`] within a few milliseconds of `cancel` firing,
    /// however long the server takes to answer.
    pub fn cancellable<T>(
        &self,
        cancel: &CancelToken,
        action: impl FnOnce(&MongoServer) -> Result<T>,
    ) -> Result<T> {
        /// Puts the outer token back, even if `action` panics.
        struct Restore<'a>(&'a MongoServer, Option<CancelToken>);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                *self.0.cancel_slot() = self.1.take();
            }
        }
        let outer = self.cancel_slot().replace(cancel.clone());
        let _restore = Restore(self, outer);
        action(self)
    }

    fn cancel_slot(&self) -> MutexGuard<'_, Option<CancelToken>> {
        // Every write is one assignment, so a poisoned lock holds a whole value.
        self.cancel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs one driver future to its end ([`run_on`]), or until the token
    /// of [`cancellable`](Self::cancellable) fires; its error said as
    /// FluxDB's.
    pub(super) fn block_on<T: Send, F>(&self, action: F) -> Result<T>
    where
        F: IntoFuture<Output = mongodb::error::Result<T>>,
        F::IntoFuture: Send,
    {
        self.block_on_driver(action)?
            .map_err(|e| server_error(&self.place, &e))
    }

    /// [`block_on`](Self::block_on) keeping the driver's own error, for
    /// callers that look into it (which document of an insert failed,
    /// whether the server refused a transaction).
    pub(super) fn block_on_driver<T: Send, F>(&self, action: F) -> Result<mongodb::error::Result<T>>
    where
        F: IntoFuture<Output = mongodb::error::Result<T>>,
        F::IntoFuture: Send,
    {
        let future = action.into_future();
        let Some(runtime) = &self.runtime else {
            return Err(self.place_error("the connection is closed".to_owned()));
        };
        let cancel = self.cancel_slot().clone();
        let answered = match cancel {
            None => run_on(runtime, async { Some(future.await) }),
            Some(token) => run_on(runtime, async move {
                tokio::select! {
                    biased;
                    () = until_cancelled(&token) => None,
                    answer = future => Some(answer),
                }
            }),
        };
        answered
            .ok_or_else(|| self.place_error("the driver's thread stopped unexpectedly".to_owned()))?
            .ok_or(Error::Cancelled)
    }

    /// The driver's error `e` said as FluxDB's, naming this server.
    pub(super) fn driver_error(&self, e: &mongodb::error::Error) -> Error {
        server_error(&self.place, e)
    }

    /// Whether transactions run here and the open one: hold it only
    /// around one operation (see `transaction.rs`).
    pub(super) fn transactions(&self) -> MutexGuard<'_, Transactions> {
        self.transactions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn place_error(&self, message: String) -> Error {
        Error::Server {
            server: self.place.clone(),
            message,
        }
    }

    /// The URI's database, or an error saying the URI must name one.
    pub(super) fn database(&self) -> Result<Database> {
        match &self.database_name {
            Some(name) => Ok(self.client()?.database(name)),
            None => Err(Error::InvalidUri {
                uri: self.shown_uri.clone(),
                reason: "it names no database: add one after the host, as in mongodb://HOST:PORT/DATABASE"
                    .to_owned(),
            }),
        }
    }

    /// The `admin` database, where server-wide commands run.
    pub(super) fn admin(&self) -> Result<Database> {
        Ok(self.client()?.database("admin"))
    }

    pub(super) fn client(&self) -> Result<&Client> {
        self.client
            .as_ref()
            .ok_or_else(|| self.place_error("the connection is closed".to_owned()))
    }

    pub(super) fn collection(&self, name: &str) -> Result<Collection<BsonDocument>> {
        Ok(self.database()?.collection(name))
    }

    /// The databases on the server, sorted (for choosing one).
    pub fn list_databases(&self) -> Result<Vec<String>> {
        let mut names = self.block_on(self.client()?.list_database_names())?;
        names.sort();
        Ok(names)
    }

    /// The collections of the URI's database, sorted.
    pub fn list_collections(&self) -> Result<Vec<String>> {
        let database = self.database()?;
        let mut names = self.block_on(database.list_collection_names())?;
        names.sort();
        Ok(names)
    }

    /// Drops the URI's database with every collection in it.
    pub fn drop_database(&self) -> Result<()> {
        let database = self.database()?;
        self.block_on(database.drop())
    }

    pub fn has_collection(&self, name: &str) -> Result<bool> {
        Ok(self.list_collections()?.iter().any(|n| n == name))
    }

    /// Fails unless the collection exists, saying so as a folder does; when
    /// the database itself is missing, says that and lists the server's.
    pub(super) fn require_collection(&self, name: &str) -> Result<()> {
        if self.has_collection(name)? {
            return Ok(());
        }
        if self.database_listed {
            return Err(Error::CollectionNotFound(name.to_owned()));
        }
        let database = self.database_name.as_deref().unwrap_or_default();
        let databases: Vec<String> = self
            .list_databases()?
            .into_iter()
            .filter(|d| d != database)
            .collect();
        Err(self.place_error(format!(
            "database {database:?} does not exist, so neither does collection {name:?} (databases there: {})",
            if databases.is_empty() {
                "none".to_owned()
            } else {
                databases.join(", ")
            }
        )))
    }
}

/// Returns once `token` fires.
async fn until_cancelled(token: &CancelToken) {
    while !token.is_cancelled() {
        tokio::time::sleep(CANCEL_LOOK).await;
    }
}

/// What a connection knows of transactions.
#[derive(Default)]
pub(super) struct Transactions {
    /// Whether the deployment runs them: `None` until asked.
    pub(super) supported: Option<bool>,
    /// The session of the open transaction.
    pub(super) open: Option<ClientSession>,
}

impl Transactions {
    /// The open transaction's session, for an operation to attach with
    /// `.optional(state.session(), |action, s| action.session(s))`.
    pub(super) fn session(&mut self) -> Option<&mut ClientSession> {
        self.open.as_mut()
    }

    pub(super) fn take_session(&mut self) -> Option<ClientSession> {
        self.open.take()
    }
}

/// Runs `future` on `runtime` to its end. A thread already inside a tokio
/// runtime (Studio's worker) cannot block on another, so there it runs
/// from a short-lived thread of its own while this one waits; `None` if
/// that thread panicked.
fn run_on<T: Send>(
    runtime: &tokio::runtime::Runtime,
    future: impl Future<Output = T> + Send,
) -> Option<T> {
    if tokio::runtime::Handle::try_current().is_ok() {
        std::thread::scope(|scope| scope.spawn(|| runtime.block_on(future)).join().ok())
    } else {
        Some(runtime.block_on(future))
    }
}

impl Drop for MongoServer {
    /// Shuts the runtime down without waiting for its tasks, which is
    /// allowed inside another runtime (Studio's worker) where a plain drop
    /// would panic.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            let entered = runtime.enter();
            // A transaction left open is aborted by the session's drop.
            drop(self.transactions().take_session());
            drop(self.client.take());
            drop(entered);
            runtime.shutdown_background();
        }
    }
}
