//! [`FieldIndex`]: the index of one field path, the keys of a checkpoint
//! (if any) merged with the keys held in memory.

use std::collections::BTreeMap;
use std::ops::Bound;

use roaring::RoaringBitmap;
use serde_json::Value;

use super::key::{encode_key, index_keys};
use super::persisted::{BaseIndex, KeyBound};
use super::postings::Postings;
use crate::engine::Document;
use crate::engine::query::Constraint;
use crate::error::Result;

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
    keys: BTreeMap<Box<[u8]>, Postings>,
    pub(super) base: Option<BaseIndex>,
}

impl FieldIndex {
    pub(super) fn new(path: String) -> FieldIndex {
        FieldIndex {
            path,
            keys: BTreeMap::new(),
            base: None,
        }
    }

    /// Whether this index reads a checkpoint.
    pub fn is_persisted(&self) -> bool {
        self.base.is_some()
    }

    /// Keys held in memory.
    pub fn keys_in_memory(&self) -> usize {
        self.keys.len()
    }

    /// `(key, slots)` within the bounds, the checkpoint's and memory's
    /// merged, in key order (descending when asked).
    fn walk(&self, lower: KeyBound, upper: KeyBound, descending: bool) -> KeyedSlots<'_> {
        let range = self
            .keys
            .range::<[u8], _>((as_slice_bound(&lower), as_slice_bound(&upper)));
        let memory: Box<dyn Iterator<Item = (&[u8], &Postings)>> = if descending {
            Box::new(range.rev().map(|(k, p)| (&**k, p)))
        } else {
            Box::new(range.map(|(k, p)| (&**k, p)))
        };
        let Some(base) = &self.base else {
            return Box::new(memory.map(|(k, p)| Ok((k.to_vec(), p.to_bitmap()))));
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
        let mut take = |lower: KeyBound, upper: KeyBound| -> Result<()> {
            for keyed in self.walk(lower, upper, false) {
                out |= keyed?.1;
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

    /// Adds `(key, slot)` pairs sorted by key, then slot: each key's map
    /// entry is found once, and an empty or small map is rebuilt from the
    /// merged sorted runs instead (a B-tree built from sorted keys is filled
    /// front to back).
    pub(super) fn add_sorted(&mut self, entries: Vec<(Vec<u8>, u32)>) {
        let mut grouped: Vec<(Box<[u8]>, Postings)> = Vec::new();
        for (key, slot) in entries {
            match grouped.last_mut() {
                Some((last, postings)) if **last == *key => postings.insert(slot),
                _ => grouped.push((key.into_boxed_slice(), Postings::One(slot))),
            }
        }
        if grouped.len() < self.keys.len() / 4 {
            for (key, postings) in grouped {
                match self.keys.get_mut(&*key) {
                    Some(existing) => existing.merge(postings),
                    None => {
                        self.keys.insert(key, postings);
                    }
                }
            }
            return;
        }
        let old = std::mem::take(&mut self.keys).into_iter().peekable();
        let mut new = grouped.into_iter().peekable();
        let mut old = old;
        let mut merged: Vec<(Box<[u8]>, Postings)> = Vec::new();
        loop {
            let order = match (old.peek(), new.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some((a, _)), Some((b, _))) => a.cmp(b),
            };
            let next = match order {
                std::cmp::Ordering::Less => old.next(),
                std::cmp::Ordering::Greater => new.next(),
                std::cmp::Ordering::Equal => match (old.next(), new.next()) {
                    (Some((key, mut postings)), Some((_, more))) => {
                        postings.merge(more);
                        Some((key, postings))
                    }
                    (one, other) => one.or(other),
                },
            };
            merged.extend(next);
        }
        self.keys = merged.into_iter().collect();
    }

    pub(super) fn add(&mut self, slot: u32, doc: &Document) {
        if let Some(base) = &mut self.base {
            base.mask(slot);
        }
        for key in index_keys(doc, &self.path) {
            match self.keys.get_mut(key.as_slice()) {
                Some(postings) => postings.insert(slot),
                None => {
                    self.keys
                        .insert(key.into_boxed_slice(), Postings::One(slot));
                }
            }
        }
    }

    pub(super) fn remove(&mut self, slot: u32, doc: &Document) {
        if let Some(base) = &mut self.base {
            base.mask(slot);
        }
        for key in index_keys(doc, &self.path) {
            if let Some(postings) = self.keys.get_mut(key.as_slice())
                && postings.remove(slot)
            {
                self.keys.remove(key.as_slice());
            }
        }
    }

    /// Slots of the records that may satisfy `constraint` (a superset: the
    /// filter is applied to each record after).
    pub fn candidates(&self, constraint: &Constraint) -> Result<RoaringBitmap> {
        if self.base.is_some() {
            return self.walk_constraint(constraint);
        }
        let mut out = RoaringBitmap::new();
        match constraint {
            Constraint::Eq(v) => {
                if let Some(p) = self.keys.get(encode_key(v).as_slice()) {
                    p.add_to(&mut out);
                }
            }
            Constraint::In(values) => {
                for v in values {
                    if let Some(p) = self.keys.get(encode_key(v).as_slice()) {
                        p.add_to(&mut out);
                    }
                }
            }
            Constraint::Range { lower, upper } => {
                for p in self.in_range(lower, upper) {
                    p.add_to(&mut out);
                }
            }
        }
        Ok(out)
    }

    /// An upper bound on how many records [`candidates`](Self::candidates)
    /// returns, without building the set: to pick the most selective index.
    pub fn estimate(&self, constraint: &Constraint) -> Result<u64> {
        if self.base.is_some() {
            return Ok(self.walk_constraint(constraint)?.len());
        }
        Ok(match constraint {
            Constraint::Eq(v) => self
                .keys
                .get(encode_key(v).as_slice())
                .map_or(0, Postings::len),
            Constraint::In(values) => values
                .iter()
                .map(|v| {
                    self.keys
                        .get(encode_key(v).as_slice())
                        .map_or(0, Postings::len)
                })
                .sum(),
            Constraint::Range { lower, upper } => {
                self.in_range(lower, upper).map(Postings::len).sum()
            }
        })
    }

    /// Whether any record holds an array here. Then the key order is not
    /// MongoDB's sort order (which sorts an array by its least or greatest
    /// element), so a sort cannot simply walk the keys.
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

    pub fn has_array_values(&self) -> Result<bool> {
        let arrays: (Bound<&[u8]>, Bound<&[u8]>) =
            (Bound::Included(&[0x50]), Bound::Excluded(&[0x51]));
        if self.keys.range::<[u8], _>(arrays).next().is_some() {
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
        if self.base.is_some() {
            return Box::new(
                self.walk(Bound::Unbounded, Bound::Unbounded, descending)
                    .flat_map(|keyed| -> Box<dyn Iterator<Item = Result<u32>>> {
                        match keyed {
                            Ok((_, slots)) => Box::new(slots.into_iter().map(Ok)),
                            Err(e) => Box::new(std::iter::once(Err(e))),
                        }
                    }),
            );
        }
        if descending {
            Box::new(self.keys.values().rev().flat_map(Postings::iter).map(Ok))
        } else {
            Box::new(self.keys.values().flat_map(Postings::iter).map(Ok))
        }
    }

    /// Postings of the keys within the bounds (an empty or inverted range
    /// yields nothing rather than panicking in `BTreeMap::range`).
    fn in_range(
        &self,
        lower: &Option<(Value, bool)>,
        upper: &Option<(Value, bool)>,
    ) -> Box<dyn Iterator<Item = &Postings> + '_> {
        let Some((lower, upper)) = Self::key_bounds(lower, upper) else {
            return Box::new(std::iter::empty());
        };
        let range = (as_slice_bound(&lower), as_slice_bound(&upper));
        Box::new(self.keys.range::<[u8], _>(range).map(|(_, p)| p))
    }

    pub(super) fn remap(&mut self, new_slot: &dyn Fn(u32) -> Option<u32>) {
        for postings in self.keys.values_mut() {
            *postings = match postings {
                Postings::One(slot) => Postings::One(new_slot(*slot).unwrap_or(*slot)),
                Postings::Many(set) => Postings::Many(set.iter().filter_map(new_slot).collect()),
            };
        }
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
        for keyed in base.all() {
            let (key, slots) = keyed?;
            let mut merged = slots;
            if let Some(p) = self.keys.get(key.as_slice()) {
                p.add_to(&mut merged);
            }
            let postings = match merged.len() {
                1 => Postings::One(merged.min().unwrap_or_default()),
                _ => Postings::Many(merged),
            };
            self.keys.insert(key.into(), postings);
        }
        Ok(())
    }

    /// Every `(key, postings)` in key order, as a checkpoint stores them.
    pub fn for_each_key(
        &self,
        visit: &mut dyn FnMut(&[u8], &RoaringBitmap) -> Result<()>,
    ) -> Result<()> {
        for keyed in self.walk(Bound::Unbounded, Bound::Unbounded, false) {
            let (key, slots) = keyed?;
            visit(&key, &slots)?;
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
    M: Iterator<Item = (&'a [u8], &'a Postings)>,
> {
    base: std::iter::Peekable<B>,
    memory: std::iter::Peekable<M>,
    descending: bool,
}

impl<'a, B, M> Iterator for MergedKeys<'a, B, M>
where
    B: Iterator<Item = Result<(Vec<u8>, RoaringBitmap)>>,
    M: Iterator<Item = (&'a [u8], &'a Postings)>,
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
                let (k, p) = self.memory.next()?;
                Some(Ok((k.to_vec(), p.to_bitmap())))
            }
            std::cmp::Ordering::Equal => {
                let (k, mut slots) = match self.base.next()? {
                    Ok(keyed) => keyed,
                    Err(e) => return Some(Err(e)),
                };
                if let Some((_, p)) = self.memory.next() {
                    p.add_to(&mut slots);
                }
                Some(Ok((k, slots)))
            }
        }
    }
}
