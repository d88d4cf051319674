//! A native collection's secondary indexes: built from the records the
//! first time a query needs them (or when the indexed fields change), and
//! kept exact on every write from then on.

use std::cell::OnceCell;

use super::native::NativeCollection;
use super::store::CollectionStore;
use crate::engine::Document;
use crate::engine::cancel::CancelToken;
use crate::engine::index::IndexSet;
use crate::error::{Error, Result};

impl NativeCollection {
    /// The current version of `id` and its slot, when built indexes need
    /// the old keys removed.
    pub(super) fn indexed_version(&self, id: &str) -> Result<Option<(u32, Document)>> {
        if self.indexes.get().is_none_or(IndexSet::is_empty) {
            return Ok(None);
        }
        match self.find_slot(id)? {
            Some(slot) => Ok(self.read_slot(slot)?.map(|doc| (slot, doc))),
            None => Ok(None),
        }
    }

    /// The indexes, built from every record the first time they are needed.
    pub fn indexes(&self) -> Result<&IndexSet> {
        if let Some(built) = self.indexes.get() {
            return Ok(built);
        }
        let built = self.build_indexes(&self.indexed_fields, None, &mut |_, _| {})?;
        Ok(self.indexes.get_or_init(|| built))
    }

    pub(super) fn build_indexes(
        &self,
        fields: &[String],
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<IndexSet> {
        if let Some(base) = self.records.base() {
            return self.build_on_checkpoint(&base.clone(), fields, cancel, progress);
        }
        let mut set = IndexSet::new(fields);
        if set.is_empty() {
            return Ok(set);
        }
        self.fill_indexes(&mut set, fields, cancel, progress)?;
        Ok(set)
    }

    /// Indexes over a checkpoint: the fields it indexes are read from it,
    /// and only the records changed since are read to bring them up to
    /// date; any other field is built from every record.
    fn build_on_checkpoint(
        &self,
        base: &std::sync::Arc<crate::engine::storage::checkpoint::Checkpoint>,
        fields: &[String],
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<IndexSet> {
        let mut set = IndexSet::with_checkpoint(fields, base)?;
        let persisted: Vec<String> = fields
            .iter()
            .filter(|f| !set.in_memory_paths().contains(f))
            .cloned()
            .collect();
        if !persisted.is_empty() {
            for (slot, loc) in self.records.changed() {
                set.mask(slot);
                if loc.is_some()
                    && let Some(doc) = self.read_slot(slot)?
                {
                    set.add_to(&persisted, slot, &doc);
                }
            }
            let recent: Vec<u32> = self.records.recent().map(|(slot, _)| slot).collect();
            for slot in recent {
                if let Some(doc) = self.read_slot(slot)? {
                    set.add_to(&persisted, slot, &doc);
                }
            }
        }
        let rest = set.in_memory_paths();
        if !rest.is_empty() {
            self.fill_indexes(&mut set, &rest, cancel, progress)?;
        }
        Ok(set)
    }

    /// Adds every record's keys to the indexes of `fields`.
    fn fill_indexes(
        &self,
        set: &mut IndexSet,
        fields: &[String],
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        let total = self.records.len();
        // Only the top-level fields the index paths start with are decoded,
        // into one reused document: building an index of a million records
        // is then a scan of a few fields, not of whole documents.
        let mut top_level: Vec<String> = fields
            .iter()
            .map(|path| path.split('.').next().unwrap_or(path).to_owned())
            .collect();
        top_level.sort();
        top_level.dedup();
        let mut done = 0usize;
        set.defer();
        CollectionStore::visit_fields(self, &top_level, &mut |slot, doc| {
            set.add_to(fields, slot, doc);
            if done.is_multiple_of(4_096) {
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    return Err(Error::Cancelled);
                }
                if done.is_multiple_of(65_536) {
                    progress(done, total);
                }
            }
            done += 1;
            Ok(true)
        })?;
        set.settle();
        progress(total, total);
        Ok(())
    }

    /// Changes the indexed fields, building the new indexes now (with
    /// progress) so the next query does not pay for it. Written on the next
    /// flush, atomically with the data.
    pub fn set_indexed_fields(
        &mut self,
        fields: Vec<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        self.ensure_writable()?;
        let built = self.build_indexes(&fields, None, progress)?;
        self.indexes = OnceCell::from(built);
        self.indexed_fields = fields;
        self.meta_pending = true;
        Ok(())
    }
}
