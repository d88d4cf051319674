//! [`FieldIndex`]: the index of one field path, the keys of a checkpoint
//! (if any) merged with the keys held in memory.

use std::ops::Bound;

use roaring::RoaringBitmap;
use serde_json::Value;

use super::key::{encode_key, index_keys};
use super::memory::MemoryKeys;
use super::persisted::{BaseIndex, KeyBound};
use super::run::{RunWriter, SortedRun};
use crate::engine::Document;
use crate::engine::query::Constraint;
use crate::error::Result;

/// A key's slots as [`FieldIndex::for_each_key`] hands them out.
pub enum Postings<'a> {
    /// A checkpoint's posting list as stored, unchanged.
    Stored(&'a [u8]),
    Slots(&'a RoaringBitmap),
    /// Sorted and distinct (a key memory alone holds).
    List(&'a [u32]),
}

/// `(key, slots)` in key order: what an index walk yields.
type KeyedSlots<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, RoaringBitmap)>> + 'a>;

/// One bound of a range: the key and whether it is included (`None`: unbounded).
type RangeBound = Option<(Value, bool)>;

/// The tighter of two bounds of one side of a range: the one whose key is
/// further in direction `inward` (`Greater` for lower bounds), an exclusive
/// bound where the keys are equal. `None` is unbounded.
fn tighter(a: RangeBound, b: RangeBound, inward: std::cmp::Ordering) -> RangeBound {
    match (a, b) {
        (None, b) => b,
        (a, None) => a,
        (Some(a), Some(b)) => {
            let order = encode_key(&a.0).cmp(&encode_key(&b.0));
            if order == inward || (order.is_eq() && !a.1) {
                Some(a)
            } else {
                Some(b)
            }
        }
    }
}

/// The index of one field path: the keys of a checkpoint (when there is
/// one), with the slots changed since masked out, and in memory the keys of
/// every record written since (or of all records, without a checkpoint).
#[derive(Debug, Clone)]
pub struct FieldIndex {
    pub(super) path: String,
    memory: MemoryKeys,
    pub(super) base: Option<BaseIndex>,
}

impl FieldIndex {
    pub(super) fn new(path: String) -> FieldIndex {
        FieldIndex {
            path,
            memory: MemoryKeys::default(),
            base: None,
        }
    }

    /// Whether this index reads a checkpoint.
    pub fn is_persisted(&self) -> bool {
        self.base.is_some()
    }

    /// Keys held in memory.
    pub fn keys_in_memory(&self) -> usize {
        self.memory.key_count()
    }

    /// `(key, slots)` within the bounds, the checkpoint's and memory's
    /// merged, in key order (descending when asked).
    fn walk(&self, lower: KeyBound, upper: KeyBound, descending: bool) -> KeyedSlots<'_> {
        let memory = self
            .memory
            .walk(as_slice_bound(&lower), as_slice_bound(&upper), descending);
        let Some(base) = &self.base else {
            return Box::new(memory.map(|(k, slots)| Ok((k.to_vec(), slots))));
        };
        Box::new(MergedKeys {
            base: base.walk(lower, upper, descending).peekable(),
            memory: memory.peekable(),
            descending,
        })
    }

    /// The bounds of a range as encoded keys (`None`: an empty range).
    fn key_bounds(
        lower: &Option<(Value, bool)>,
        upper: &Option<(Value, bool)>,
    ) -> Option<(KeyBound, KeyBound)> {
        let lower = lower
            .as_ref()
            .map(|(v, inclusive)| (encode_key(v), *inclusive));
        let upper = upper
            .as_ref()
            .map(|(v, inclusive)| (encode_key(v), *inclusive));
        if let (Some((lo, lo_in)), Some((hi, hi_in))) = (&lower, &upper)
            && (lo > hi || (lo == hi && !(*lo_in && *hi_in)))
        {
            return None;
        }
        let bound = |b: Option<(Vec<u8>, bool)>| match b {
            None => Bound::Unbounded,
            Some((key, true)) => Bound::Included(key),
            Some((key, false)) => Bound::Excluded(key),
        };
        Some((bound(lower), bound(upper)))
    }

    /// The slots a constraint's keys hold, checkpoint and memory merged.
    fn walk_constraint(&self, constraint: &Constraint) -> Result<RoaringBitmap> {
        let mut out = RoaringBitmap::new();
        // Keys of one slot (most, on a field of distinct values) are
        // gathered and sorted first: or-ing them in one by one would move
        // the bitmap's arrays for each.
        let mut single = Vec::new();
        let mut take = |lower: KeyBound, upper: KeyBound| -> Result<()> {
            for keyed in self.walk(lower, upper, false) {
                let slots = keyed?.1;
                match (slots.len(), slots.min()) {
                    (1, Some(slot)) => single.push(slot),
                    _ => out |= slots,
                }
            }
            Ok(())
        };
        match constraint {
            Constraint::Eq(v) => {
                let key = encode_key(v);
                take(Bound::Included(key.clone()), Bound::Included(key))?;
            }
            Constraint::In(values) => {
                for v in values {
                    let key = encode_key(v);
                    take(Bound::Included(key.clone()), Bound::Included(key))?;
                }
            }
            Constraint::Range { lower, upper } => {
                if let Some((lower, upper)) = Self::key_bounds(lower, upper) {
                    take(lower, upper)?;
                }
            }
        }
        single.sort_unstable();
        out.extend(single);
        Ok(out)
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// The checkpoint's keys for `slot` no longer count (its keys are, or
    /// will be, in memory).
    pub(super) fn mask(&mut self, slot: u32) {
        if let Some(base) = &mut self.base {
            base.mask(slot);
        }
    }

    /// Adds a bulk insert's entries (see [`MemoryKeys::push_run`]).
    pub(super) fn add_run(&mut self, run: SortedRun) {
        self.memory.push_run(run);
    }

    pub(super) fn add(&mut self, slot: u32, doc: &Document) {
        if let Some(base) = &mut self.base {
            base.mask(slot);
        }
        for key in index_keys(doc, &self.path) {
            self.memory.insert(&key, slot);
        }
    }

    pub(super) fn remove(&mut self, slot: u32, doc: &Document) {
        if let Some(base) = &mut self.base {
            base.mask(slot);
        }
        for key in index_keys(doc, &self.path) {
            self.memory.remove(&key, slot);
        }
    }

    /// Slots of the records that may satisfy `constraint` (a superset: the
    /// filter is applied to each record after).
    pub fn candidates(&self, constraint: &Constraint) -> Result<RoaringBitmap> {
        self.walk_constraint(constraint)
    }

    /// An upper bound on how many records [`candidates`](Self::candidates)
    /// returns: to pick the most selective index.
    pub fn estimate(&self, constraint: &Constraint) -> Result<u64> {
        Ok(self.walk_constraint(constraint)?.len())
    }

    /// Ranges on this path as one range, the tightest bound of each side
    /// (`{"$gte": 50, "$lt": 51}` reads one key span, not two halves of the
    /// index to intersect). Only where no record holds an array here: an
    /// array may meet each range with a different element.
    pub fn merge_ranges(&self, constraints: Vec<&Constraint>) -> Result<Vec<Constraint>> {
        if constraints.len() < 2 || self.has_array_values()? {
            return Ok(constraints.into_iter().cloned().collect());
        }
        let mut merged: Option<(RangeBound, RangeBound)> = None;
        let mut out = Vec::new();
        for constraint in constraints {
            match (constraint, &mut merged) {
                (Constraint::Range { lower, upper }, None) => {
                    merged = Some((lower.clone(), upper.clone()));
                }
                (Constraint::Range { lower, upper }, Some((low, high))) => {
                    *low = tighter(low.take(), lower.clone(), std::cmp::Ordering::Greater);
                    *high = tighter(high.take(), upper.clone(), std::cmp::Ordering::Less);
                }
                (other, _) => out.push(other.clone()),
            }
        }
        if let Some((lower, upper)) = merged {
            out.push(Constraint::Range { lower, upper });
        }
        Ok(out)
    }

    /// Whether any record holds an array here. Then the key order is not
    /// MongoDB's sort order (which sorts an array by its least or greatest
    /// element), so a sort cannot simply walk the keys.
    pub fn has_array_values(&self) -> Result<bool> {
        let mut arrays =
            self.memory
                .walk(Bound::Included(&[0x50]), Bound::Excluded(&[0x51]), false);
        if arrays.next().is_some() {
            return Ok(true);
        }
        match &self.base {
            Some(base) => base.has_array_keys(),
            None => Ok(false),
        }
    }

    /// Slots in key order (ascending or descending), each key's slots in
    /// insertion order. A record with several keys (an array) comes once per
    /// key; the caller keeps the first.
    pub fn ordered(&self, descending: bool) -> Box<dyn Iterator<Item = Result<u32>> + '_> {
        Box::new(
            self.walk(Bound::Unbounded, Bound::Unbounded, descending)
                .flat_map(|keyed| -> Box<dyn Iterator<Item = Result<u32>>> {
                    match keyed {
                        Ok((_, slots)) => Box::new(slots.into_iter().map(Ok)),
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    }
                }),
        )
    }

    pub(super) fn remap(&mut self, new_slot: &dyn Fn(u32) -> Option<u32>) {
        self.memory.remap(new_slot);
    }

    /// Every `(key, slot)` pair in key order, each key's slots ascending:
    /// two indexes of the same field compare as two sorted streams (verify).
    pub fn entries(&self) -> impl Iterator<Item = Result<(Vec<u8>, u32)>> + '_ {
        self.walk(Bound::Unbounded, Bound::Unbounded, false)
            .flat_map(
                |keyed| -> Box<dyn Iterator<Item = Result<(Vec<u8>, u32)>>> {
                    match keyed {
                        Ok((key, slots)) => {
                            Box::new(slots.into_iter().map(move |s| Ok((key.clone(), s))))
                        }
                        Err(e) => Box::new(std::iter::once(Err(e))),
                    }
                },
            )
    }

    /// Brings the checkpoint's keys into memory and stops reading it
    /// (before slots are renumbered).
    pub(super) fn materialize(&mut self) -> Result<()> {
        let Some(base) = self.base.take() else {
            return Ok(());
        };
        let mut run = RunWriter::with_capacity(0, 0);
        for keyed in base.all() {
            let (key, slots) = keyed?;
            for slot in slots {
                run.push(&key, slot);
            }
        }
        self.memory.push_run(run.finish());
        Ok(())
    }

    /// Every key with its slots in key order, for a new checkpoint: a key
    /// of the checkpoint that nothing changed comes with its posting list
    /// as stored (copied, not decoded and encoded again: most of a
    /// checkpoint's rewrite).
    pub fn for_each_key(
        &self,
        visit: &mut dyn FnMut(&[u8], Postings<'_>) -> Result<()>,
    ) -> Result<()> {
        let mut memory = self.memory.walk(Bound::Unbounded, Bound::Unbounded, false);
        let mut slots = Vec::new();
        let mut head = memory.next_sorted(&mut slots);
        if let Some(base) = &self.base {
            base.for_each_stored(&mut |key, stored| {
                while let Some(m) = head.filter(|&m| m < key) {
                    visit(m, Postings::List(&slots))?;
                    head = memory.next_sorted(&mut slots);
                }
                if head == Some(key) {
                    let mut all = base.live(stored)?;
                    all.extend(slots.iter().copied());
                    head = memory.next_sorted(&mut slots);
                    return visit(key, Postings::Slots(&all));
                }
                if base.untouched(stored) {
                    return visit(key, Postings::Stored(stored));
                }
                let slots = base.live(stored)?;
                if slots.is_empty() {
                    return Ok(());
                }
                visit(key, Postings::Slots(&slots))
            })?;
        }
        while let Some(m) = head {
            visit(m, Postings::List(&slots))?;
            head = memory.next_sorted(&mut slots);
        }
        Ok(())
    }
}

/// A key bound as a borrowed slice, for `BTreeMap::range`.
fn as_slice_bound(b: &KeyBound) -> Bound<&[u8]> {
    match b {
        Bound::Included(k) => Bound::Included(k.as_slice()),
        Bound::Excluded(k) => Bound::Excluded(k.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// Merges the checkpoint's keys with memory's, by key; a key in both gets
/// the union of its slots.
struct MergedKeys<
    'a,
    B: Iterator<Item = Result<(Vec<u8>, RoaringBitmap)>>,
    M: Iterator<Item = (&'a [u8], RoaringBitmap)>,
> {
    base: std::iter::Peekable<B>,
    memory: std::iter::Peekable<M>,
    descending: bool,
}

impl<'a, B, M> Iterator for MergedKeys<'a, B, M>
where
    B: Iterator<Item = Result<(Vec<u8>, RoaringBitmap)>>,
    M: Iterator<Item = (&'a [u8], RoaringBitmap)>,
{
    type Item = Result<(Vec<u8>, RoaringBitmap)>;

    fn next(&mut self) -> Option<Self::Item> {
        let order = match (self.base.peek(), self.memory.peek()) {
            (None, None) => return None,
            (Some(Err(_)), _) | (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(Ok((b, _))), Some((m, _))) => {
                let order = b.as_slice().cmp(m);
                if self.descending {
                    order.reverse()
                } else {
                    order
                }
            }
        };
        match order {
            std::cmp::Ordering::Less => self.base.next(),
            std::cmp::Ordering::Greater => {
                let (k, slots) = self.memory.next()?;
                Some(Ok((k.to_vec(), slots)))
            }
            std::cmp::Ordering::Equal => {
                let (k, mut slots) = match self.base.next()? {
                    Ok(keyed) => keyed,
                    Err(e) => return Some(Err(e)),
                };
                if let Some((_, more)) = self.memory.next() {
                    slots |= more;
                }
                Some(Ok((k, slots)))
            }
        }
    }
}
