//! A read-only database following its folder while another process writes
//! it: [`FluxDB::refresh`] reads only what each collection's log gained
//! since the last look, and reads again a collection whose file was
//! replaced (a compaction, a codec change, a clear, a restore).

use std::collections::BTreeSet;

use super::fluxdb::FluxDB;
use super::refreshed::Refreshed;
use super::restore::collection_files_after_restore;
use crate::engine::Document;
use crate::engine::collection::{ChangeVisitor, CollectionStore, Followed, LogChange, LogPosition};
use crate::engine::query::ValueMode;
use crate::engine::storage::lock::{self, WriterLock};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, Result};

/// Told each change a refresh applies: the collection and the change.
pub type DatabaseChangeVisitor<'a> = dyn FnMut(&str, LogChange) -> Result<()> + 'a;

impl FluxDB {
    /// Brings a read-only or shared handle up to what other processes
    /// committed since it opened or last refreshed (a shared handle takes
    /// the writer lock for the look when something changed, as a file
    /// replaced is opened again as a writer). Each collection reads only the log
    /// appended since (its cost follows the new commits, not the data);
    /// one whose file was replaced, or that appeared, is opened; one that
    /// is gone is forgotten. An exclusive writer's handle is always current:
    /// nothing to do. What a shared handle caught up on before its own
    /// writes is in the report too (its changes were not told).
    pub fn refresh(&mut self) -> Result<Refreshed> {
        self.refresh_following(None, None)
    }

    /// Like [`refresh`](Self::refresh), calling `visit` with each change
    /// applied (its collection and what it was), in commit order per
    /// collection, each exactly once. Across a compaction or a change of
    /// compression by the writer the changes go on where they stopped (the
    /// old file is read to its end first); a collection that appeared is
    /// [`LogChange::Created`] and its records inserts; one cleared,
    /// [`LogChange::Cleared`]; one restored or imported from a backup,
    /// [`LogChange::Replaced`] and then what differs; one gone,
    /// [`LogChange::Dropped`].
    pub fn refresh_each(&mut self, visit: &mut DatabaseChangeVisitor<'_>) -> Result<Refreshed> {
        self.refresh_following(None, Some(visit))
    }

    /// [`refresh_each`](Self::refresh_each) of one collection: the others
    /// stay as they were (`fluxdb watch` follows one).
    pub fn refresh_collection_each(
        &mut self,
        collection: &str,
        visit: &mut DatabaseChangeVisitor<'_>,
    ) -> Result<Refreshed> {
        self.refresh_following(Some(collection), Some(visit))
    }

    /// Whether a writer (another process, for a read-only handle) holds the
    /// folder's lock now: a follower uses it to tell when the program it
    /// follows has closed the folder. (A shared writer does not hold it
    /// between its writes.)
    pub fn writer_present(&self) -> Result<bool> {
        match self.read_only {
            true => lock::is_held(&self.dir),
            false => Ok(true),
        }
    }

    /// Where `collection`'s state is in its log now (`None`: a Python 0.1
    /// collection, which keeps none). Its token (`to_string`, parsed back
    /// with `str::parse`) can be kept and handed to
    /// [`changes_since`](Self::changes_since) later, by another process too.
    pub fn log_position(&self, collection: &str) -> Result<Option<LogPosition>> {
        Ok(self.store(collection)?.log_position())
    }

    /// Tells `visit` each change committed to `collection` after `from` up
    /// to this handle's state, in commit order: what happened while a
    /// program was not following. A compaction keeps the state, not the
    /// history: the position where it happened is still good, an older one
    /// (or one of a file cleared or restored since) is
    /// [`Error::PositionUnavailable`](crate::Error::PositionUnavailable).
    /// Reads the log before `from` once, for what each touched record was.
    pub fn changes_since(
        &self,
        collection: &str,
        from: &LogPosition,
        visit: &mut ChangeVisitor<'_>,
    ) -> Result<()> {
        let store = self.store(collection)?;
        store.changes_since(from, visit).map_err(|e| match e {
            Error::UnsupportedFormat { format, reason, .. } => Error::UnsupportedFormat {
                collection: collection.to_owned(),
                format,
                reason,
            },
            other => other,
        })
    }

    /// Whether this handle shares the folder with other writers
    /// ([`OpenOptions::shared`](super::OpenOptions::shared)).
    pub fn is_shared(&self) -> bool {
        self.shared
    }

    /// How filters compare values of `collection` (Python 0.1 collections
    /// hold text), for matching the documents a refresh tells.
    pub fn value_mode(&self, collection: &str) -> Result<ValueMode> {
        Ok(self.store(collection)?.value_mode())
    }

    fn refresh_following(
        &mut self,
        only: Option<&str>,
        visit: Option<&mut DatabaseChangeVisitor<'_>>,
    ) -> Result<Refreshed> {
        if !self.read_only && !self.shared {
            // An exclusive writer holds the lock: nobody else writes.
            return Ok(Refreshed::default());
        }
        let mut report = std::mem::take(&mut self.unreported);
        if !self.shared {
            report.absorb(self.follow_disk(only, visit)?);
        } else if self.lock.is_none() && self.changed_on_disk(only)? {
            // A shared writer looks under the lock: a file replaced is
            // opened again as a writer, which may cut a torn tail.
            self.lock = Some(WriterLock::acquire_shared(&self.dir, self.busy_timeout)?);
            let followed = self.follow_disk(only, visit);
            self.lock = None;
            report.absorb(followed?);
        }
        // (A shared handle holding the lock is in a transaction: nobody
        // else wrote since it caught up.)
        Ok(report)
    }

    /// Whether anything of the folder (of `only`) changed since this
    /// handle last looked, from a listing and a stat per collection.
    fn changed_on_disk(&self, only: Option<&str>) -> Result<bool> {
        let mut on_disk = collection_files_after_restore(&self.dir, true)?;
        on_disk.retain(|(name, _)| only.is_none_or(|only| only == name));
        let known = (self.collections.keys()).filter(|name| only.is_none_or(|only| only == *name));
        if on_disk.len() != known.count() {
            return Ok(true);
        }
        for (name, _) in &on_disk {
            match self.collections.get(name) {
                Some(store) if !store.changed_on_disk()? => {}
                _ => return Ok(true),
            }
        }
        Ok(false)
    }

    /// Follows each collection's file (of `only`) to its end: a reader,
    /// or a shared writer holding the lock.
    pub(super) fn follow_disk(
        &mut self,
        only: Option<&str>,
        mut visit: Option<&mut DatabaseChangeVisitor<'_>>,
    ) -> Result<Refreshed> {
        let mut report = Refreshed::default();
        let mut on_disk = collection_files_after_restore(&self.dir, self.read_only)?;
        on_disk.retain(|(name, _)| only.is_none_or(|only| only == name));
        let names: BTreeSet<&str> = on_disk.iter().map(|(name, _)| name.as_str()).collect();
        let gone: Vec<String> = self
            .collections
            .keys()
            .filter(|name| only.is_none_or(|only| only == *name))
            .filter(|name| !names.contains(name.as_str()))
            .cloned()
            .collect();
        for name in gone {
            if let Some(mut store) = self.collections.remove(&name)
                && let Some(visit) = visit.as_deref_mut()
            {
                // What it gained before it went, then that it went.
                store.follow(Some(&mut |change| visit(&name, change)))?;
                visit(&name, LogChange::Dropped)?;
            }
            report.removed.push(name);
        }
        let mut committed = None;
        for (name, path) in on_disk {
            let followed = match (self.collections.get_mut(&name), visit.as_deref_mut()) {
                (Some(store), Some(visit)) => {
                    store.follow(Some(&mut |change| visit(&name, change)))?
                }
                (Some(store), None) => store.follow(None)?,
                (None, _) => Followed::Replaced,
            };
            match followed {
                Followed::Unchanged => {}
                Followed::Advanced(changes) => report.advanced.push((name, changes)),
                Followed::Replaced => {
                    let committed = match &committed {
                        Some(committed) => committed,
                        None => committed.insert(TxLog::read_committed(&self.dir)?),
                    };
                    let store = self.load_collection(&name, &path, committed)?;
                    let old = self.collections.get(&name).map(|old| old.as_ref());
                    if let Some(visit) = visit.as_deref_mut() {
                        tell_replacement(old, store.as_ref(), &mut |change| visit(&name, change))?;
                    }
                    match old.is_some() {
                        true => report.reopened.push(name.clone()),
                        false => report.added.push(name.clone()),
                    }
                    self.adopt(name, store);
                }
            }
        }
        Ok(report)
    }
}

/// Tells `visit` how `new`, the collection opened from the file now at the
/// path, differs from `old`, the state of the file it replaced read to its
/// end (`None`: the collection is new). A file that goes on from exactly
/// there (FORMAT.md, "Following a live file") costs only its log after
/// the snapshot; anything else is compared record by record.
fn tell_replacement(
    old: Option<&dyn CollectionStore>,
    new: &dyn CollectionStore,
    visit: &mut ChangeVisitor<'_>,
) -> Result<()> {
    let Some(old) = old else {
        visit(LogChange::Created)?;
        return tell_differences(None, new, visit);
    };
    if let (Some(at), Some(origin)) = (old.log_position(), new.file_origin()?) {
        if origin.continues.contains(&at) {
            return match origin.snapshot_has_writes {
                false => new.visit_log_after(origin.snapshot_end, &mut |id| old.get(id), visit),
                true => tell_differences(Some(old), new, visit),
            };
        }
        if origin.continues.is_empty() && !origin.first_group_records && !origin.restored {
            visit(LogChange::Cleared)?;
            return new.visit_log_after(origin.snapshot_end, &mut |_| Ok(None), visit);
        }
        // Another file, or one that continues a rewrite this follower
        // never saw, with writes between: what it holds is compared.
        visit(LogChange::Replaced)?;
    }
    tell_differences(Some(old), new, visit)
}

/// Tells `visit` each record inserted, changed or deleted between `old`
/// and `new`, reading both through (a rare path: a restore, or a format
/// whose log is not followed).
fn tell_differences(
    old: Option<&dyn CollectionStore>,
    new: &dyn CollectionStore,
    visit: &mut ChangeVisitor<'_>,
) -> Result<()> {
    let id_of = |doc: &Document| doc.get("_id").and_then(|id| id.as_str()).map(str::to_owned);
    for doc in new.scan() {
        let doc = doc?;
        let Some(id) = id_of(&doc) else { continue };
        match old.map(|old| old.get(&id)).transpose()?.flatten() {
            None => visit(LogChange::Insert { id, doc })?,
            Some(before) if before != doc => visit(LogChange::Update {
                id,
                doc,
                before: Some(before),
            })?,
            Some(_) => {}
        }
    }
    let Some(old) = old else { return Ok(()) };
    for doc in old.scan() {
        let doc = doc?;
        let Some(id) = id_of(&doc) else { continue };
        if !new.contains(&id)? {
            visit(LogChange::Delete {
                id,
                before: Some(doc),
            })?;
        }
    }
    Ok(())
}
