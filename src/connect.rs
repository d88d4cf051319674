//! Opening a database by where it is ([`Location`]): a folder through the
//! engine, a `mongodb://` URI through `crate::mongo` (feature `mongodb`).
//! The command line's `copy` and Studio's "Copy to…" open both sides here.

use crate::backend::{Backend, Location};
use crate::engine::{FluxDB, OpenOptions};
use crate::error::{Error, Result};

/// What the opened database is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Only read: a folder opens read-only, so another program (Studio)
    /// may have it open for writing.
    Source,
    /// Written: a folder opens shared (created if missing).
    Destination,
}

/// Opens the database at `location`. A server's URI must name a database.
pub fn open_backend(location: &Location, role: Role) -> Result<Box<dyn Backend>> {
    match location {
        Location::Folder(dir) if role == Role::Source => {
            if !dir.is_dir() {
                return Err(Error::io(
                    dir,
                    std::io::Error::new(std::io::ErrorKind::NotFound, "no such database folder"),
                ));
            }
            Ok(Box::new(FluxDB::open_read_only(dir)?))
        }
        Location::Folder(dir) => Ok(Box::new(OpenOptions::new().shared(true).open(dir)?)),
        Location::Server(uri) => open_server(uri),
    }
}

#[cfg(feature = "mongodb")]
fn open_server(uri: &str) -> Result<Box<dyn Backend>> {
    let server = crate::mongo::MongoServer::connect(uri)?;
    if server.database_name().is_none() {
        return Err(Error::InvalidUri {
            uri: server.shown_uri().to_owned(),
            reason:
                "it names no database: add one after the host, as in mongodb://HOST:PORT/DATABASE"
                    .to_owned(),
        });
    }
    Ok(Box::new(server))
}

#[cfg(not(feature = "mongodb"))]
fn open_server(_uri: &str) -> Result<Box<dyn Backend>> {
    Err(Error::Unsupported {
        what: "a mongodb:// URI".to_owned(),
        place: "this build (made without the `mongodb` cargo feature, so without MongoDB support)"
            .to_owned(),
    })
}
