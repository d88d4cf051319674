//! The in-memory part of the record table: records written since the
//! checkpoint (or every record, when there is none), their `_id`s and where
//! their current versions are, in insertion order.
//!
//! A UUID `_id` (the common case) is stored as 16 bytes inline, and the
//! hash table holds each id's hash beside its slot number, so growing the
//! table never touches the ids.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

use super::id::{IdKey, Loc, StoredId};

#[derive(Debug)]
pub(crate) struct Slot {
    pub id: StoredId,
    pub loc: Loc,
}

/// `_id` → slot, slots in insertion order (`None` where a record was deleted).
#[derive(Debug, Default)]
pub(crate) struct RecentTable {
    pub(super) slots: Vec<Option<Slot>>,
    /// `(hash of the id, slot)`.
    pub(super) index: HashTable<(u64, u32)>,
    pub(super) hasher: hashbrown::DefaultHashBuilder,
    pub(super) live: usize,
}

impl RecentTable {
    fn hash(&self, key: IdKey<'_>) -> u64 {
        hash_key(&self.hasher, key)
    }

    pub fn len(&self) -> usize {
        self.live
    }

    /// Slots ever used, deleted ones included (undo relies on positions).
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    pub fn reserve(&mut self, additional: usize) {
        self.slots.reserve(additional);
        self.index.reserve(additional, |&(hash, _)| hash);
    }

    pub fn find(&self, id: &str) -> Option<u32> {
        let key = IdKey::new(id);
        let hash = self.hash(key);
        let slots = &self.slots;
        self.index
            .find(hash, |&(h, s)| h == hash && stored_matches(slots, s, key))
            .map(|&(_, s)| s)
    }

    pub fn slot(&self, slot: u32) -> Option<&Slot> {
        self.slots.get(slot as usize)?.as_ref()
    }

    pub fn set_loc(&mut self, slot: u32, loc: Loc) {
        if let Some(Some(s)) = self.slots.get_mut(slot as usize) {
            s.loc = loc;
        }
    }

    /// Adds `id` only if it is new; `make_loc` runs only then. Returns the slot.
    pub fn insert_new(&mut self, id: &str, make_loc: impl FnOnce() -> Option<Loc>) -> Option<u32> {
        let key = IdKey::new(id);
        let hash = self.hash(key);
        let slots = &mut self.slots;
        let Entry::Vacant(e) = self.index.entry(
            hash,
            |&(h, s)| h == hash && stored_matches(slots, s, key),
            |&(h, _)| h,
        ) else {
            return None;
        };
        let loc = make_loc()?;
        let slot = slots.len() as u32;
        slots.push(Some(Slot {
            id: key.to_stored(),
            loc,
        }));
        e.insert((hash, slot));
        self.live += 1;
        Some(slot)
    }

    /// Forgets the record in `slot`; returns what it held.
    pub fn remove_at(&mut self, slot: u32) -> Option<Slot> {
        let hash = self.hash(self.slot(slot)?.id.key());
        if let Ok(e) = self.index.find_entry(hash, |&(_, s)| s == slot) {
            e.remove();
        }
        let old = self.slots.get_mut(slot as usize)?.take()?;
        self.live -= 1;
        Some(old)
    }

    /// The slots, holes included, in order.
    pub fn into_slots(self) -> Vec<Option<Slot>> {
        self.slots
    }

    /// A table of these slots (holes included, numbers kept).
    pub fn from_slots(slots: Vec<Option<Slot>>) -> RecentTable {
        let mut table = RecentTable {
            index: HashTable::with_capacity(slots.len()),
            live: slots.iter().filter(|s| s.is_some()).count(),
            slots,
            hasher: hashbrown::DefaultHashBuilder::default(),
        };
        for (i, slot) in table.slots.iter().enumerate() {
            if let Some(s) = slot {
                let hash = hash_key(&table.hasher, s.id.key());
                table
                    .index
                    .insert_unique(hash, (hash, i as u32), |&(h, _)| h);
            }
        }
        table
    }

    /// Puts a removed record back where it was (undo of a delete).
    pub fn restore(&mut self, slot: u32, old: Slot) {
        let hash = self.hash(old.id.key());
        if let Some(place) = self.slots.get_mut(slot as usize) {
            *place = Some(old);
            self.index.insert_unique(hash, (hash, slot), |&(h, _)| h);
            self.live += 1;
        }
    }

    /// Removes the newest slot (undo of an insert).
    pub fn pop(&mut self) {
        let index = self.slots.len().saturating_sub(1) as u32;
        let Some(Some(slot)) = self.slots.pop() else {
            return;
        };
        let hash = self.hash(slot.id.key());
        if let Ok(e) = self.index.find_entry(hash, |&(_, s)| s == index) {
            e.remove();
        }
        self.live -= 1;
    }

    /// Live records in insertion order, with their slot numbers.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Slot)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i as u32, s.as_ref()?)))
    }

    /// Closes the holes deleted records left; slot numbers change. Returns
    /// each old slot's new number (`u32::MAX` for a hole), or `None` if
    /// nothing moved.
    pub fn close_holes(&mut self) -> Option<Vec<u32>> {
        if self.slots.len() == self.live {
            return None;
        }
        let mut next = 0u32;
        let renumbered = self
            .slots
            .iter()
            .map(|s| match s {
                Some(_) => {
                    next += 1;
                    next - 1
                }
                None => u32::MAX,
            })
            .collect();
        self.slots.retain(Option::is_some);
        self.index.clear();
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(s) = slot {
                let hash = hash_key(&self.hasher, s.id.key());
                self.index
                    .insert_unique(hash, (hash, i as u32), |&(h, _)| h);
            }
        }
        Some(renumbered)
    }
}

pub(super) fn hash_key(hasher: &hashbrown::DefaultHashBuilder, key: IdKey<'_>) -> u64 {
    let mut h = hasher.build_hasher();
    match key {
        IdKey::Uuid(b) => {
            h.write_u8(0);
            h.write(&b);
        }
        IdKey::Text(t) => {
            h.write_u8(1);
            h.write(t.as_bytes());
        }
    }
    h.finish()
}

fn stored_matches(slots: &[Option<Slot>], slot: u32, key: IdKey<'_>) -> bool {
    matches!(slots.get(slot as usize), Some(Some(s)) if key.matches(&s.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOC: Loc = Loc::File { offset: 1, len: 2 };

    #[test]
    fn uuid_and_text_ids_are_found_and_kept_apart() {
        let mut t = RecentTable::default();
        let uuid = "0b9f7c1e-5d1c-4b7e-9a51-3c2d6f1e8a90";
        let upper = "0B9F7C1E-5D1C-4B7E-9A51-3C2D6F1E8A90";
        for id in [uuid, upper, "plain"] {
            t.insert_new(id, || Some(LOC));
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.find(uuid), Some(0));
        assert_eq!(t.find(upper), Some(1));
        assert_eq!(t.find("plain"), Some(2));
        let mut buf = [0u8; 36];
        assert_eq!(t.slot(0).unwrap().id.as_str(&mut buf), uuid);
        let mut buf = [0u8; 36];
        assert_eq!(t.slot(1).unwrap().id.as_str(&mut buf), upper);
    }

    #[test]
    fn remove_restore_pop_and_close_holes_keep_lookups_right() {
        let mut t = RecentTable::default();
        for i in 0..100 {
            t.insert_new(&format!("id{i}"), || Some(LOC));
        }
        let old = t.remove_at(10).unwrap();
        assert_eq!(t.find("id10"), None);
        t.restore(10, old);
        assert_eq!(t.find("id10"), Some(10));
        t.pop();
        assert_eq!(t.find("id99"), None);
        for i in (0..99).step_by(2) {
            assert!(t.remove_at(i).is_some());
        }
        t.close_holes();
        assert_eq!(t.len(), 49);
        assert_eq!(t.find("id1"), Some(0));
        assert_eq!(t.find("id97"), Some(48));
        assert!(t.insert_new("id1", || Some(LOC)).is_none());
        assert_eq!(t.insert_new("new", || Some(LOC)), Some(49));
    }
}
