//! Multi-document transactions. A replica set or a sharded cluster runs
//! them (so does nx-27017, the test server); a standalone server does not.
//! Where they run, a group of writes (Studio's staged changes, an insert of
//! several documents, a batch of an import or a copy) is one transaction:
//! all of it or nothing. Where they do not, the writes go one by one and
//! the caller says how far they got.
//!
//! Whether they run is asked once per connection
//! ([`MongoServer::supports_transactions`]): a transaction is started, one
//! read made in it, and aborted. The driver refuses the start where the
//! server has no sessions (or an old wire version); a standalone server
//! accepts the start and refuses the first command in it (code 20,
//! IllegalOperation: "Transaction numbers are only allowed on a replica set
//! member or mongos").
//!
//! While a transaction is open, the operations of `queries.rs` and
//! `writes.rs` that a transaction allows attach its session, so they are
//! part of it; listing collections runs outside it (MongoDB refuses that
//! command in a transaction).

use mongodb::bson::{Document as BsonDocument, doc};

use super::errors::{refuses_transactions, with_note};
use super::server::MongoServer;
use crate::error::{Error, Result};

/// A collection the probe reads: it need not exist, and reading it
/// creates nothing.
const PROBE_COLLECTION: &str = "fluxdb_transaction_probe";

impl MongoServer {
    /// Whether multi-document transactions run on this deployment (asked
    /// the first time, then known).
    pub fn supports_transactions(&self) -> Result<bool> {
        if let Some(known) = self.transactions().supported {
            return Ok(known);
        }
        let supported = self.probe_transactions()?;
        self.transactions().supported = Some(supported);
        Ok(supported)
    }

    /// This connection writes as on a server without transactions (one by
    /// one) even where the server has them: how the tests run that path
    /// on a server that has transactions.
    pub fn without_transactions(self) -> MongoServer {
        self.transactions().supported = Some(false);
        self
    }

    fn probe_transactions(&self) -> Result<bool> {
        let mut session = self.block_on(self.client()?.start_session())?;
        match self.block_on_driver(session.start_transaction())? {
            Ok(()) => {}
            Err(e) if refuses_transactions(&e) => return Ok(false),
            Err(e) => return Err(self.driver_error(&e)),
        }
        let probe = self
            .database()?
            .collection::<BsonDocument>(PROBE_COLLECTION);
        let read = self.block_on_driver(probe.find_one(doc! {}).session(&mut session))?;
        // The server ends a refused transaction itself; nothing was written.
        let _ = self.block_on_driver(session.abort_transaction());
        match read {
            Ok(_) => Ok(true),
            Err(e) if refuses_transactions(&e) => Ok(false),
            Err(e) => Err(self.driver_error(&e)),
        }
    }

    /// Starts a transaction: this connection's reads and writes are part of
    /// it until [`commit_transaction`](Self::commit_transaction) or
    /// [`abort_transaction`](Self::abort_transaction). An error where the
    /// deployment has none (ask [`supports_transactions`](Self::supports_transactions) first).
    pub fn begin_transaction(&self) -> Result<()> {
        if !self.supports_transactions()? {
            return Err(Error::Transaction(format!(
                "MongoDB server {} runs no multi-document transactions (a standalone server)",
                self.place()
            )));
        }
        if self.in_transaction() {
            return Err(Error::Transaction(
                "a transaction is open already".to_owned(),
            ));
        }
        let mut session = self.block_on(self.client()?.start_session())?;
        self.block_on(session.start_transaction())?;
        self.transactions().open = Some(session);
        Ok(())
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.transactions().open.is_some()
    }

    /// Commits the open transaction: everything in it is written, or (the
    /// error says why) none of it.
    pub fn commit_transaction(&self) -> Result<()> {
        let Some(mut session) = self.transactions().take_session() else {
            return Err(Error::Transaction("no transaction is open".to_owned()));
        };
        self.block_on(session.commit_transaction())
            .map_err(|e| Error::Transaction(format!("the commit failed: {e}")))
    }

    /// Aborts the open transaction (if any): nothing of it is written.
    pub fn abort_transaction(&self) -> Result<()> {
        let Some(mut session) = self.transactions().take_session() else {
            return Ok(());
        };
        self.block_on(session.abort_transaction())
    }

    /// Runs `work` as one transaction where the deployment runs them
    /// (committed if it succeeds, else aborted), else as it is. Inside an open transaction it is part
    /// of that one. Returns whether it ran in a transaction.
    pub fn transactionally<T>(&self, work: impl FnOnce() -> Result<T>) -> Result<(T, bool)> {
        if self.in_transaction() {
            return work().map(|done| (done, true));
        }
        if !self.supports_transactions()? {
            return work().map(|done| (done, false));
        }
        self.begin_transaction()?;
        match work() {
            Ok(done) => {
                self.commit_transaction()?;
                Ok((done, true))
            }
            Err(error) => {
                // A failed abort (the server went away) leaves the
                // transaction uncommitted all the same: the server drops it.
                let _ = self.abort_transaction();
                Err(error)
            }
        }
    }
}

/// `error`, saying that the transaction it stopped wrote nothing (Studio's
/// Write and a server's `insert` of several documents).
pub fn nothing_written(error: Error) -> Error {
    with_note(error, " (in one transaction, aborted: nothing was written)")
}
