//! A read-only database following its folder while another process writes
//! it: [`FluxDB::refresh`] reads only what each collection's log gained
//! since the last look, and reads again a collection whose file was
//! replaced (a compaction, a codec change, a clear, a restore).

use std::collections::BTreeSet;

use super::fluxdb::FluxDB;
use super::restore::collection_files_after_restore;
use crate::engine::collection::{Followed, LogChange};
use crate::engine::storage::txlog::TxLog;
use crate::error::Result;

/// What [`FluxDB::refresh`] found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Refreshed {
    /// Collections with new commits, and how many puts and deletes each.
    pub advanced: Vec<(String, usize)>,
    /// Collections whose file was replaced, read again.
    pub reopened: Vec<String>,
    /// Collections that appeared.
    pub added: Vec<String>,
    /// Collections that are gone.
    pub removed: Vec<String>,
}

impl Refreshed {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.advanced.is_empty()
            && self.reopened.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
    }
}

impl FluxDB {
    /// Brings a read-only handle up to what other processes committed since
    /// it opened or last refreshed. Each collection reads only the log
    /// appended since (its cost follows the new commits, not the data);
    /// one whose file was replaced, or that appeared, is opened; one that
    /// is gone is forgotten. A writer's handle is always current: nothing
    /// to do.
    pub fn refresh(&mut self) -> Result<Refreshed> {
        self.refresh_each(&mut |_, _| Ok(()))
    }

    /// Like [`refresh`](Self::refresh), calling `visit` with each change
    /// applied (its collection and what it was), in commit order per
    /// collection. A collection opened again (its file replaced) or that
    /// appeared reports no changes: it is as its file says now.
    pub fn refresh_each(
        &mut self,
        visit: &mut dyn FnMut(&str, LogChange) -> Result<()>,
    ) -> Result<Refreshed> {
        let mut report = Refreshed::default();
        if !self.read_only {
            return Ok(report);
        }
        let on_disk = collection_files_after_restore(&self.dir, true)?;
        let names: BTreeSet<&str> = on_disk.iter().map(|(name, _)| name.as_str()).collect();
        let gone: Vec<String> = self
            .collections
            .keys()
            .filter(|name| !names.contains(name.as_str()))
            .cloned()
            .collect();
        for name in gone {
            self.collections.remove(&name);
            report.removed.push(name);
        }
        let mut committed = None;
        for (name, path) in on_disk {
            let followed = match self.collections.get_mut(&name) {
                Some(store) => store.follow(Some(&mut |change| visit(&name, change)))?,
                None => Followed::Replaced,
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
                    match self.collections.contains_key(&name) {
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
