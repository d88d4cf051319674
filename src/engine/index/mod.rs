//! Secondary indexes: per indexed field, an ordered map from the
//! order-preserving key of each value ([`key::encode_key`]) to the slots of
//! the records holding it.
//!
//! Slots are a collection's record positions in insertion order, so a
//! posting list iterated in ascending order is already in natural order and
//! ties in an index-ordered sort stay stable.
//!
//! - `key.rs`: the order-preserving keys; `postings.rs`: one key's slots;
//! - `field.rs`: [`FieldIndex`], one field's index, a checkpoint's keys
//!   (`persisted.rs`) merged with those in memory (`memory.rs`: single
//!   writes in a map, bulk inserts as sorted runs, `run.rs`);
//! - `set.rs`: [`IndexSet`], a collection's indexes, and bulk additions.

mod field;
pub mod key;
mod memory;
mod persisted;
mod postings;
mod run;
mod set;

pub use field::{FieldIndex, Postings};
pub use key::{encode_key, index_keys};
pub use set::IndexSet;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::query::Constraint;
    use crate::error::Result;
    use roaring::RoaringBitmap;
    use serde_json::Value;
    use serde_json::json;

    use crate::engine::test_doc as doc;

    fn slots(set: Result<RoaringBitmap>) -> Vec<u32> {
        set.map(|set| set.iter().collect()).unwrap_or_default()
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
        assert_eq!(index.estimate(&range).ok(), Some(3));
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
        let ordered = index.ordered(true).collect::<Result<Vec<u32>>>().ok();
        assert_eq!(ordered, Some(vec![1, 3, 0, 2]));
    }

    #[test]
    fn deferred_additions_give_the_index_immediate_ones_give() {
        let docs: Vec<_> = (0..500u32)
            .map(|i| doc(json!({"k": i % 7, "u": i, "a": [i % 3, 10]})))
            .collect();
        let paths = ["k".to_owned(), "u".to_owned(), "a".to_owned()];
        let mut immediate = IndexSet::new(&paths);
        let mut deferred = IndexSet::new(&paths);
        for (slot, d) in docs.iter().enumerate().take(100) {
            immediate.add(slot as u32, d);
            deferred.add(slot as u32, d);
        }
        deferred.defer();
        for (slot, d) in docs.iter().enumerate().skip(100) {
            immediate.add(slot as u32, d);
            deferred.add(slot as u32, d);
            if slot == 300 {
                // A removal mid-way applies what waits first.
                immediate.remove(5, &docs[5]);
                deferred.remove(5, &docs[5]);
            }
        }
        assert!(
            deferred.get("k").is_none(),
            "an index lacking additions is not offered"
        );
        deferred.settle();
        for path in &paths {
            let all = |set: &IndexSet| -> Vec<(Vec<u8>, u32)> {
                set.get(path)
                    .unwrap()
                    .entries()
                    .map(|e| e.unwrap())
                    .collect()
            };
            assert_eq!(all(&deferred), all(&immediate), "{path}");
        }
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
        let merged = index.merge_ranges(vec![&gte, &lt, &gt]).unwrap_or_default();
        assert_eq!(
            merged,
            [range(Some((json!(3), false)), Some((json!(6), false)))]
        );
        assert_eq!(slots(index.candidates(&merged[0])), [4, 5]);
        let eq = Constraint::Eq(json!(4));
        assert_eq!(
            index.merge_ranges(vec![&eq, &gte]).ok(),
            Some(vec![eq.clone(), gte.clone()])
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
        assert_eq!(
            index.merge_ranges(vec![&gt, &lt]).ok(),
            Some(vec![gt.clone(), lt.clone()])
        );
    }
}
