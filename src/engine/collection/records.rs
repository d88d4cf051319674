//! The in-memory table of a collection: every live record's `_id` and where
//! its current version is, in insertion order.
//!
//! This is the only structure whose size grows with the record count, so it
//! is kept small: a UUID `_id` (the common case) is stored as 16 bytes
//! inline, and the hash table holds each id's hash beside its slot number,
//! so growing the table never touches the ids.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

/// Where the current version of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// An entry in the collection file.
    File { offset: u64, len: u32 },
    /// An entry in the pending buffer, not yet written.
    Pending { offset: usize, len: u32 },
}

impl Loc {
    pub fn len(self) -> u32 {
        match self {
            Loc::File { len, .. } | Loc::Pending { len, .. } => len,
        }
    }
}

/// An `_id` as stored: canonical lowercase UUIDs in 16 bytes, anything else
/// as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StoredId {
    Uuid([u8; 16]),
    Text(Box<str>),
}

/// An `_id` being looked up, classified the same way without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdKey<'a> {
    Uuid([u8; 16]),
    Text(&'a str),
}

impl<'a> IdKey<'a> {
    fn new(id: &'a str) -> IdKey<'a> {
        if id.len() == 36 {
            if let Ok(uuid) = uuid::Uuid::try_parse(id) {
                let mut buf = [0u8; 36];
                // Only the canonical spelling round-trips; "ABC…" stays text.
                if uuid.hyphenated().encode_lower(&mut buf).as_bytes() == id.as_bytes() {
                    return IdKey::Uuid(uuid.into_bytes());
                }
            }
        }
        IdKey::Text(id)
    }

    fn matches(self, stored: &StoredId) -> bool {
        match (self, stored) {
            (IdKey::Uuid(a), StoredId::Uuid(b)) => a == *b,
            (IdKey::Text(a), StoredId::Text(b)) => a == &**b,
            _ => false,
        }
    }

    fn to_stored(self) -> StoredId {
        match self {
            IdKey::Uuid(b) => StoredId::Uuid(b),
            IdKey::Text(t) => StoredId::Text(t.into()),
        }
    }
}

impl StoredId {
    fn key(&self) -> IdKey<'_> {
        match self {
            StoredId::Uuid(b) => IdKey::Uuid(*b),
            StoredId::Text(t) => IdKey::Text(t),
        }
    }

    /// The id as text, written into `buf` when it is a UUID.
    pub fn as_str<'a>(&'a self, buf: &'a mut [u8; 36]) -> &'a str {
        match self {
            StoredId::Uuid(b) => uuid::Uuid::from_bytes(*b).hyphenated().encode_lower(buf),
            StoredId::Text(t) => t,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Slot {
    pub id: StoredId,
    pub loc: Loc,
}

/// `_id` → slot, slots in insertion order (`None` where a record was deleted).
#[derive(Debug, Default)]
pub(crate) struct RecordTable {
    slots: Vec<Option<Slot>>,
    /// `(hash of the id, slot)`.
    index: HashTable<(u64, u32)>,
    hasher: hashbrown::DefaultHashBuilder,
    live: usize,
}

impl RecordTable {
    pub fn with_capacity(records: usize) -> RecordTable {
        RecordTable {
            slots: Vec::with_capacity(records),
            index: HashTable::with_capacity(records),
            ..RecordTable::default()
        }
    }

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

    /// Points `id` at `loc`, keeping its position if it exists. Returns the
    /// slot and the previous location.
    pub fn upsert(&mut self, id: &str, loc: Loc) -> (u32, Option<Loc>) {
        let key = IdKey::new(id);
        let hash = self.hash(key);
        let slots = &mut self.slots;
        match self.index.entry(
            hash,
            |&(h, s)| h == hash && stored_matches(slots, s, key),
            |&(h, _)| h,
        ) {
            Entry::Occupied(e) => {
                let slot = e.get().1;
                let old = slots[slot as usize]
                    .as_mut()
                    .map(|s| std::mem::replace(&mut s.loc, loc));
                (slot, old)
            }
            Entry::Vacant(e) => {
                let slot = slots.len() as u32;
                slots.push(Some(Slot {
                    id: key.to_stored(),
                    loc,
                }));
                e.insert((hash, slot));
                self.live += 1;
                (slot, None)
            }
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

    /// Forgets `id`; returns its slot and what it held.
    pub fn remove(&mut self, id: &str) -> Option<(u32, Slot)> {
        let key = IdKey::new(id);
        let hash = self.hash(key);
        let slots = &mut self.slots;
        let found = self
            .index
            .find_entry(hash, |&(h, s)| h == hash && stored_matches(slots, s, key))
            .ok()?;
        let ((_, slot), _) = found.remove();
        let old = slots[slot as usize].take()?;
        self.live -= 1;
        Some((slot, old))
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

    /// Closes the holes deleted records left; slot numbers change.
    pub fn close_holes(&mut self) {
        if self.slots.len() == self.live {
            return;
        }
        self.slots.retain(Option::is_some);
        self.index.clear();
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(s) = slot {
                let hash = hash_key(&self.hasher, s.id.key());
                self.index.insert_unique(hash, (hash, i as u32), |&(h, _)| h);
            }
        }
    }
}

fn hash_key(hasher: &hashbrown::DefaultHashBuilder, key: IdKey<'_>) -> u64 {
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
        let mut t = RecordTable::default();
        let uuid = "0b9f7c1e-5d1c-4b7e-9a51-3c2d6f1e8a90";
        let upper = "0B9F7C1E-5D1C-4B7E-9A51-3C2D6F1E8A90";
        t.upsert(uuid, LOC);
        t.upsert(upper, LOC);
        t.upsert("plain", LOC);
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
        let mut t = RecordTable::default();
        for i in 0..100 {
            t.upsert(&format!("id{i}"), LOC);
        }
        let (slot, old) = t.remove("id10").unwrap();
        assert_eq!(t.find("id10"), None);
        t.restore(slot, old);
        assert_eq!(t.find("id10"), Some(10));
        t.pop();
        assert_eq!(t.find("id99"), None);
        for i in (0..99).step_by(2) {
            t.remove(&format!("id{i}"));
        }
        t.close_holes();
        assert_eq!(t.len(), 49);
        assert_eq!(t.find("id1"), Some(0));
        assert_eq!(t.find("id97"), Some(48));
        assert!(t.insert_new("id1", || Some(LOC)).is_none());
        assert_eq!(t.insert_new("new", || Some(LOC)), Some(49));
    }
}
