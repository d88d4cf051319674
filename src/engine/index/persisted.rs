//! An index as a checkpoint holds it ([`Checkpoint::index_section`]): keys
//! in order, each with its slots, read from its file. Slots changed
//! since the checkpoint are masked out here; their current keys live in the
//! in-memory part of the [`FieldIndex`](super::FieldIndex).

use std::ops::Bound;
use std::sync::Arc;

use roaring::RoaringBitmap;

use crate::engine::storage::checkpoint::{
    Checkpoint, IndexRecord, IndexSection, StoredRecordVisitor,
};
use crate::error::{Error, Result};

/// One index of a checkpoint, and the slots whose entries in it no longer
/// count.
#[derive(Debug, Clone)]
pub(super) struct BaseIndex {
    checkpoint: Arc<Checkpoint>,
    section: IndexSection,
    /// Slots the checkpoint covers (masking applies below it).
    slots: u32,
    masked: RoaringBitmap,
}

/// A key bound as encoded bytes.
pub(super) type KeyBound = Bound<Vec<u8>>;

impl BaseIndex {
    pub fn new(checkpoint: Arc<Checkpoint>, position: usize) -> Result<BaseIndex> {
        let section = checkpoint.index_section(position)?;
        Ok(BaseIndex {
            slots: checkpoint.totals.slots as u32,
            checkpoint,
            section,
            masked: RoaringBitmap::new(),
        })
    }

    /// From now on the checkpoint's keys for `slot` do not count.
    pub fn mask(&mut self, slot: u32) {
        if slot < self.slots {
            self.masked.insert(slot);
        }
    }

    /// The live slots of a posting list as stored.
    pub fn live(&self, postings: &[u8]) -> Result<RoaringBitmap> {
        let mut set = match postings {
            &[a, b, c, d] => {
                let mut one = RoaringBitmap::new();
                one.insert(u32::from_le_bytes([a, b, c, d]));
                one
            }
            bytes => RoaringBitmap::deserialize_from(bytes).map_err(|e| Error::Corrupt {
                path: self.checkpoint.path().to_path_buf(),
                offset: 0,
                reason: format!("persisted index damaged: a posting list does not decode: {e}"),
            })?,
        };
        if !self.masked.is_empty() {
            set -= &self.masked;
        }
        Ok(set)
    }

    /// `(key, slots)` of the keys within the bounds, in key order
    /// (descending when asked), keys whose slots are all masked left out.
    pub fn walk(
        &self,
        lower: KeyBound,
        upper: KeyBound,
        descending: bool,
    ) -> Box<dyn Iterator<Item = Result<(Vec<u8>, RoaringBitmap)>> + '_> {
        let records: Box<dyn Iterator<Item = Result<IndexRecord>> + '_> = if descending {
            Box::new(self.backward(lower.clone(), upper.clone()))
        } else {
            Box::new(self.forward(lower.clone(), upper.clone()))
        };
        Box::new(records.filter_map(move |record| {
            let record = match record {
                Ok(record) => record,
                Err(e) => return Some(Err(e)),
            };
            match self.live(&record.postings) {
                Ok(set) if set.is_empty() => None,
                Ok(set) => Some(Ok((record.key, set))),
                Err(e) => Some(Err(e)),
            }
        }))
    }

    fn forward(
        &self,
        lower: KeyBound,
        upper: KeyBound,
    ) -> impl Iterator<Item = Result<IndexRecord>> + '_ {
        let start = match &lower {
            Bound::Included(key) | Bound::Excluded(key) => {
                self.checkpoint.index_seek(&self.section, key)
            }
            Bound::Unbounded => Ok(0),
        };
        let mut at = match start {
            Ok(at) => Some(at),
            Err(e) => return Box::new(std::iter::once(Err(e))) as Box<dyn Iterator<Item = _>>,
        };
        // Records are read a window at a time, newest last (popped first).
        let mut window: Vec<IndexRecord> = Vec::new();
        let mut window_len = 1024u64;
        Box::new(std::iter::from_fn(move || {
            loop {
                if window.is_empty() {
                    let here = at?;
                    match self
                        .checkpoint
                        .index_records(&self.section, here, window_len)
                    {
                        Ok(records) if records.is_empty() => {
                            at = None;
                            return None;
                        }
                        Ok(mut records) => {
                            at = records.last().map(|r| r.next);
                            records.reverse();
                            window = records;
                            // A walk that goes on reads more at a time.
                            window_len = (window_len * 2).min(64 * 1024);
                        }
                        Err(e) => {
                            at = None;
                            return Some(Err(e));
                        }
                    }
                }
                let Some(record) = window.pop() else {
                    continue;
                };
                if matches!(&lower, Bound::Excluded(key) if record.key == *key) {
                    continue;
                }
                if !below_upper(&record.key, &upper) {
                    at = None;
                    window.clear();
                    return None;
                }
                return Some(Ok(record));
            }
        }))
    }

    fn backward(
        &self,
        lower: KeyBound,
        upper: KeyBound,
    ) -> impl Iterator<Item = Result<IndexRecord>> + '_ {
        let ix = self.section;
        let cp = &*self.checkpoint;
        // The group holding the last key at or below `upper`.
        let start = match &upper {
            Bound::Unbounded => Ok(ix.groups().checked_sub(1)),
            Bound::Included(key) | Bound::Excluded(key) => cp
                .index_seek(&ix, key)
                .and_then(|at| {
                    let at = if at >= ix.heap_len() {
                        ix.heap_len().saturating_sub(1)
                    } else {
                        at
                    };
                    cp.index_group_of(&ix, at)
                })
                .map(|g| (ix.groups() > 0).then_some(g)),
        };
        let mut group = match start {
            Ok(group) => group,
            Err(e) => return Box::new(std::iter::once(Err(e))) as Box<dyn Iterator<Item = _>>,
        };
        let mut buffered: Vec<IndexRecord> = Vec::new();
        Box::new(std::iter::from_fn(move || {
            loop {
                if let Some(record) = buffered.pop() {
                    if !below_upper(&record.key, &upper) {
                        continue;
                    }
                    if !above_lower(&record.key, &lower) {
                        group = None;
                        buffered.clear();
                        return None;
                    }
                    return Some(Ok(record));
                }
                let g = group?;
                group = g.checked_sub(1);
                match cp.index_group(&ix, g) {
                    Ok(records) => buffered = records,
                    Err(e) => {
                        group = None;
                        return Some(Err(e));
                    }
                }
            }
        }))
    }

    /// Whether a posting list as stored holds no masked slot (so it can be
    /// copied as it is). Multi-slot lists are only looked into when
    /// something is masked at all.
    pub fn untouched(&self, postings: &[u8]) -> bool {
        match postings {
            _ if self.masked.is_empty() => true,
            &[a, b, c, d] => !self.masked.contains(u32::from_le_bytes([a, b, c, d])),
            _ => false,
        }
    }

    /// Every key with its posting list as stored, masked slots included
    /// (see [`Checkpoint::for_each_index_record`]).
    pub fn for_each_stored(&self, visit: &mut StoredRecordVisitor<'_>) -> Result<()> {
        self.checkpoint.for_each_index_record(&self.section, visit)
    }

    /// Whether any key of the checkpoint's index is an array's (conservative:
    /// masked records still count).
    pub fn has_array_keys(&self) -> Result<bool> {
        // Keys sort by type tag, arrays after numbers, strings and objects:
        // when the last key comes before them (the usual case) there is
        // none, and one group read answers rather than a binary search.
        let (cp, ix) = (&self.checkpoint, &self.section);
        let Some(last_group) = ix.groups().checked_sub(1) else {
            return Ok(false);
        };
        let last_tag = cp
            .index_group(ix, last_group)?
            .last()
            .and_then(|r| r.key.first().copied());
        if last_tag.is_none_or(|tag| tag < 0x50) {
            return Ok(false);
        }
        let at = self.checkpoint.index_seek(&self.section, &[0x50])?;
        Ok(self
            .checkpoint
            .index_record(&self.section, at)?
            .is_some_and(|r| r.key.first() == Some(&0x50)))
    }

    /// Every slot with a key here, masked ones left out (to bring the index
    /// into memory before slots are renumbered).
    pub fn all(&self) -> Box<dyn Iterator<Item = Result<(Vec<u8>, RoaringBitmap)>> + '_> {
        self.walk(Bound::Unbounded, Bound::Unbounded, false)
    }
}

fn below_upper(key: &[u8], upper: &KeyBound) -> bool {
    match upper {
        Bound::Unbounded => true,
        Bound::Included(u) => key <= u.as_slice(),
        Bound::Excluded(u) => key < u.as_slice(),
    }
}

fn above_lower(key: &[u8], lower: &KeyBound) -> bool {
    match lower {
        Bound::Unbounded => true,
        Bound::Included(l) => key >= l.as_slice(),
        Bound::Excluded(l) => key > l.as_slice(),
    }
}
