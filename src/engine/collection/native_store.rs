//! [`NativeCollection`] as the [`CollectionStore`] the database works
//! through: each trait method maps onto the collection's own, keeping the
//! built indexes exact around every write.

use std::path::Path;

use super::backup;
use super::check::CollectionCheck;
use super::file_facts::PersistedInfo;
use super::follow::{ChangeVisitor, FileOrigin, Followed};
use super::native::NativeCollection;
use super::position::LogPosition;
use super::store::{self, BatchStop, CollectionStore, NewRecord, StoredRecord};
use crate::engine::Document;
use crate::engine::cancel::CancelToken;
use crate::engine::index::IndexSet;
use crate::engine::query::ValueMode;
use crate::engine::storage::native;
use crate::engine::storage::{Compression, RecordCodec, StorageFormat};
use crate::error::{Error, Result};

/// Records a batch insert needs before indexing on a second thread pays
/// (a thread costs tens of microseconds to start).
const PARALLEL_BATCH: usize = 4_096;

impl CollectionStore for NativeCollection {
    fn format(&self) -> StorageFormat {
        StorageFormat::Native
    }

    fn value_mode(&self) -> ValueMode {
        ValueMode::Typed
    }

    fn len(&self) -> usize {
        self.records.len()
    }

    fn file_bytes(&self) -> u64 {
        self.end
    }

    fn dead_bytes(&self) -> u64 {
        NativeCollection::dead_bytes(self)
    }

    fn indexed_fields(&self) -> &[String] {
        &self.indexed_fields
    }

    fn contains(&self, id: &str) -> Result<bool> {
        NativeCollection::contains(self, id)
    }

    fn get(&self, id: &str) -> Result<Option<Document>> {
        NativeCollection::get(self, id)
    }

    fn slot_of(&self, id: &str) -> Result<Option<u32>> {
        self.find_slot(id)
    }

    fn scan(&self) -> Box<dyn Iterator<Item = Result<Document>> + '_> {
        Box::new(NativeCollection::scan(self))
    }

    fn insert(&mut self, id: &str, doc: &Document) -> Result<bool> {
        self.insert_checked(id, doc, true)
    }

    fn insert_generated(&mut self, id: &str, doc: &Document) -> Result<bool> {
        // A random UUID is in no checkpoint: looking it up there would read
        // a chunk of the id table per record (at 10,000,000 records, most
        // of a bulk load's time).
        self.insert_checked(id, doc, false)
    }

    fn insert_batch(&mut self, records: &[NewRecord]) -> std::result::Result<(), BatchStop> {
        let paths = match self.indexes.get() {
            Some(indexes) if !indexes.is_empty() && records.len() >= PARALLEL_BATCH => {
                indexes.paths()
            }
            _ => return store::insert_one_by_one(self, records),
        };
        if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
            return store::insert_one_by_one(self, records);
        }
        // The index keys are encoded and sorted on a second thread while
        // this one encodes and stages the records (at 1,000,000 records with
        // two indexes, a third of the insert's time). They are filed under
        // the slots the records will take, which the table hands out in
        // order; should it not, they are added a record at a time instead.
        let first_slot = self.records.slot_count() as u32;
        let (staged, prepared) = std::thread::scope(|scope| {
            let keys = scope.spawn(|| {
                IndexSet::prepare_additions(&paths, first_slot, records.iter().map(|r| &r.doc))
            });
            let staged = self.stage_batch(records);
            let prepared = keys
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (staged, prepared)
        });
        let slots = staged?;
        let in_order = slots
            .iter()
            .zip(first_slot..)
            .all(|(&slot, expected)| slot == expected);
        if let Some(indexes) = self.indexes.get_mut() {
            match in_order {
                true => indexes.add_prepared(prepared),
                false => {
                    for (slot, r) in slots.into_iter().zip(records) {
                        indexes.add(slot, &r.doc);
                    }
                }
            }
        }
        Ok(())
    }

    fn follow(&mut self, visit: Option<&mut ChangeVisitor<'_>>) -> Result<Followed> {
        NativeCollection::follow_each(self, visit)
    }

    fn log_position(&self) -> Option<LogPosition> {
        NativeCollection::log_position(self)
    }

    fn changes_since(&self, from: &LogPosition, visit: &mut ChangeVisitor<'_>) -> Result<()> {
        NativeCollection::changes_since(self, from, visit)
    }

    fn set_shared(&mut self, shared: bool) {
        self.shared = shared;
    }

    fn changed_on_disk(&self) -> Result<bool> {
        NativeCollection::changed_on_disk(self)
    }

    fn file_origin(&self) -> Result<Option<FileOrigin>> {
        NativeCollection::file_origin(self).map(Some)
    }

    fn visit_log_after(
        &self,
        from: u64,
        existed: &mut dyn FnMut(&str) -> Result<Option<Document>>,
        visit: &mut ChangeVisitor<'_>,
    ) -> Result<()> {
        NativeCollection::visit_log_after(self, from, existed, visit)
    }

    fn replace(&mut self, id: &str, doc: &Document) -> Result<()> {
        let old = self.indexed_version(id)?;
        self.put(id, doc)?;
        if let (Some((slot, old)), Some(indexes)) = (old, self.indexes.get_mut()) {
            indexes.remove(slot, &old);
            indexes.add(slot, doc);
        }
        Ok(())
    }

    fn delete(&mut self, id: &str) -> Result<bool> {
        let old = self.indexed_version(id)?;
        let deleted = NativeCollection::delete(self, id)?;
        if let (Some((slot, old)), Some(indexes)) = (old, self.indexes.get_mut()) {
            indexes.remove(slot, &old);
        }
        Ok(deleted)
    }

    fn indexes(&self) -> Result<&IndexSet> {
        NativeCollection::indexes(self)
    }

    fn warm_indexes(&self, cancel: &CancelToken) -> Result<()> {
        if self.indexes.get().is_some() {
            return Ok(());
        }
        let built = self.build_indexes(&self.indexed_fields, Some(cancel), &mut |_, _| {})?;
        // A query on this thread may not have built them meanwhile: the
        // collection is not shared across threads, so `set` cannot lose.
        let _ = self.indexes.set(built);
        Ok(())
    }

    fn read_slot(&self, slot: u32) -> Result<Option<Document>> {
        NativeCollection::read_slot(self, slot)
    }

    fn visit_stored(
        &self,
        slots: &mut dyn Iterator<Item = u32>,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        NativeCollection::visit_stored(self, slots, visit)
    }

    fn live_slots(&self) -> Box<dyn Iterator<Item = Result<u32>> + '_> {
        Box::new(self.records.iter().map(|slot| slot.map(|(slot, _)| slot)))
    }

    fn live_slots_from(&self, skip: usize) -> Box<dyn Iterator<Item = Result<u32>> + '_> {
        Box::new(
            self.records
                .iter_from(skip)
                .map(|slot| slot.map(|(slot, _)| slot)),
        )
    }

    fn scan_stored(
        &self,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        self.scan().visit_rest(visit)
    }

    fn visit_fields(
        &self,
        fields: &[String],
        visit: &mut dyn FnMut(u32, &Document) -> Result<bool>,
    ) -> Result<()> {
        let mut doc = Document::new();
        self.scan().visit_rest(&mut |slot, record| {
            record.decode_fields_into(fields, &mut doc)?;
            visit(slot, &doc)
        })
    }

    fn set_indexed_fields(
        &mut self,
        fields: Vec<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()> {
        NativeCollection::set_indexed_fields(self, fields, progress)
    }

    fn savepoint(&mut self) {
        NativeCollection::savepoint(self)
    }

    fn release_savepoint(&mut self) {
        NativeCollection::release_savepoint(self)
    }

    fn rollback_savepoint(&mut self) {
        NativeCollection::rollback_savepoint(self)
    }

    fn has_pending(&self) -> bool {
        NativeCollection::has_pending(self)
    }

    fn pending_bytes(&self) -> usize {
        self.pending.len()
    }

    fn flush(&mut self, txn: u64) -> Result<()> {
        NativeCollection::flush(self, txn)
    }

    fn finish_commit(&mut self) -> Result<()> {
        // The batches are already in place; the log's record made them count.
        self.checkpoint_if_due();
        Ok(())
    }

    fn close(&mut self) {
        NativeCollection::close(self);
    }

    fn defer_index_additions(&mut self, on: bool) {
        if let Some(indexes) = self.indexes.get_mut() {
            if on {
                indexes.defer();
            } else {
                indexes.settle();
            }
        }
    }

    fn write_checkpoint(&mut self) -> Result<()> {
        if self.records_in_memory() > 0 || self.definitions_changed() {
            NativeCollection::write_checkpoint(self)?;
        }
        Ok(())
    }

    fn set_checkpoint_records(&mut self, records: usize) {
        self.checkpoint_records = records;
    }

    fn abort_commit(&mut self) -> Result<()> {
        self.discard_flushed_since_savepoint()
    }

    fn compact(&mut self) -> Result<()> {
        NativeCollection::compact(self)
    }

    fn compression(&self) -> Compression {
        self.compression
    }

    fn compression_ratio(&self) -> Option<f64> {
        NativeCollection::compression_ratio(self)
    }

    fn persisted(&self) -> Option<PersistedInfo> {
        Some(self.persisted_info())
    }

    fn dictionary_len(&self) -> Option<usize> {
        NativeCollection::dictionary_len(self)
    }

    fn set_compression(&mut self, compression: Compression) -> Result<()> {
        NativeCollection::set_compression(self, compression)
    }

    fn refuse_writes(&mut self) {
        self.poisoned = true;
    }

    fn wants_compaction(&self) -> bool {
        let dead = NativeCollection::dead_bytes(self);
        dead > (1 << 20) && dead > self.end / 2
    }

    fn export(&self, name: &str, target: &Path) -> Result<()> {
        backup::export_collection(self, name, target)
    }

    fn verify(&self, name: &str) -> Result<CollectionCheck> {
        self.verify_file(name)
    }

    fn for_each_encoded(
        &self,
        codec: &dyn RecordCodec,
        f: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<()> {
        if codec.name() != self.codec.name() {
            return store::encode_each(self, codec, f);
        }
        // Same codec: the stored bytes are the encoding, copy them.
        self.for_each_entry(|bytes| {
            let entry = self.parse_stored_entry(bytes)?;
            f(entry.id, entry.data)
        })
    }

    fn stores_encoded_by(&self, codec: &dyn RecordCodec) -> bool {
        codec.name() == self.codec.name()
    }

    fn insert_encoded(&mut self, id: &str, data: &[u8], codec: &dyn RecordCodec) -> Result<bool> {
        if codec.name() != self.codec.name() {
            let doc = codec.decode(id, data)?;
            return CollectionStore::insert(self, id, &doc);
        }
        // Built indexes stay exact: they need the indexed fields.
        let doc = match self.indexes.get() {
            Some(indexes) if !indexes.is_empty() => {
                let mut top_level: Vec<String> = self
                    .indexed_fields
                    .iter()
                    .map(|path| path.split('.').next().unwrap_or(path).to_owned())
                    .collect();
                top_level.dedup();
                let mut doc = Document::new();
                self.codec
                    .decode_fields_into(id, data, &top_level, &mut doc)?;
                Some(doc)
            }
            _ => None,
        };
        let Some(slot) = self.put_new(id, data)? else {
            return Ok(false);
        };
        if let (Some(doc), Some(indexes)) = (doc, self.indexes.get_mut()) {
            indexes.add(slot, &doc);
        }
        Ok(true)
    }

    fn for_each_field_name(&self, f: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        self.for_each_entry(|bytes| {
            let entry = self.parse_stored_entry(bytes)?;
            f("_id")?;
            let mut stopped = Ok(());
            self.codec.field_names(entry.id, entry.data, &mut |name| {
                if stopped.is_ok() {
                    stopped = f(name);
                }
            })?;
            stopped
        })
    }
}

impl NativeCollection {
    /// An entry [`for_each_entry`](NativeCollection::for_each_entry) handed
    /// out, parsed; a damaged one is `Corrupt` naming the file.
    fn parse_stored_entry<'a>(&self, bytes: &'a [u8]) -> Result<native::EntryRef<'a>> {
        native::parse_entry(bytes).map_err(|reason| Error::Corrupt {
            path: self.path.clone(),
            offset: 0,
            reason,
        })
    }
}

impl NativeCollection {
    /// Encodes and stages `records` (their indexes left to the caller);
    /// the slot each took.
    fn stage_batch(&mut self, records: &[NewRecord]) -> std::result::Result<Vec<u32>, BatchStop> {
        let mut slots = Vec::with_capacity(records.len());
        let mut data = Vec::with_capacity(128);
        for (i, r) in records.iter().enumerate() {
            match self.stage_new(&r.id, &r.doc, !r.generated, &mut data) {
                Ok(Some(slot)) => slots.push(slot),
                Ok(None) => return Err(BatchStop::Duplicate(i)),
                Err(e) => return Err(BatchStop::Failed(i, e)),
            }
        }
        Ok(slots)
    }

    /// [`CollectionStore::insert`]; `in_checkpoint`: whether the id may be
    /// in the checkpoint (it is always looked up among the records since).
    fn insert_checked(&mut self, id: &str, doc: &Document, in_checkpoint: bool) -> Result<bool> {
        let mut data = Vec::with_capacity(128);
        let Some(slot) = self.stage_new(id, doc, in_checkpoint, &mut data)? else {
            return Ok(false);
        };
        if let Some(indexes) = self.indexes.get_mut() {
            indexes.add(slot, doc);
        }
        Ok(true)
    }

    /// Encodes (into `data`) and stages a new record, its indexes left to
    /// the caller: the slot it took, `None` if the id is taken.
    fn stage_new(
        &mut self,
        id: &str,
        doc: &Document,
        in_checkpoint: bool,
        data: &mut Vec<u8>,
    ) -> Result<Option<u32>> {
        data.clear();
        self.codec.encode(doc, data)?;
        self.put_new_checked(id, data, in_checkpoint)
    }
}
