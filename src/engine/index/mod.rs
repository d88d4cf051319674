//! Secondary indexes: per indexed field, an ordered map from the
//! order-preserving key of each value ([`key::encode_key`]) to the slots of
//! the records holding it.
//!
//! Slots are a collection's record positions in insertion order, so a
//! posting list iterated in ascending order is already in natural order and
//! ties in an index-ordered sort stay stable.

pub mod key;

use std::collections::BTreeMap;
use std::ops::Bound;

use roaring::RoaringBitmap;
use serde_json::Value;

use crate::engine::Document;
use crate::engine::query::Constraint;

pub use key::{encode_key, index_keys};

/// The slots holding one key. Most keys of a unique-ish field hold one
/// record, which needs no bitmap.
#[derive(Debug, Clone)]
enum Postings {
    One(u32),
    Many(RoaringBitmap),
}

impl Postings {
    fn insert(&mut self, slot: u32) {
        match self {
            Postings::One(existing) if *existing == slot => {}
            Postings::One(existing) => {
                let mut set = RoaringBitmap::new();
                set.insert(*existing);
                set.insert(slot);
                *self = Postings::Many(set);
            }
            Postings::Many(set) => {
                set.insert(slot);
            }
        }
    }

    /// Removes `slot`; true if nothing is left.
    fn remove(&mut self, slot: u32) -> bool {
        match self {
            Postings::One(existing) => *existing == slot,
            Postings::Many(set) => {
                set.remove(slot);
                set.is_empty()
            }
        }
    }

    fn len(&self) -> u64 {
        match self {
            Postings::One(_) => 1,
            Postings::Many(set) => set.len(),
        }
    }

    fn add_to(&self, out: &mut RoaringBitmap) {
        match self {
            Postings::One(slot) => {
                out.insert(*slot);
            }
            Postings::Many(set) => *out |= set,
        }
    }

    fn iter(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            Postings::One(slot) => Box::new(std::iter::once(*slot)),
            Postings::Many(set) => Box::new(set.iter()),
        }
    }
}

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

/// The index of one field path.
#[derive(Debug, Clone)]
pub struct FieldIndex {
    path: String,
    keys: BTreeMap<Box<[u8]>, Postings>,
}

impl FieldIndex {
    fn new(path: String) -> FieldIndex {
        FieldIndex {
            path,
            keys: BTreeMap::new(),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    fn add(&mut self, slot: u32, doc: &Document) {
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

    fn remove(&mut self, slot: u32, doc: &Document) {
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
    pub fn candidates(&self, constraint: &Constraint) -> RoaringBitmap {
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
        out
    }

    /// An upper bound on how many records [`candidates`](Self::candidates)
    /// returns, without building the set: to pick the most selective index.
    pub fn estimate(&self, constraint: &Constraint) -> u64 {
        match constraint {
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
        }
    }

    /// Whether any record holds an array here. Then the key order is not
    /// MongoDB's sort order (which sorts an array by its least or greatest
    /// element), so a sort cannot simply walk the keys.
    /// Ranges on this path as one range, the tightest bound of each side
    /// (`{"$gte": 50, "$lt": 51}` reads one key span, not two halves of the
    /// index to intersect). Only where no record holds an array here: an
    /// array may meet each range with a different element.
    pub fn merge_ranges(&self, constraints: Vec<&Constraint>) -> Vec<Constraint> {
        if constraints.len() < 2 || self.has_array_values() {
            return constraints.into_iter().cloned().collect();
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
        out
    }

    pub fn has_array_values(&self) -> bool {
        let arrays: (Bound<&[u8]>, Bound<&[u8]>) =
            (Bound::Included(&[0x50]), Bound::Excluded(&[0x51]));
        self.keys.range::<[u8], _>(arrays).next().is_some()
    }

    /// Slots in key order (ascending or descending), each key's slots in
    /// insertion order. A record with several keys (an array) comes once per
    /// key; the caller keeps the first.
    pub fn ordered(&self, descending: bool) -> Box<dyn Iterator<Item = u32> + '_> {
        if descending {
            Box::new(self.keys.values().rev().flat_map(Postings::iter))
        } else {
            Box::new(self.keys.values().flat_map(Postings::iter))
        }
    }

    /// Postings of the keys within the bounds (an empty or inverted range
    /// yields nothing rather than panicking in `BTreeMap::range`).
    fn in_range(
        &self,
        lower: &Option<(Value, bool)>,
        upper: &Option<(Value, bool)>,
    ) -> Box<dyn Iterator<Item = &Postings> + '_> {
        let lower = lower
            .as_ref()
            .map(|(v, inclusive)| (encode_key(v), *inclusive));
        let upper = upper
            .as_ref()
            .map(|(v, inclusive)| (encode_key(v), *inclusive));
        if let (Some((lo, lo_in)), Some((hi, hi_in))) = (&lower, &upper)
            && (lo > hi || (lo == hi && !(*lo_in && *hi_in)))
        {
            return Box::new(std::iter::empty());
        }
        let bound = |b: Option<(Vec<u8>, bool)>| match b {
            None => Bound::Unbounded,
            Some((key, true)) => Bound::Included(key.into_boxed_slice()),
            Some((key, false)) => Bound::Excluded(key.into_boxed_slice()),
        };
        let range = (bound(lower), bound(upper));
        Box::new(self.keys.range(range).map(|(_, p)| p))
    }

    fn remap(&mut self, new_slot: &dyn Fn(u32) -> Option<u32>) {
        for postings in self.keys.values_mut() {
            *postings = match postings {
                Postings::One(slot) => Postings::One(new_slot(*slot).unwrap_or(*slot)),
                Postings::Many(set) => Postings::Many(set.iter().filter_map(new_slot).collect()),
            };
        }
    }
    /// Every `(key, slot)` pair in key order, each key's slots ascending:
    /// two indexes of the same field compare as two sorted streams (verify).
    pub fn entries(&self) -> impl Iterator<Item = (&[u8], u32)> + '_ {
        self.keys
            .iter()
            .flat_map(|(key, postings)| postings.iter().map(move |slot| (&**key, slot)))
    }
}

/// Every index of one collection, kept exact on each write.
#[derive(Debug, Clone, Default)]
pub struct IndexSet {
    indexes: Vec<FieldIndex>,
}

impl IndexSet {
    /// Empty indexes for these paths (fill them with [`add`](Self::add)).
    pub fn new(paths: &[String]) -> IndexSet {
        IndexSet {
            indexes: paths.iter().cloned().map(FieldIndex::new).collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    pub fn get(&self, path: &str) -> Option<&FieldIndex> {
        self.indexes.iter().find(|i| i.path == path)
    }

    pub fn add(&mut self, slot: u32, doc: &Document) {
        for index in &mut self.indexes {
            index.add(slot, doc);
        }
    }

    pub fn remove(&mut self, slot: u32, doc: &Document) {
        for index in &mut self.indexes {
            index.remove(slot, doc);
        }
    }

    /// After the collection renumbered its slots (compaction closed holes).
    pub fn remap(&mut self, new_slot: &dyn Fn(u32) -> Option<u32>) {
        for index in &mut self.indexes {
            index.remap(new_slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    fn slots(set: RoaringBitmap) -> Vec<u32> {
        set.iter().collect()
    }

    #[test]
    fn equality_in_and_ranges_find_the_right_slots() {
        let mut set = IndexSet::new(&["age".to_owned()]);
        for (slot, age) in [
            (0, json!(30)),
            (1, json!(25.0)),
            (2, json!("30")),
            (3, json!(30.0)),
            (4, json!([18, 40])),
        ] {
            set.add(slot, &doc(json!({ "age": age })));
        }
        set.add(5, &doc(json!({"name": "no age"})));
        let index = set.get("age").unwrap();
        assert_eq!(slots(index.candidates(&Constraint::Eq(json!(30)))), [0, 3]);
        assert_eq!(
            slots(index.candidates(&Constraint::In(vec![json!(25), json!("30")]))),
            [1, 2]
        );
        let range = Constraint::Range {
            lower: Some((json!(20), false)),
            upper: Some((json!(30), true)),
        };
        assert_eq!(slots(index.candidates(&range)), [0, 1, 3]);
        assert_eq!(index.estimate(&range), 3);
        assert_eq!(slots(index.candidates(&Constraint::Eq(json!(null)))), [5]);
        assert_eq!(slots(index.candidates(&Constraint::Eq(json!(40)))), [4]);
    }

    #[test]
    fn removal_and_remap_keep_postings_exact() {
        let mut set = IndexSet::new(&["k".to_owned()]);
        for slot in 0..6 {
            set.add(slot, &doc(json!({"k": slot % 2})));
        }
        set.remove(2, &doc(json!({"k": 0})));
        let index = set.get("k").unwrap();
        assert_eq!(slots(index.candidates(&Constraint::Eq(json!(0)))), [0, 4]);
        // Slots 2 and 3 are gone; the rest close up.
        set.remove(3, &doc(json!({"k": 1})));
        set.remap(&|s| match s {
            0 | 1 => Some(s),
            4 | 5 => Some(s - 2),
            _ => None,
        });
        let index = set.get("k").unwrap();
        assert_eq!(slots(index.candidates(&Constraint::Eq(json!(0)))), [0, 2]);
        assert_eq!(slots(index.candidates(&Constraint::Eq(json!(1)))), [1, 3]);
        let ordered: Vec<u32> = index.ordered(true).collect();
        assert_eq!(ordered, [1, 3, 0, 2]);
    }

    fn range(lower: Option<(Value, bool)>, upper: Option<(Value, bool)>) -> Constraint {
        Constraint::Range { lower, upper }
    }

    #[test]
    fn ranges_on_a_field_without_arrays_merge_into_their_tightest_bounds() {
        let mut set = IndexSet::new(&["n".to_owned()]);
        for slot in 0..10 {
            set.add(slot, &doc(json!({ "n": slot })));
        }
        let index = set.get("n").unwrap();
        let gte = range(Some((json!(3), true)), Some((json!(""), false)));
        let lt = range(Some((json!(null), false)), Some((json!(6), false)));
        let gt = range(Some((json!(3), false)), None);
        let merged = index.merge_ranges(vec![&gte, &lt, &gt]);
        assert_eq!(
            merged,
            [range(Some((json!(3), false)), Some((json!(6), false)))]
        );
        assert_eq!(slots(index.candidates(&merged[0])), [4, 5]);
        let eq = Constraint::Eq(json!(4));
        assert_eq!(
            index.merge_ranges(vec![&eq, &gte]),
            [eq.clone(), gte.clone()]
        );
    }

    #[test]
    fn ranges_on_a_field_with_arrays_stay_apart() {
        // [0, 9] meets $gt 3 with 9 and $lt 6 with 0: no single span holds it.
        let mut set = IndexSet::new(&["n".to_owned()]);
        set.add(0, &doc(json!({ "n": [0, 9] })));
        let index = set.get("n").unwrap();
        let gt = range(Some((json!(3), false)), None);
        let lt = range(None, Some((json!(6), false)));
        assert_eq!(index.merge_ranges(vec![&gt, &lt]), [gt.clone(), lt.clone()]);
    }
}
