//! [`MemoryKeys`]: the part of an index held on the heap. Single writes go
//! to an ordered map; a bulk insert arrives as one [`SortedRun`], and runs
//! of like size merge (as an LSM tree's levels do), so there are never more
//! than a few dozen and a load of any size costs a sort and linear merges.

use std::collections::BTreeMap;
use std::ops::Bound;

use roaring::RoaringBitmap;

use super::postings::{Postings, SlotSink};
use super::run::SortedRun;

/// Runs are merged only while both fit offsets of 32 bits with room.
const MAX_RUN_ENTRIES: u64 = (u32::MAX / 2) as u64;

#[derive(Debug, Clone, Default)]
pub(super) struct MemoryKeys {
    map: BTreeMap<Box<[u8]>, Postings>,
    /// Oldest (largest) first.
    runs: Vec<SortedRun>,
}

impl MemoryKeys {
    pub fn insert(&mut self, key: &[u8], slot: u32) {
        match self.map.get_mut(key) {
            Some(postings) => postings.insert(slot),
            None => {
                self.map.insert(key.into(), Postings::One(slot));
            }
        }
    }

    /// Removes `(key, slot)` wherever it is held.
    pub fn remove(&mut self, key: &[u8], slot: u32) {
        if let Some(postings) = self.map.get_mut(key)
            && postings.remove(slot)
        {
            self.map.remove(key);
        }
        for run in &mut self.runs {
            run.remove(key, slot);
        }
    }

    /// Adds a bulk insert's run, then merges the newest runs while the
    /// older is no more than twice the newer.
    pub fn push_run(&mut self, run: SortedRun) {
        if run.key_count() == 0 {
            return;
        }
        self.runs.push(run);
        while let [.., older, newer] = self.runs.as_slice() {
            let (a, b) = (older.live_entries(), newer.live_entries());
            if a > 2 * b || a + b > MAX_RUN_ENTRIES {
                break;
            }
            let newer = self.runs.pop().unwrap_or_default();
            let older = self.runs.pop().unwrap_or_default();
            self.runs.push(SortedRun::merge(&older, &newer));
        }
    }

    /// Distinct keys held (a key in several places counts in each).
    pub fn key_count(&self) -> usize {
        self.map.len() + self.runs.iter().map(SortedRun::key_count).sum::<usize>()
    }

    /// `(key, slots)` within the bounds in key order (descending when
    /// asked), every place merged; keys with no live slot are skipped.
    pub fn walk<'a>(
        &'a self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        descending: bool,
    ) -> MemoryWalk<'a> {
        if is_empty_range(lower, upper) {
            return MemoryWalk {
                map: (Box::new(std::iter::empty()) as MapKeys<'a>).peekable(),
                runs: Vec::new(),
                descending,
            };
        }
        let range = self.map.range::<[u8], _>((lower, upper));
        let map: MapKeys<'a> = if descending {
            Box::new(range.rev().map(|(k, p)| (&**k, p)))
        } else {
            Box::new(range.map(|(k, p)| (&**k, p)))
        };
        let runs = self
            .runs
            .iter()
            .map(|run| RunCursor {
                run,
                positions: run.positions(lower, upper),
            })
            .collect();
        MemoryWalk {
            map: map.peekable(),
            runs,
            descending,
        }
    }

    /// Every slot renumbered (after compaction), `None` dropped.
    pub fn remap(&mut self, new_slot: &dyn Fn(u32) -> Option<u32>) {
        self.map.retain(|_, postings| {
            let slots: RoaringBitmap = match postings {
                Postings::One(slot) => new_slot(*slot).into_iter().collect(),
                Postings::Many(set) => set.iter().filter_map(new_slot).collect(),
            };
            *postings = match (slots.len(), slots.min()) {
                (1, Some(slot)) => Postings::One(slot),
                _ => Postings::Many(slots),
            };
            !matches!(postings, Postings::Many(set) if set.is_empty())
        });
        for run in &mut self.runs {
            *run = run.remap(new_slot);
        }
    }
}

/// Whether no key lies within the bounds (`BTreeMap::range` panics on
/// such bounds).
fn is_empty_range(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(lo), Bound::Included(hi)) => lo > hi,
        (Bound::Included(lo) | Bound::Excluded(lo), Bound::Excluded(hi))
        | (Bound::Excluded(lo), Bound::Included(hi)) => lo >= hi,
        _ => false,
    }
}

/// The unvisited key positions of one run.
struct RunCursor<'a> {
    run: &'a SortedRun,
    positions: std::ops::Range<usize>,
}

impl<'a> RunCursor<'a> {
    fn head(&self, descending: bool) -> Option<&'a [u8]> {
        let i = if descending {
            self.positions.end.checked_sub(1)?
        } else {
            self.positions.start
        };
        (self.positions.start < self.positions.end).then(|| self.run.key(i))
    }

    fn take(&mut self, descending: bool, out: &mut impl SlotSink) {
        let i = if descending {
            self.positions.next_back()
        } else {
            self.positions.next()
        };
        if let Some(i) = i {
            self.run.add_slots(i, out);
        }
    }
}

/// The map's keys within a walk's bounds, in its order.
type MapKeys<'a> = Box<dyn Iterator<Item = (&'a [u8], &'a Postings)> + 'a>;

/// See [`MemoryKeys::walk`].
pub(super) struct MemoryWalk<'a> {
    map: std::iter::Peekable<MapKeys<'a>>,
    runs: Vec<RunCursor<'a>>,
    descending: bool,
}

impl<'a> Iterator for MemoryWalk<'a> {
    type Item = (&'a [u8], RoaringBitmap);

    fn next(&mut self) -> Option<Self::Item> {
        let mut slots = RoaringBitmap::new();
        let key = self.next_into(&mut slots)?;
        Some((key, slots))
    }
}

impl<'a> MemoryWalk<'a> {
    /// The next key with a live slot, its slots added to `out` (emptied
    /// first by the caller).
    fn next_into(&mut self, out: &mut impl SlotSink) -> Option<&'a [u8]> {
        let descending = self.descending;
        let first = |a: &'a [u8], b: &'a [u8]| {
            if (a < b) != descending { a } else { b }
        };
        loop {
            let mut key: Option<&'a [u8]> = self.map.peek().map(|(k, _)| *k);
            for cursor in &self.runs {
                if let Some(head) = cursor.head(descending) {
                    key = Some(key.map_or(head, |k| first(k, head)));
                }
            }
            let key = key?;
            if self.map.peek().is_some_and(|(k, _)| *k == key)
                && let Some((_, postings)) = self.map.next()
            {
                postings.add_to(out);
            }
            for cursor in &mut self.runs {
                if cursor.head(descending) == Some(key) {
                    cursor.take(descending, out);
                }
            }
            if out.has_any() {
                return Some(key);
            }
        }
    }

    /// The next key with a live slot and its slots, sorted, in `out`
    /// (replaced).
    pub fn next_sorted(&mut self, out: &mut Vec<u32>) -> Option<&'a [u8]> {
        out.clear();
        let key = self.next_into(out)?;
        if out.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        Some(key)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use proptest::prelude::*;

    use super::*;
    use crate::engine::index::run::RunBuilder;

    #[derive(Debug, Clone)]
    enum Op {
        Insert(u8, u32),
        Remove(u8, u32),
        /// A bulk insert of these pairs, as one run.
        Run(Vec<(u8, u32)>),
        /// Every slot `s` becomes `s / 2` (odd ones dropped).
        Remap,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..12, 0u32..40).prop_map(|(k, s)| Op::Insert(k, s)),
            (0u8..12, 0u32..40).prop_map(|(k, s)| Op::Remove(k, s)),
            prop::collection::vec((0u8..12, 0u32..40), 0..30).prop_map(Op::Run),
            Just(Op::Remap),
        ]
    }

    /// Keys of different lengths sharing prefixes, as encoded keys do.
    fn key(k: u8) -> Vec<u8> {
        let mut key = vec![0x30; 1 + (k as usize % 9)];
        key.push(k);
        key
    }

    type Model = BTreeMap<Vec<u8>, BTreeSet<u32>>;

    fn walked(memory: &MemoryKeys, lower: Bound<&[u8]>, upper: Bound<&[u8]>, desc: bool) -> Model {
        let mut out = Model::new();
        let mut last: Option<Vec<u8>> = None;
        for (k, slots) in memory.walk(lower, upper, desc) {
            if let Some(last) = &last {
                assert_eq!(
                    last.as_slice().cmp(k),
                    if desc {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    }
                );
            }
            last = Some(k.to_vec());
            assert!(!slots.is_empty());
            out.insert(k.to_vec(), slots.into_iter().collect());
        }
        out
    }

    proptest! {
        #[test]
        fn memory_keys_hold_what_a_map_of_sets_holds(ops in prop::collection::vec(op(), 1..40), lo in 0u8..12, hi in 0u8..12) {
            let mut memory = MemoryKeys::default();
            let mut model = Model::new();
            for op in ops {
                match op {
                    Op::Insert(k, s) => {
                        memory.insert(&key(k), s);
                        model.entry(key(k)).or_default().insert(s);
                    }
                    Op::Remove(k, s) => {
                        memory.remove(&key(k), s);
                        if let Some(set) = model.get_mut(&key(k)) {
                            set.remove(&s);
                        }
                    }
                    Op::Run(pairs) => {
                        let mut builder = RunBuilder::default();
                        for &(k, s) in &pairs {
                            builder.push(&key(k), s);
                            model.entry(key(k)).or_default().insert(s);
                        }
                        memory.push_run(builder.take_run());
                    }
                    Op::Remap => {
                        memory.remap(&|s| (s % 2 == 0).then_some(s / 2));
                        for set in model.values_mut() {
                            *set = set.iter().filter(|s| *s % 2 == 0).map(|s| s / 2).collect();
                        }
                    }
                }
                model.retain(|_, set| !set.is_empty());
            }
            prop_assert_eq!(&walked(&memory, Bound::Unbounded, Bound::Unbounded, false), &model);
            prop_assert_eq!(&walked(&memory, Bound::Unbounded, Bound::Unbounded, true), &model);
            let (lo, hi) = (key(lo), key(hi));
            let in_range: Model = model
                .iter()
                .filter(|(k, _)| **k >= lo && **k < hi)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            let bounds = (Bound::Included(lo.as_slice()), Bound::Excluded(hi.as_slice()));
            prop_assert_eq!(&walked(&memory, bounds.0, bounds.1, false), &in_range);
            prop_assert_eq!(&walked(&memory, bounds.0, bounds.1, true), &in_range);
        }
    }

    #[test]
    fn equal_sized_runs_merge_so_a_long_load_keeps_few() {
        let mut memory = MemoryKeys::default();
        for batch in 0..64u32 {
            let mut builder = RunBuilder::default();
            for i in 0..100 {
                builder.push(&(batch * 100 + i).to_be_bytes(), batch * 100 + i);
            }
            memory.push_run(builder.take_run());
        }
        assert!(memory.runs.len() <= 7, "{} runs", memory.runs.len());
        assert_eq!(
            memory
                .walk(Bound::Unbounded, Bound::Unbounded, false)
                .count(),
            6_400
        );
    }
}
