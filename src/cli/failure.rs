//! [`Failure`]: why a command failed, each said as one line on stderr.

use crate::Error;

/// Why a command failed; each becomes one line on stderr and exit 1.
#[derive(Debug)]
pub enum Failure {
    Engine(Error),
    /// A usage-level problem found after parsing (bad JSON, no --db).
    Message(String),
    /// `get` of a missing document.
    NotFound(String),
    /// The reader of our output went away: stop quietly, as `head` expects.
    BrokenPipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Engine(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!("cannot write output: {e}"))
        }
    }
}

pub(super) type Outcome = Result<(), Failure>;
