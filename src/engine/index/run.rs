//! [`SortedRun`]: a bulk insert's index entries, sorted once and kept as
//! flat arrays (an LSM tree's run), so a million additions cost a sort and
//! a few allocations instead of a million map insertions.

use std::cmp::Ordering;
use std::ops::Bound;

use roaring::RoaringBitmap;

use super::postings::SlotSink;

/// The index entries of one bulk addition, immutable but for removals:
/// distinct keys in order, each with its slots ascending. A removed entry is
/// marked dead and dropped when runs merge.
#[derive(Debug, Clone, Default)]
pub(super) struct SortedRun {
    /// The keys, concatenated; key `i` ends at `key_ends[i]`.
    key_bytes: Vec<u8>,
    key_ends: Vec<u32>,
    /// Slots of key `i` are `slots[slot_ends[i - 1]..slot_ends[i]]`.
    slot_ends: Vec<u32>,
    slots: Vec<u32>,
    /// Positions in `slots` of removed entries.
    dead: RoaringBitmap,
}

impl SortedRun {
    pub fn key_count(&self) -> usize {
        self.key_ends.len()
    }

    /// Entries not removed.
    pub fn live_entries(&self) -> u64 {
        self.slots.len() as u64 - self.dead.len()
    }

    pub fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.key_ends[i - 1] };
        &self.key_bytes[start as usize..self.key_ends[i] as usize]
    }

    fn slot_range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.slot_ends[i - 1] };
        start as usize..self.slot_ends[i] as usize
    }

    /// Adds the live slots of key `i` to `out`.
    pub fn add_slots(&self, i: usize, out: &mut impl SlotSink) {
        let range = self.slot_range(i);
        if self.dead.is_empty() {
            out.add_slice(&self.slots[range]);
            return;
        }
        for position in range {
            if !self.dead.contains(position as u32) {
                out.add(self.slots[position]);
            }
        }
    }

    /// The first key position not below `key` (`count` if none).
    fn lower_bound(&self, key: &[u8]) -> usize {
        let (mut low, mut high) = (0, self.key_count());
        while low < high {
            let middle = (low + high) / 2;
            if self.key(middle) < key {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        low
    }

    fn find(&self, key: &[u8]) -> Option<usize> {
        let i = self.lower_bound(key);
        (i < self.key_count() && self.key(i) == key).then_some(i)
    }

    /// The key positions within the bounds, as a half-open range.
    pub fn positions(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> std::ops::Range<usize> {
        let start = match lower {
            Bound::Unbounded => 0,
            Bound::Included(key) => self.lower_bound(key),
            Bound::Excluded(key) => {
                let i = self.lower_bound(key);
                i + usize::from(i < self.key_count() && self.key(i) == key)
            }
        };
        let end = match upper {
            Bound::Unbounded => self.key_count(),
            Bound::Included(key) => {
                let i = self.lower_bound(key);
                i + usize::from(i < self.key_count() && self.key(i) == key)
            }
            Bound::Excluded(key) => self.lower_bound(key),
        };
        start..end.max(start)
    }

    /// Marks `(key, slot)` removed; whether it was there.
    pub fn remove(&mut self, key: &[u8], slot: u32) -> bool {
        let Some(i) = self.find(key) else {
            return false;
        };
        let range = self.slot_range(i);
        match self.slots[range.clone()].binary_search(&slot) {
            Ok(offset) => self.dead.insert((range.start + offset) as u32),
            Err(_) => false,
        }
    }

    /// Appends the live slots of key `i` to `out`.
    fn live_slots_into(&self, i: usize, out: &mut Vec<u32>) {
        let range = self.slot_range(i);
        if self.dead.is_empty() {
            out.extend_from_slice(&self.slots[range]);
        } else {
            out.extend(
                range
                    .filter(|&p| !self.dead.contains(p as u32))
                    .map(|p| self.slots[p]),
            );
        }
    }

    /// Appends a key after every key held, with its slots (ascending).
    fn push_key(&mut self, key: &[u8], slots: &[u32]) {
        self.key_bytes.extend_from_slice(key);
        self.key_ends.push(self.key_bytes.len() as u32);
        self.slots.extend_from_slice(slots);
        self.slot_ends.push(self.slots.len() as u32);
    }

    fn with_capacity(bytes: usize, keys: usize, entries: usize) -> SortedRun {
        SortedRun {
            key_bytes: Vec::with_capacity(bytes),
            key_ends: Vec::with_capacity(keys),
            slot_ends: Vec::with_capacity(keys),
            slots: Vec::with_capacity(entries),
            dead: RoaringBitmap::new(),
        }
    }

    /// One run holding the live entries of both (a slot in both counts
    /// once), merged a key at a time.
    pub fn merge(a: &SortedRun, b: &SortedRun) -> SortedRun {
        let mut out = SortedRun::with_capacity(
            a.key_bytes.len() + b.key_bytes.len(),
            a.key_count() + b.key_count(),
            a.slots.len() + b.slots.len(),
        );
        let (mut i, mut j) = (0, 0);
        let mut slots = Vec::new();
        while i < a.key_count() || j < b.key_count() {
            let order = if j == b.key_count() {
                Ordering::Less
            } else if i == a.key_count() {
                Ordering::Greater
            } else {
                a.key(i).cmp(b.key(j))
            };
            slots.clear();
            let key = match order {
                Ordering::Less => {
                    a.live_slots_into(i, &mut slots);
                    i += 1;
                    a.key(i - 1)
                }
                Ordering::Greater => {
                    b.live_slots_into(j, &mut slots);
                    j += 1;
                    b.key(j - 1)
                }
                Ordering::Equal => {
                    a.live_slots_into(i, &mut slots);
                    b.live_slots_into(j, &mut slots);
                    slots.sort_unstable();
                    slots.dedup();
                    i += 1;
                    j += 1;
                    a.key(i - 1)
                }
            };
            if !slots.is_empty() {
                out.push_key(key, &slots);
            }
        }
        out
    }

    /// The same entries with each slot renumbered (`None`: dropped).
    pub fn remap(&self, new_slot: &dyn Fn(u32) -> Option<u32>) -> SortedRun {
        let mut out =
            SortedRun::with_capacity(self.key_bytes.len(), self.key_count(), self.slots.len());
        let mut slots = Vec::new();
        for i in 0..self.key_count() {
            slots.clear();
            self.live_slots_into(i, &mut slots);
            let mut renumbered: Vec<u32> = slots.iter().filter_map(|&s| new_slot(s)).collect();
            renumbered.sort_unstable();
            renumbered.dedup();
            if !renumbered.is_empty() {
                out.push_key(self.key(i), &renumbered);
            }
        }
        out
    }
}

/// Builds a run from `(key, slot)` pairs pushed in order.
pub(super) struct RunWriter {
    run: SortedRun,
    last_slot: Option<u32>,
}

impl RunWriter {
    pub fn with_capacity(bytes: usize, entries: usize) -> RunWriter {
        RunWriter {
            run: SortedRun::with_capacity(bytes, 0, entries),
            last_slot: None,
        }
    }

    /// Adds `(key, slot)`, which must not sort before the last one pushed.
    pub fn push(&mut self, key: &[u8], slot: u32) {
        let run = &mut self.run;
        let same_key = run.key_count() > 0 && run.key(run.key_count() - 1) == key;
        if same_key {
            if self.last_slot == Some(slot) {
                return;
            }
            run.slots.push(slot);
            if let Some(end) = run.slot_ends.last_mut() {
                *end += 1;
            }
        } else {
            run.key_bytes.extend_from_slice(key);
            run.key_ends.push(run.key_bytes.len() as u32);
            run.slots.push(slot);
            run.slot_ends.push(run.slots.len() as u32);
        }
        self.last_slot = Some(slot);
    }

    pub fn finish(self) -> SortedRun {
        self.run
    }
}

/// Index additions collected during a bulk insert: the keys' bytes in one
/// buffer, and per entry an 8-byte prefix of its key to sort by, so most
/// comparisons never read the buffer.
#[derive(Debug, Default, Clone)]
pub(super) struct RunBuilder {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    prefix: u64,
    start: u32,
    end: u32,
    slot: u32,
}

impl RunBuilder {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes of the keys pushed.
    pub fn key_bytes(&self) -> usize {
        self.bytes.len()
    }

    /// Adds the key that `encode` appends to the buffer, for `slot`.
    pub fn push_with(&mut self, slot: u32, encode: impl FnOnce(&mut Vec<u8>)) {
        let start = self.bytes.len();
        encode(&mut self.bytes);
        self.seal(start, slot);
    }

    pub fn push(&mut self, key: &[u8], slot: u32) {
        self.push_with(slot, |bytes| bytes.extend_from_slice(key));
    }

    fn seal(&mut self, start: usize, slot: u32) {
        let key = &self.bytes[start..];
        let mut prefix = [0u8; 8];
        let n = key.len().min(8);
        prefix[..n].copy_from_slice(&key[..n]);
        self.entries.push(Entry {
            prefix: u64::from_be_bytes(prefix),
            start: start as u32,
            end: self.bytes.len() as u32,
            slot,
        });
    }

    /// Sorts what was pushed into a run and empties the builder.
    pub fn take_run(&mut self) -> SortedRun {
        let bytes = &self.bytes;
        let key = |e: &Entry| &bytes[e.start as usize..e.end as usize];
        self.entries.sort_unstable_by(|a, b| {
            a.prefix
                .cmp(&b.prefix)
                .then_with(|| {
                    // Equal prefixes: the rest decides (keys shorter than 8
                    // bytes are padded with zeros, so compare whole keys).
                    key(a).cmp(key(b))
                })
                .then(a.slot.cmp(&b.slot))
        });
        let mut out = RunWriter::with_capacity(self.bytes.len(), self.entries.len());
        for e in &self.entries {
            out.push(key(e), e.slot);
        }
        self.bytes.clear();
        self.entries.clear();
        out.finish()
    }
}
