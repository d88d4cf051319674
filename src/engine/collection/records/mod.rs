//! The record table of a collection: every live record's `_id` and where
//! its current version is, in insertion order (a record's slot).
//!
//! With a checkpoint ([`Checkpoint`]), the records it covers are read from
//! its slot and id tables, and only what changed since lives on the
//! heap: the new locations of changed checkpoint slots (`None` once
//! deleted) and a [`RecentTable`] of the records added since, numbered on
//! from the checkpoint's last slot. Without one, the recent table holds
//! every record (as it did before checkpoints existed).
//!
//! Ids of checkpoint slots are not stored: the id table files a hash of
//! each, and the caller tells a true match from a collision by reading the
//! id from the record's entry ([`RecordTable::base_candidates`]).

mod id;
mod loader;
mod recent;

use std::sync::Arc;

use hashbrown::HashMap;

use id::IdKey;
pub(crate) use id::{Loc, StoredId};
pub(crate) use loader::RecordLoader;
pub(crate) use recent::{RecentTable, Slot};

use crate::engine::storage::checkpoint::Checkpoint;
use crate::error::Result;

/// A live slot as the table knows it: its id when held in memory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SlotRef<'a> {
    pub id: Option<&'a StoredId>,
    pub loc: Loc,
}

/// What removing a record took from the table (to put it back on undo).
#[derive(Debug)]
pub(crate) struct Removed {
    pub loc: Loc,
    /// The id, for a record of the recent table.
    id: Option<StoredId>,
}

#[derive(Debug, Default)]
pub(crate) struct RecordTable {
    base: Option<Arc<Checkpoint>>,
    base_slots: u32,
    /// Checkpoint slots still live.
    base_live: usize,
    /// Checkpoint slots changed since: where the record is now, `None`
    /// once deleted.
    changed: HashMap<u32, Option<Loc>>,
    recent: RecentTable,
}

impl RecordTable {
    /// Every record in memory (no checkpoint).
    pub fn in_memory(recent: RecentTable) -> RecordTable {
        RecordTable {
            recent,
            ..RecordTable::default()
        }
    }

    /// The records a checkpoint covers, nothing changed yet.
    pub fn with_base(base: Arc<Checkpoint>) -> RecordTable {
        RecordTable {
            base_slots: base.totals.slots as u32,
            base_live: base.totals.live as usize,
            base: Some(base),
            changed: HashMap::new(),
            recent: RecentTable::default(),
        }
    }

    pub fn base(&self) -> Option<&Arc<Checkpoint>> {
        self.base.as_ref()
    }

    /// Slots the checkpoint covers (0 without one).
    pub fn base_slots(&self) -> u32 {
        self.base_slots
    }

    pub fn len(&self) -> usize {
        self.base_live + self.recent.len()
    }

    /// Slots ever used, deleted ones included (undo relies on positions).
    pub fn slot_count(&self) -> usize {
        self.base_slots as usize + self.recent.slot_count()
    }

    /// Records held on the heap: changed checkpoint slots and recent ones.
    /// Slots added since the checkpoint (deleted ones included).
    pub fn recent_slots(&self) -> usize {
        self.recent.slot_count()
    }

    /// Makes room for `additional` records added after the checkpoint.
    pub fn reserve_recent(&mut self, additional: usize) {
        self.recent.reserve(additional);
    }

    pub fn in_memory_count(&self) -> usize {
        self.changed.len() + self.recent.slot_count()
    }

    /// Checkpoint slots changed since it was written, with where they are now.
    pub fn changed(&self) -> impl Iterator<Item = (u32, Option<Loc>)> + '_ {
        self.changed.iter().map(|(&slot, &loc)| (slot, loc))
    }

    /// Live slots of the recent table (global numbers).
    pub fn recent(&self) -> impl Iterator<Item = (u32, SlotRef<'_>)> + '_ {
        let first = self.base_slots;
        self.recent.iter().map(move |(i, s)| {
            (
                first + i,
                SlotRef {
                    id: Some(&s.id),
                    loc: s.loc,
                },
            )
        })
    }

    /// The slot of `id` among records held in memory.
    pub fn find_recent(&self, id: &str) -> Option<u32> {
        if self.recent.len() == 0 {
            // Not even the id's form needs working out.
            return None;
        }
        self.recent.find(id).map(|r| self.base_slots + r)
    }

    /// Calls `visit` with each live checkpoint slot whose id hash is that of
    /// `id`, and its location, until it returns `Ok(false)`; the caller
    /// checks the id in the entry.
    pub fn base_candidates(
        &self,
        id: &str,
        visit: &mut dyn FnMut(u32, Loc) -> Result<bool>,
    ) -> Result<()> {
        let Some(base) = &self.base else {
            return Ok(());
        };
        base.id_candidates(id, &mut |slot| match self.loc(slot)? {
            Some(loc) => visit(slot, loc),
            None => Ok(true),
        })
    }

    /// Where the live record in `slot` is (`None`: no such live record).
    pub fn loc(&self, slot: u32) -> Result<Option<Loc>> {
        if slot < self.base_slots {
            if let Some(&loc) = self.changed.get(&slot) {
                return Ok(loc);
            }
            let Some(base) = &self.base else {
                return Ok(None);
            };
            return Ok(base.slot(slot)?.map(|(place, len)| Loc::stored(place, len)));
        }
        Ok(self.recent.slot(slot - self.base_slots).map(|s| s.loc))
    }

    /// Where the records in slots `[first, first + count)` are (`None`:
    /// deleted), checkpoint slots read in one go; cut at the last slot.
    pub fn locs(&self, first: u32, count: u32) -> Result<Vec<Option<Loc>>> {
        let end = (u64::from(first) + u64::from(count)).min(self.slot_count() as u64) as u32;
        let mut out = Vec::with_capacity(end.saturating_sub(first) as usize);
        if first < self.base_slots
            && let Some(base) = &self.base
        {
            let base_end = end.min(self.base_slots);
            for (i, stored) in base.slots(first, base_end - first)?.into_iter().enumerate() {
                let slot = first + i as u32;
                out.push(match self.changed.get(&slot) {
                    Some(&changed) => changed,
                    None => stored.map(|(place, len)| Loc::stored(place, len)),
                });
            }
        }
        for slot in first.max(self.base_slots)..end {
            out.push(self.recent.slot(slot - self.base_slots).map(|s| s.loc));
        }
        Ok(out)
    }

    pub fn slot(&self, slot: u32) -> Result<Option<SlotRef<'_>>> {
        if slot < self.base_slots {
            return Ok(self.loc(slot)?.map(|loc| SlotRef { id: None, loc }));
        }
        Ok(self.recent.slot(slot - self.base_slots).map(|s| SlotRef {
            id: Some(&s.id),
            loc: s.loc,
        }))
    }

    pub fn set_loc(&mut self, slot: u32, loc: Loc) {
        if slot < self.base_slots {
            self.changed.insert(slot, Some(loc));
        } else {
            self.recent.set_loc(slot - self.base_slots, loc);
        }
    }

    /// Adds `id` (absent from the checkpoint: the caller checked) only if
    /// the recent table does not hold it; `make_loc` runs only then.
    pub fn insert_new(&mut self, id: &str, make_loc: impl FnOnce() -> Option<Loc>) -> Option<u32> {
        self.recent
            .insert_new(id, make_loc)
            .map(|r| self.base_slots + r)
    }

    /// Forgets the live record in `slot`.
    pub fn remove_slot(&mut self, slot: u32) -> Result<Option<Removed>> {
        if slot < self.base_slots {
            let Some(loc) = self.loc(slot)? else {
                return Ok(None);
            };
            return Ok(Some(self.remove_at(slot, loc)));
        }
        Ok(self
            .recent
            .remove_at(slot - self.base_slots)
            .map(|s| Removed {
                loc: s.loc,
                id: Some(s.id),
            }))
    }

    /// Forgets the live record in `slot`, known to be at `loc`.
    pub fn remove_at(&mut self, slot: u32, loc: Loc) -> Removed {
        if slot < self.base_slots {
            self.changed.insert(slot, None);
            self.base_live = self.base_live.saturating_sub(1);
            return Removed { loc, id: None };
        }
        match self.recent.remove_at(slot - self.base_slots) {
            Some(s) => Removed {
                loc: s.loc,
                id: Some(s.id),
            },
            None => Removed { loc, id: None },
        }
    }

    /// Puts a removed record back where it was (undo of a delete).
    pub fn restore(&mut self, slot: u32, removed: Removed) {
        match removed.id {
            None => {
                if slot < self.base_slots
                    && self.changed.insert(slot, Some(removed.loc)) == Some(None)
                {
                    self.base_live += 1;
                }
            }
            Some(id) => self.recent.restore(
                slot - self.base_slots,
                Slot {
                    id,
                    loc: removed.loc,
                },
            ),
        }
    }

    /// Removes the newest slot (undo of an insert).
    pub fn pop(&mut self) {
        self.recent.pop();
    }

    /// Live records in slot order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(u32, SlotRef<'_>)>> + '_ {
        const BATCH: u32 = 1024;
        let base = (0..self.base_slots)
            .step_by(BATCH as usize)
            .flat_map(move |first| {
                let count = BATCH.min(self.base_slots - first);
                let batch: Vec<Result<(u32, SlotRef<'_>)>> = match self.locs(first, count) {
                    Ok(locs) => locs
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, loc)| {
                            let loc = loc?;
                            Some(Ok((first + i as u32, SlotRef { id: None, loc })))
                        })
                        .collect(),
                    Err(e) => vec![Err(e)],
                };
                batch
            });
        base.chain(self.recent().map(Ok))
    }

    /// Live records in slot order after the first `skip`. Where the
    /// checkpoint's slots are all live (no record deleted before or since
    /// it), the n-th live record is slot n, and nothing before it is read.
    pub fn iter_from(
        &self,
        skip: usize,
    ) -> Box<dyn Iterator<Item = Result<(u32, SlotRef<'_>)>> + '_> {
        let base_whole = self.base_live == self.base_slots as usize;
        if !base_whole || skip == 0 {
            return Box::new(self.iter().skip(skip));
        }
        let base_slots = self.base_slots as usize;
        if skip >= base_slots {
            return Box::new(self.recent().map(Ok).skip(skip - base_slots));
        }
        let first = skip as u32;
        const BATCH: u32 = 1024;
        let base = (first..self.base_slots)
            .step_by(BATCH as usize)
            .flat_map(move |from| {
                let count = BATCH.min(self.base_slots - from);
                let batch: Vec<Result<(u32, SlotRef<'_>)>> = match self.locs(from, count) {
                    Ok(locs) => locs
                        .into_iter()
                        .enumerate()
                        .filter_map(|(i, loc)| {
                            Some(Ok((
                                from + i as u32,
                                SlotRef {
                                    id: None,
                                    loc: loc?,
                                },
                            )))
                        })
                        .collect(),
                    Err(e) => vec![Err(e)],
                };
                batch
            });
        Box::new(base.chain(self.recent().map(Ok)))
    }

    /// Brings every record into memory, reading the ids of checkpoint slots
    /// with `id_of`, and drops the checkpoint (before a compaction, which
    /// renumbers slots). Slot numbers stay.
    pub fn materialize(&mut self, id_of: &mut dyn FnMut(Loc) -> Result<String>) -> Result<()> {
        if self.base.is_none() {
            return Ok(());
        }
        let mut slots = Vec::with_capacity(self.slot_count());
        for slot in 0..self.base_slots {
            slots.push(match self.loc(slot)? {
                Some(loc) => Some(Slot {
                    id: IdKey::new(&id_of(loc)?).to_stored(),
                    loc,
                }),
                None => None,
            });
        }
        let recent = std::mem::take(&mut self.recent);
        slots.extend(recent.into_slots());
        *self = RecordTable::in_memory(RecentTable::from_slots(slots));
        Ok(())
    }

    /// Closes the holes deleted records left (no checkpoint: materialize
    /// first); see [`RecentTable::close_holes`].
    pub fn close_holes(&mut self) -> Option<Vec<u32>> {
        if self.base.is_some() {
            return None;
        }
        self.recent.close_holes()
    }
}
