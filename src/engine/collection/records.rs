//! The in-memory table of a collection: every live record's `_id` and where
//! its current version is, in insertion order.
//!
//! This is the only structure whose size grows with the record count, so it
//! is kept small: a UUID `_id` (the common case) is stored as 16 bytes
//! inline, and the hash table holds each id's hash beside its slot number,
//! so growing the table never touches the ids.

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use crate::engine::storage::native::Place;
use hashbrown::hash_table::Entry;

/// Where the current version of a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Loc {
    /// An entry in the collection file.
    File { offset: u64, len: u32 },
    /// An entry in the pending buffer, not yet written.
    Pending { offset: usize, len: u32 },
    /// An entry `at` bytes into the decompressed compressed block at file
    /// offset `block` (a compressed file); `len` is its uncompressed length.
    Block { block: u64, at: u16, len: u32 },
}

// A location per record: compressed files must not make the table larger.
const _: () = assert!(std::mem::size_of::<Loc>() == 16);

impl Loc {
    pub fn len(self) -> u32 {
        match self {
            Loc::File { len, .. } | Loc::Pending { len, .. } | Loc::Block { len, .. } => len,
        }
    }

    /// The offset errors about this entry name: in the file, in the pending
    /// buffer, or of its compressed block.
    pub fn error_offset(self) -> u64 {
        match self {
            Loc::File { offset, .. } => offset,
            Loc::Pending { offset, .. } => offset as u64,
            Loc::Block { block, .. } => block,
        }
    }

    /// Where a stored entry is (`None` while it is pending).
    pub fn place(self) -> Option<Place> {
        match self {
            Loc::File { offset, .. } => Some(Place::File(offset)),
            Loc::Block { block, at, .. } => Some(Place::Block { block, at }),
            Loc::Pending { .. } => None,
        }
    }

    /// The location of a stored entry of `len` bytes at `place`.
    pub fn stored(place: Place, len: u32) -> Loc {
        match place {
            Place::File(offset) => Loc::File { offset, len },
            Place::Block { block, at } => Loc::Block { block, at, len },
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
        match canonical_uuid(id.as_bytes()) {
            Some(bytes) => IdKey::Uuid(bytes),
            None => IdKey::Text(id),
        }
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

/// The 16 bytes of a UUID written exactly as `uuid` writes it (lowercase,
/// hyphenated), so that storing the bytes loses nothing. "ABC…" stays text.
fn canonical_uuid(text: &[u8]) -> Option<[u8; 16]> {
    // 36 bytes can only be the hyphenated form; uuid's parser checks the rest.
    if text.len() != 36 || text.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    uuid::Uuid::try_parse_ascii(text)
        .ok()
        .map(uuid::Uuid::into_bytes)
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
        if let Some(slot) = self.find(id)
            && let Some(Some(s)) = self.slots.get_mut(slot as usize)
        {
            return (slot, Some(std::mem::replace(&mut s.loc, loc)));
        }
        let slot = self.insert_new(id, || Some(loc));
        (slot.unwrap_or(u32::MAX), None)
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

/// Which ops of a run are resolved: a bit mask for the usual short runs.
enum DoneSet {
    Small(u64),
    Large(Vec<bool>),
}

impl DoneSet {
    fn new(n: usize) -> DoneSet {
        if n <= 64 {
            DoneSet::Small(0)
        } else {
            DoneSet::Large(vec![false; n])
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            DoneSet::Small(bits) => bits & (1 << i) != 0,
            DoneSet::Large(done) => done[i],
        }
    }

    fn insert(&mut self, i: usize) {
        match self {
            DoneSet::Small(bits) => *bits |= 1 << i,
            DoneSet::Large(done) => done[i] = true,
        }
    }
}

/// How many low hash bits pick a bucket in a table sized for `n` (as
/// hashbrown sizes it: 8/7 of the capacity, rounded up to a power of two).
fn bucket_bits(n: usize) -> u32 {
    (n.max(8) * 8 / 7).next_power_of_two().trailing_zeros()
}

/// A set of op positions, with ranks: a live record's slot is how many live
/// records come before it.
struct LiveSet {
    words: Vec<u64>,
}

struct Ranks {
    /// Live positions before each word.
    before: Vec<u32>,
    total: u32,
}

impl LiveSet {
    fn new(n: usize) -> LiveSet {
        LiveSet {
            words: vec![0; n.div_ceil(64)],
        }
    }

    fn insert(&mut self, position: u32) {
        self.words[position as usize / 64] |= 1 << (position % 64);
    }

    fn contains(&self, position: u32) -> bool {
        self.words[position as usize / 64] & (1 << (position % 64)) != 0
    }

    fn ranks(&self) -> Ranks {
        let mut total = 0;
        let before = self
            .words
            .iter()
            .map(|w| {
                let at = total;
                total += w.count_ones();
                at
            })
            .collect();
        Ranks { before, total }
    }
}

impl Ranks {
    fn rank(&self, set: &LiveSet, position: u32) -> u32 {
        let word = position as usize / 64;
        let below = set.words[word] & ((1u64 << (position % 64)) - 1);
        self.before[word] + below.count_ones()
    }
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
    fn the_loader_keeps_first_insert_positions_and_last_versions() {
        let mut loader = RecordLoader::default();
        let at = |offset| Loc::File { offset, len: 1 };
        loader.put("a", at(1));
        loader.put("b", at(2));
        loader.put("c", at(3));
        loader.put("a", at(4)); // update keeps a's place
        loader.delete("b");
        loader.put("b", at(5)); // reinserted: goes last
        loader.delete("c");
        let t = loader.finish();
        let order: Vec<_> = t
            .iter()
            .map(|(_, s)| {
                let mut buf = [0u8; 36];
                (s.id.as_str(&mut buf).to_owned(), s.loc)
            })
            .collect();
        assert_eq!(order, [("a".to_owned(), at(4)), ("b".to_owned(), at(5))]);
        assert_eq!(t.find("b"), Some(1));
        assert_eq!(t.find("c"), None);
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

/// Builds a [`RecordTable`] from a file's entries in file order.
///
/// Inserting a million ids one by one into a hash table misses the cache on
/// every insert; instead the loader collects the entries, resolves each id's
/// final state with one sort, and fills the table in bucket order, so every
/// pass over memory is sequential.
#[derive(Debug, Default)]
pub(crate) struct RecordLoader {
    ops: Vec<LoadOp>,
    group_start: usize,
}

#[derive(Debug)]
struct LoadOp {
    id: StoredId,
    /// `None` for a delete.
    loc: Option<Loc>,
}

impl RecordLoader {
    pub fn with_capacity(entries: usize) -> RecordLoader {
        RecordLoader {
            ops: Vec::with_capacity(entries),
            group_start: 0,
        }
    }

    pub fn start_group(&mut self) {
        self.group_start = self.ops.len();
    }

    /// Forgets the entries since [`start_group`](Self::start_group).
    pub fn discard_group(&mut self) {
        self.ops.truncate(self.group_start);
    }

    pub fn put(&mut self, id: &str, loc: Loc) {
        self.ops.push(LoadOp {
            id: IdKey::new(id).to_stored(),
            loc: Some(loc),
        });
    }

    pub fn delete(&mut self, id: &str) {
        self.ops.push(LoadOp {
            id: IdKey::new(id).to_stored(),
            loc: None,
        });
    }

    pub fn finish(mut self) -> RecordTable {
        let hasher = hashbrown::DefaultHashBuilder::default();
        // Sorted by hash with the bucket bits (the hash's low bits) first:
        // each id's ops end up together, in file order, and in the order
        // the table's buckets lie, so the table fills front to back.
        let bits = bucket_bits(self.ops.len());
        let mut by_id: Vec<(u64, u32)> = self
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let hash = hash_key(&hasher, op.id.key()).rotate_right(bits);
                (hash, (i as u32) << 1 | u32::from(op.loc.is_none()))
            })
            .collect();
        by_id.sort_unstable();

        // Where each live record stands (its first put since its last
        // delete), with its hash, in bucket order.
        let mut live = LiveSet::new(self.ops.len());
        let mut placed: Vec<(u64, u32)> = Vec::with_capacity(by_id.len());
        let mut start = 0;
        while start < by_id.len() {
            let rotated = by_id[start].0;
            let len = by_id[start..]
                .iter()
                .take_while(|&&(h, _)| h == rotated)
                .count();
            let hash = rotated.rotate_left(bits);
            match &by_id[start..start + len] {
                [(_, op)] => {
                    if op & 1 == 0 {
                        live.insert(op >> 1);
                        placed.push((hash, op >> 1));
                    }
                }
                run => {
                    for (position, last) in self.resolve_run(run) {
                        self.ops[position as usize].loc = self.ops[last as usize].loc;
                        live.insert(position);
                        placed.push((hash, position));
                    }
                }
            }
            start += len;
        }
        drop(by_id);

        let ranks = live.ranks();
        let mut table = RecordTable {
            slots: Vec::with_capacity(ranks.total as usize),
            index: HashTable::with_capacity(ranks.total as usize),
            hasher,
            live: ranks.total as usize,
        };
        for (i, op) in self.ops.into_iter().enumerate() {
            if let (true, Some(loc)) = (live.contains(i as u32), op.loc) {
                table.slots.push(Some(Slot { id: op.id, loc }));
            }
        }
        for (hash, position) in placed {
            let slot = ranks.rank(&live, position);
            table.index.insert_unique(hash, (hash, slot), |&(h, _)| h);
        }
        table
    }

    /// Ops whose ids share a hash (one id that was written several times,
    /// or rarely several ids), in file order: finds where each live record
    /// stands and which op holds its final version.
    fn resolve_run(&self, run: &[(u64, u32)]) -> Vec<(u32, u32)> {
        let mut live = Vec::new();
        let mut done = DoneSet::new(run.len());
        for first in 0..run.len() {
            if done.contains(first) {
                continue;
            }
            let key = self.ops[(run[first].1 >> 1) as usize].id.key();
            let mut position: Option<u64> = None;
            let mut last: Option<u64> = None;
            for (k, &(_, packed)) in run.iter().enumerate().skip(first) {
                let op = (packed >> 1) as usize;
                if done.contains(k) || !key.matches(&self.ops[op].id) {
                    continue;
                }
                done.insert(k);
                if packed & 1 == 0 {
                    position.get_or_insert(op as u64);
                    last = Some(op as u64);
                } else {
                    position = None;
                    last = None;
                }
            }
            if let (Some(position), Some(last)) = (position, last) {
                live.push((position as u32, last as u32));
            }
        }
        live
    }
}
