//! [`IndexSet`]: every index of one collection.

use std::sync::Arc;

use super::field::FieldIndex;
use super::key::{encode_key_into, index_keys, single_key};
use super::persisted::BaseIndex;
use super::run::{RunBuilder, SortedRun};
use crate::engine::Document;
use crate::engine::storage::checkpoint::Checkpoint;
use crate::error::Result;

/// Deferred additions of one index made into a run at once (about 25 MB
/// of them), so a bulk load of any size holds a bounded batch.
const MAX_DEFERRED: usize = 1 << 20;
/// Or once their keys take this many bytes (keys may be long).
const MAX_DEFERRED_BYTES: usize = 64 << 20;

/// Every index of one collection, kept exact on each write.
/// Index additions made apart from the set (see
/// [`IndexSet::prepare_additions`]): per indexed path, sorted runs.
#[derive(Debug)]
pub struct PreparedAdditions {
    paths: Vec<String>,
    runs: Vec<Vec<SortedRun>>,
}

/// Files the keys `path` gives `doc` under `slot`.
fn push_keys(builder: &mut RunBuilder, path: &str, slot: u32, doc: &Document) {
    match single_key(doc, path) {
        Some(value) => builder.push_with(slot, |out| encode_key_into(value, out)),
        None => {
            for key in index_keys(doc, path) {
                builder.push(&key, slot);
            }
        }
    }
}

/// Whether a builder holds a run's worth (sorted and applied then, so the
/// unsorted additions stay bounded).
fn is_full(builder: &RunBuilder) -> bool {
    builder.len() >= MAX_DEFERRED || builder.key_bytes() >= MAX_DEFERRED_BYTES
}

#[derive(Debug, Clone, Default)]
pub struct IndexSet {
    indexes: Vec<FieldIndex>,
    /// While a bulk insert runs: each index's `(key, slot)` additions, not
    /// yet in the index (see [`defer`](Self::defer)).
    deferred: Option<Vec<RunBuilder>>,
}

impl IndexSet {
    /// Empty indexes for these paths (fill them with [`add`](Self::add)).
    pub fn new(paths: &[String]) -> IndexSet {
        IndexSet {
            indexes: paths.iter().cloned().map(FieldIndex::new).collect(),
            deferred: None,
        }
    }

    /// Indexes for these paths: those the checkpoint holds read from it
    /// (with nothing masked yet), the others empty.
    pub fn with_checkpoint(paths: &[String], checkpoint: &Arc<Checkpoint>) -> Result<IndexSet> {
        let mut set = IndexSet::new(paths);
        for index in &mut set.indexes {
            if let Some(position) = checkpoint.definitions.iter().position(|d| *d == index.path) {
                index.base = Some(BaseIndex::new(checkpoint.clone(), position)?);
            }
        }
        Ok(set)
    }

    /// The paths of the indexes that do not read a checkpoint.
    pub fn in_memory_paths(&self) -> Vec<String> {
        self.indexes
            .iter()
            .filter(|i| i.base.is_none())
            .map(|i| i.path.clone())
            .collect()
    }

    /// Adds `doc` to the indexes of `paths` only (building those that the
    /// checkpoint lacks).
    pub fn add_to(&mut self, paths: &[String], slot: u32, doc: &Document) {
        self.add_where(slot, doc, |path| paths.iter().any(|p| p == path));
    }

    fn add_where(&mut self, slot: u32, doc: &Document, include: impl Fn(&str) -> bool) {
        for (i, index) in self.indexes.iter_mut().enumerate() {
            if !include(&index.path) {
                continue;
            }
            match self.deferred.as_mut().and_then(|d| d.get_mut(i)) {
                Some(builder) => {
                    index.mask(slot);
                    push_keys(builder, &index.path, slot, doc);
                    if is_full(builder) {
                        index.add_run(builder.take_run());
                    }
                }
                None => index.add(slot, doc),
            }
        }
    }

    /// Masks `slot` in every index that reads a checkpoint (a record deleted
    /// since it was written).
    /// The indexed paths, in the set's order.
    pub fn paths(&self) -> Vec<String> {
        self.indexes.iter().map(|i| i.path.clone()).collect()
    }

    /// The index additions of new records `docs` in slots `first_slot..`,
    /// sorted into runs, for the indexes on `paths`: work that needs no
    /// access to the set, so a bulk insert does it on another thread while
    /// the collection stores the records.
    pub fn prepare_additions<'d>(
        paths: &[String],
        first_slot: u32,
        docs: impl Iterator<Item = &'d Document>,
    ) -> PreparedAdditions {
        let mut builders = vec![RunBuilder::default(); paths.len()];
        let mut runs: Vec<Vec<SortedRun>> = vec![Vec::new(); paths.len()];
        for (slot, doc) in (first_slot..).zip(docs) {
            for ((path, builder), runs) in paths.iter().zip(&mut builders).zip(&mut runs) {
                push_keys(builder, path, slot, doc);
                if is_full(builder) {
                    runs.push(builder.take_run());
                }
            }
        }
        for (builder, runs) in builders.iter_mut().zip(&mut runs) {
            if !builder.is_empty() {
                runs.push(builder.take_run());
            }
        }
        PreparedAdditions {
            paths: paths.to_vec(),
            runs,
        }
    }

    /// Adds what [`prepare_additions`](Self::prepare_additions) made. Its
    /// slots are new ones (past any checkpoint): none needs masking.
    pub fn add_prepared(&mut self, prepared: PreparedAdditions) {
        for (path, runs) in prepared.paths.iter().zip(prepared.runs) {
            if let Some(index) = self.indexes.iter_mut().find(|i| &i.path == path) {
                for run in runs {
                    index.add_run(run);
                }
            }
        }
    }

    pub fn mask(&mut self, slot: u32) {
        for index in &mut self.indexes {
            if let Some(base) = &mut index.base {
                base.mask(slot);
            }
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldIndex> {
        self.indexes.iter()
    }

    /// Brings every index into memory (see [`FieldIndex::materialize`]).
    pub fn materialize(&mut self) -> Result<()> {
        for index in &mut self.indexes {
            index.materialize()?;
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    /// The index of `path`; none while additions are deferred, so a query
    /// then scans (and sees every record) rather than read an index that
    /// lacks some.
    pub fn get(&self, path: &str) -> Option<&FieldIndex> {
        if self
            .deferred
            .as_ref()
            .is_some_and(|d| d.iter().any(|e| !e.is_empty()))
        {
            return None;
        }
        self.indexes.iter().find(|i| i.path == path)
    }

    pub fn add(&mut self, slot: u32, doc: &Document) {
        self.add_where(slot, doc, |_| true);
    }

    /// From now on additions are collected, and applied sorted, a key at a
    /// time, by [`settle`](Self::settle): a bulk insert keyed the same
    /// value a thousand times touches the index once, and one of unique
    /// values fills it in order.
    pub fn defer(&mut self) {
        if self.deferred.is_none() {
            self.deferred = Some(vec![RunBuilder::default(); self.indexes.len()]);
        }
    }

    /// Applies the deferred additions and stops deferring.
    pub fn settle(&mut self) {
        let Some(deferred) = self.deferred.take() else {
            return;
        };
        for (index, mut builder) in self.indexes.iter_mut().zip(deferred) {
            if !builder.is_empty() {
                index.add_run(builder.take_run());
            }
        }
    }

    pub fn remove(&mut self, slot: u32, doc: &Document) {
        if self.deferred.is_some() {
            // Removals are not deferred: apply what waits, keep deferring.
            self.settle();
            self.defer();
        }
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
