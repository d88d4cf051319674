//! The slots holding one key of an index, in memory.

use roaring::RoaringBitmap;

/// The slots holding one key. Most keys of a unique-ish field hold one
/// record, which needs no bitmap.
#[derive(Debug, Clone)]
pub(super) enum Postings {
    One(u32),
    Many(RoaringBitmap),
}

impl Postings {
    pub(super) fn insert(&mut self, slot: u32) {
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
    pub(super) fn remove(&mut self, slot: u32) -> bool {
        match self {
            Postings::One(existing) => *existing == slot,
            Postings::Many(set) => {
                set.remove(slot);
                set.is_empty()
            }
        }
    }

    pub(super) fn add_to(&self, out: &mut RoaringBitmap) {
        match self {
            Postings::One(slot) => {
                out.insert(*slot);
            }
            Postings::Many(set) => *out |= set,
        }
    }
}
