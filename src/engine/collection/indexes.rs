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
        match self.records.find(id) {
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
        let mut set = IndexSet::new(fields);
        if set.is_empty() {
            return Ok(set);
        }
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
        CollectionStore::visit_fields(self, &top_level, &mut |slot, doc| {
            set.add(slot, doc);
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
        progress(total, total);
        Ok(set)
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
