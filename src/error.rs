//! The one error type of the engine, the CLI and the app.
//!
//! Every message says what went wrong and where (the collection, the file, the
//! byte offset, the operator and path), so the CLI can print it as one line and
//! Studio can show it as is.

use std::path::PathBuf;

/// Everything that can go wrong in FluxDB.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A collection name that could escape the folder or is not portable.
    #[error("invalid collection name {name:?}: {reason}")]
    InvalidName { name: String, reason: String },

    /// The seed's `CollectionNotFoundError`.
    #[error("collection {0:?} does not exist")]
    CollectionNotFound(String),

    #[error("collection {0:?} already exists")]
    CollectionExists(String),

    #[error("duplicate _id {id:?} in collection {collection:?}")]
    DuplicateId { collection: String, id: String },

    /// The seed's `TransactionError`.
    #[error("transaction error: {0}")]
    Transaction(String),

    /// The seed's `RecordEncodingError`: a value that cannot be stored.
    #[error("cannot encode record: {0}")]
    RecordEncoding(String),

    /// A document that is not a JSON object, has a bad `_id`, or breaks a limit.
    #[error("invalid document: {0}")]
    InvalidDocument(String),

    /// A filter, sort or projection that cannot be parsed; the message names
    /// the operator and the path.
    #[error("invalid query: {0}")]
    InvalidQuery(String),

    #[error("invalid update: {0}")]
    InvalidUpdate(String),

    #[error("invalid pipeline: {0}")]
    InvalidPipeline(String),

    /// A log position handed back that no longer (or never) names a place
    /// in the collection's log.
    #[error("log position {position} of {}: {reason}", path.display())]
    PositionUnavailable {
        position: String,
        path: PathBuf,
        reason: String,
    },

    /// A file whose bytes do not follow its format.
    #[error("{}: corrupt at byte offset {offset}: {reason}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        reason: String,
    },

    /// Another process holds the folder's writer lock.
    #[error("database {} is locked by another writer ({holder}); open it read-only or close the other program", path.display())]
    Locked { path: PathBuf, holder: String },

    #[error("database {} is open read-only; {what} is not possible", path.display())]
    ReadOnly { path: PathBuf, what: String },

    /// A collection in a format this build cannot write.
    #[error("collection {collection:?} is in the {format} format: {reason}")]
    UnsupportedFormat {
        collection: String,
        format: String,
        reason: String,
    },

    /// Bad data in an imported file (JSON, JSON Lines, CSV, backup), with its line.
    #[error("{}: line {line}: {message}", path.display())]
    ImportLine {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// A stated limit (document size, nesting depth, name length) was exceeded.
    #[error("{what} exceeds the limit of {limit}")]
    LimitExceeded { what: String, limit: String },

    /// A long operation stopped by its cancel token.
    #[error("cancelled")]
    Cancelled,

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A MongoDB server could not be reached, or refused or failed an
    /// operation. `server` is where (host:port and database, never a
    /// password); the message says what the driver or the server said.
    #[error("MongoDB server {server}: {message}")]
    Server { server: String, message: String },

    /// A MongoDB server that could not be reached, or whose connection
    /// failed or was lost: what was asked may not have arrived, and nothing
    /// more can be done there until it answers again.
    #[error("MongoDB server {server}: {message}")]
    ServerUnreachable { server: String, message: String },

    /// A `mongodb://` or `mongodb+srv://` URI that cannot be used (shown
    /// without its password).
    #[error("MongoDB URI {uri}: {reason}")]
    InvalidUri { uri: String, reason: String },

    /// An operation that one kind of database (a folder, a MongoDB server)
    /// does not have.
    #[error("{what} has no meaning on {place}")]
    Unsupported { what: String, place: String },

    /// A copy between two databases that stopped part-way: which
    /// collection, how far it got, and what is left at the destination.
    #[error(
        "copy of collection {collection:?} stopped after {copied} of {total} records: {cause} ({left})"
    )]
    CopyStopped {
        collection: String,
        copied: u64,
        total: u64,
        cause: Box<Error>,
        /// What the destination holds now: nothing of it (a folder), or the
        /// records copied so far (a server).
        left: String,
    },

    /// A copy's destination collection already has records: a copy does
    /// not merge two collections.
    #[error(
        "collection {collection:?} in {place} has {records} records already; a copy does not merge: drop or clear it there first"
    )]
    NotEmpty {
        collection: String,
        place: String,
        records: u64,
    },

    /// A name that must be one of a fixed list (an interchange format, a CSV
    /// column type) and is not.
    #[error("unknown {what} {name:?}: expected one of {expected}")]
    UnknownName {
        what: String,
        name: String,
        expected: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether a server could not be reached (or its connection failed),
    /// as opposed to an operation it refused.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Error::ServerUnreachable { .. })
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Adds the path to an `io::Result`, so no I/O error reaches a user without it.
pub(crate) trait IoContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}
