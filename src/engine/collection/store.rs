//! What the database needs of a collection, whatever its on-disk format.
//!
//! [`NativeCollection`](super::native::NativeCollection) is FluxDB's own format; the
//! Python FluxDB 0.1 format (`engine::legacy`) is the other implementation.
//! The database does buffering, transactions and queries through this trait
//! alone, so both formats behave the same to callers.

use std::path::Path;

use super::check::CollectionCheck;
use super::file_facts::PersistedInfo;
use super::follow::{ChangeVisitor, FileOrigin, Followed};
use super::position::LogPosition;
use crate::engine::Document;
use crate::engine::cancel::CancelToken;
use crate::engine::index::IndexSet;
use crate::engine::query::ValueMode;
use crate::engine::storage::to_json;
use crate::engine::storage::{BinaryCodec, Compression, RecordCodec, StorageFormat};
use crate::error::{Error, Result};

/// A record for [`CollectionStore::insert_batch`].
pub(crate) struct NewRecord {
    pub id: String,
    pub doc: Document,
    /// The `_id` was just generated (see [`CollectionStore::insert_generated`]).
    pub generated: bool,
}

/// Where a batch insert stopped: which record, and why.
#[derive(Debug)]
pub(crate) enum BatchStop {
    /// The record's `_id` is taken.
    Duplicate(usize),
    Failed(usize, Error),
}

/// [`CollectionStore::insert_batch`] a record at a time.
pub(crate) fn insert_one_by_one<S: CollectionStore + ?Sized>(
    store: &mut S,
    records: &[NewRecord],
) -> std::result::Result<(), BatchStop> {
    for (i, r) in records.iter().enumerate() {
        let inserted = match r.generated {
            true => store.insert_generated(&r.id, &r.doc),
            false => store.insert(&r.id, &r.doc),
        };
        match inserted {
            Ok(true) => {}
            Ok(false) => return Err(BatchStop::Duplicate(i)),
            Err(e) => return Err(BatchStop::Failed(i, e)),
        }
    }
    Ok(())
}

/// A live record as its store holds it: its `_id` and the rest encoded by
/// `codec`. Queries test and return records from it, so each record is
/// read and checked once, and its text can be written without building
/// the document.
pub(crate) struct StoredRecord<'r> {
    pub id: &'r str,
    pub data: &'r [u8],
    pub codec: &'r dyn RecordCodec,
    /// The file and offset of the record, for errors (`None`: not from a file).
    pub place: Option<(&'r Path, u64)>,
}

impl StoredRecord<'_> {
    pub fn decode(&self) -> Result<Document> {
        self.codec
            .decode(self.id, self.data)
            .map_err(|e| self.damaged(e))
    }

    /// Decodes these top-level fields into `doc` (see
    /// [`RecordCodec::decode_fields_into`]).
    pub fn decode_fields_into(&self, fields: &[String], doc: &mut Document) -> Result<()> {
        self.codec
            .decode_fields_into(self.id, self.data, fields, doc)
            .map_err(|e| self.damaged(e))
    }

    /// Appends the record's compact JSON text to `out`: what serde_json
    /// writes for [`decode`](Self::decode)'s document, written straight
    /// from the bytes when they are [`BinaryCodec`]'s.
    pub fn write_json(&self, out: &mut Vec<u8>) -> Result<()> {
        let binary = self.codec.name() == BinaryCodec.name();
        if binary && to_json::record_to_json(self.id, self.data, out) {
            return Ok(());
        }
        serde_json::to_writer(out, &self.decode()?)
            .map_err(|e| Error::InvalidDocument(e.to_string()))
    }

    fn damaged(&self, error: Error) -> Error {
        match self.place {
            Some((path, offset)) => Error::Corrupt {
                path: path.to_owned(),
                offset,
                reason: format!("record {:?}: {error}", self.id),
            },
            None => error,
        }
    }
}

pub(crate) trait CollectionStore: Send + std::fmt::Debug {
    fn format(&self) -> StorageFormat;
    /// How filters and sorts compare values: text-only formats match a
    /// number against text that parses as that number.
    fn value_mode(&self) -> ValueMode;
    fn len(&self) -> usize;
    fn file_bytes(&self) -> u64;
    /// Bytes on disk that hold no live record (compaction reclaims them).
    fn dead_bytes(&self) -> u64;
    fn indexed_fields(&self) -> &[String];
    fn contains(&self, id: &str) -> Result<bool>;
    fn get(&self, id: &str) -> Result<Option<Document>>;
    /// The slot of the live record `id` (a comparison with a backup marks
    /// the slots it met, a bit each, instead of keeping every id).
    fn slot_of(&self, id: &str) -> Result<Option<u32>>;
    /// Live records in insertion order.
    fn scan(&self) -> Box<dyn Iterator<Item = Result<Document>> + '_>;

    /// Stages a new record; `Ok(false)` (nothing staged) if the id exists.
    fn insert(&mut self, id: &str, doc: &Document) -> Result<bool>;
    /// Stages a new record under an `_id` just generated (a random UUID,
    /// which no stored record holds): a store may skip looking it up in
    /// what it keeps on disk.
    fn insert_generated(&mut self, id: &str, doc: &Document) -> Result<bool> {
        self.insert(id, doc)
    }
    /// Stages new records in order (a bulk insert, under the caller's
    /// savepoint: on an error the caller rolls back what was staged).
    fn insert_batch(&mut self, records: &[NewRecord]) -> std::result::Result<(), BatchStop> {
        insert_one_by_one(self, records)
    }
    /// Stages a new version of an existing record (it keeps its position).
    fn replace(&mut self, id: &str, doc: &Document) -> Result<()>;
    /// A read-only store brought up to what another process committed
    /// since it last looked. One that cannot follow its file says it was
    /// replaced, and is read again (a Python 0.1 collection: small).
    /// `visit`, if given, is told each change applied, in commit order.
    fn follow(&mut self, _visit: Option<&mut ChangeVisitor<'_>>) -> Result<Followed> {
        Ok(Followed::Replaced)
    }

    /// Other processes write the file too (a shared writer follows it
    /// before each write). A format that cannot follow is read again.
    fn set_shared(&mut self, _shared: bool) {}

    /// Whether the file may hold what this store has not read: cheap (a
    /// stat), and true when unsure.
    fn changed_on_disk(&self) -> Result<bool> {
        Ok(true)
    }

    /// Tells `visit` each change committed after `from` up to this
    /// store's state, in commit order (formats with a log).
    fn changes_since(&self, from: &LogPosition, _visit: &mut ChangeVisitor<'_>) -> Result<()> {
        Err(Error::UnsupportedFormat {
            collection: String::new(),
            format: self.format().to_string(),
            reason: format!("it keeps no log, so position {from} names nothing in it"),
        })
    }

    /// Where this collection's state is in its log (`None`: a format
    /// without one, read whole each time).
    fn log_position(&self) -> Option<LogPosition> {
        None
    }

    /// How the file began, for a follower that found it replacing the one
    /// it read (`None`: a format that does not say).
    fn file_origin(&self) -> Result<Option<FileOrigin>> {
        Ok(None)
    }

    /// Tells `visit` the log's changes from file offset `from` to this
    /// collection's state; `existed` gives a record's version at `from`.
    fn visit_log_after(
        &self,
        _from: u64,
        _existed: &mut dyn FnMut(&str) -> Result<Option<Document>>,
        _visit: &mut ChangeVisitor<'_>,
    ) -> Result<()> {
        Ok(())
    }
    /// Stages a deletion; `Ok(false)` if there is no such record.
    fn delete(&mut self, id: &str) -> Result<bool>;

    /// Opens a savepoint (savepoints nest: a transaction, an atomic call).
    fn savepoint(&mut self);
    /// Keeps what the newest savepoint covered.
    fn release_savepoint(&mut self);
    /// Undoes what the newest savepoint covered and closes it.
    fn rollback_savepoint(&mut self);

    fn has_pending(&self) -> bool;
    fn pending_bytes(&self) -> usize;
    /// The writer is done with the collection (the database closes):
    /// a format that persists its indexes writes them now if it is due.
    fn close(&mut self) {}
    /// While on, index additions are collected and applied sorted when it
    /// is turned off (a bulk insert: `insert_many`, an import). Queries
    /// meanwhile scan instead of reading an index that lacks them.
    fn defer_index_additions(&mut self, _on: bool) {}
    /// Writes a checkpoint now if anything is in memory that the last one
    /// lacks (formats that persist their indexes; others do nothing).
    fn write_checkpoint(&mut self) -> Result<()> {
        Ok(())
    }
    /// Records in memory that make closing write a checkpoint (formats
    /// that persist their indexes).
    fn set_checkpoint_records(&mut self, _records: usize) {}
    /// Makes staged writes durable. With `txn != 0` they are only prepared:
    /// they count once the transaction log holds `txn` and
    /// [`finish_commit`](Self::finish_commit) ran.
    fn flush(&mut self, txn: u64) -> Result<()>;
    /// The commit record of a prepared transaction is durable.
    fn finish_commit(&mut self) -> Result<()>;
    /// A prepared transaction will not commit: remove what it wrote.
    fn abort_commit(&mut self) -> Result<()>;

    /// The collection's indexes (built on first use, then kept exact).
    fn indexes(&self) -> Result<&IndexSet>;
    /// Builds the indexes now if they are not built, stopping with
    /// `Error::Cancelled` when `cancel` fires (nothing is kept then): an app
    /// can build them while it is idle instead of in the first query that
    /// needs them. Formats that keep their indexes built do nothing.
    fn warm_indexes(&self, _cancel: &CancelToken) -> Result<()> {
        Ok(())
    }
    /// The live record in `slot` (slots are what indexes hold: positions in
    /// insertion order).
    fn read_slot(&self, slot: u32) -> Result<Option<Document>>;
    /// Calls `visit` with each of `slots` that is live, as the store holds
    /// it, until it returns `Ok(false)`: what a query tests and returns
    /// records from, reading each once. This default encodes each decoded
    /// record with [`BinaryCodec`], for stores that hold no such encoding.
    fn visit_stored(
        &self,
        slots: &mut dyn Iterator<Item = u32>,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        let mut data = Vec::new();
        for slot in slots {
            let Some(doc) = self.read_slot(slot)? else {
                continue;
            };
            let id = stored_id(&doc)?;
            data.clear();
            BinaryCodec.encode(&doc, &mut data)?;
            let record = StoredRecord {
                id,
                data: &data,
                codec: &BinaryCodec,
                place: None,
            };
            if !visit(slot, record)? {
                break;
            }
        }
        Ok(())
    }
    /// Calls `visit` with every live record as stored, in insertion order,
    /// until it returns `Ok(false)`: a query's scan that tests and takes
    /// records in one pass. This default reads slot by slot.
    fn scan_stored(
        &self,
        visit: &mut dyn FnMut(u32, StoredRecord<'_>) -> Result<bool>,
    ) -> Result<()> {
        let slots = self.live_slots().collect::<Result<Vec<u32>>>()?;
        self.visit_stored(&mut slots.into_iter(), visit)
    }
    /// The slots of live records, in insertion order.
    fn live_slots(&self) -> Box<dyn Iterator<Item = Result<u32>> + '_>;
    /// [`live_slots`](Self::live_slots) after the first `skip`: a store
    /// that knows where the n-th live record is starts there (the last
    /// page of a large collection costs what the first does).
    fn live_slots_from(&self, skip: usize) -> Box<dyn Iterator<Item = Result<u32>> + '_> {
        Box::new(self.live_slots().skip(skip))
    }
    /// Calls `visit` with the slot and these top-level fields (and `_id`
    /// when named) of each live record in insertion order, until it returns
    /// `Ok(false)`: what a count, a `$group` or an index build needs, for a
    /// fraction of the decoding. The document may be reused from record to
    /// record; a visitor that keeps one clones it.
    fn visit_fields(
        &self,
        fields: &[String],
        visit: &mut dyn FnMut(u32, &Document) -> Result<bool>,
    ) -> Result<()>;
    /// Changes the indexed fields and builds their indexes, reporting
    /// `(records done, total)`.
    fn set_indexed_fields(
        &mut self,
        fields: Vec<String>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<()>;

    /// Rewrites the file with only live records.
    fn compact(&mut self) -> Result<()>;
    /// How the file is stored (formats without compression: none).
    fn compression(&self) -> Compression {
        Compression::None
    }
    /// Raw bytes per stored byte of a compressed file.
    fn compression_ratio(&self) -> Option<f64> {
        None
    }
    /// Bytes of the zstd dictionary the file's blocks use (`None`: none).
    /// What the store persists of its `_id` table and indexes (`None`:
    /// a format that persists nothing beside its file).
    fn persisted(&self) -> Option<PersistedInfo> {
        None
    }
    fn dictionary_len(&self) -> Option<usize> {
        None
    }
    /// Rewrites the file stored with `compression` (as compaction does).
    /// This default is for formats that cannot compress: only `None` is
    /// accepted, and it changes nothing.
    fn set_compression(&mut self, compression: Compression) -> Result<()> {
        if compression.is_none() {
            return Ok(());
        }
        Err(crate::Error::UnsupportedFormat {
            collection: String::new(),
            format: self.format().to_string(),
            reason: "its files are never compressed; migrate the folder first (fluxdb migrate)"
                .to_owned(),
        })
    }
    /// The file under this handle was replaced (clear, import) and the
    /// handle may no longer write: every later write fails until reopened.
    fn refuse_writes(&mut self);
    /// Whether dead space has grown enough to compact on flush.
    fn wants_compaction(&self) -> bool;
    /// Writes a one-collection backup (the seed's `export_collection`).
    fn export(&self, name: &str, target: &Path) -> Result<()>;

    /// Checks every record (and, where the format has them, every checksum
    /// and index). Damage found is in the result; `Err` only when checking
    /// cannot go on. This default reads and decodes every record.
    fn verify(&self, name: &str) -> Result<CollectionCheck> {
        Ok(verify_by_reading(self, name))
    }

    /// Calls `f` with `(_id, document encoded by codec)` for every live
    /// record in insertion order (a database backup). This default decodes
    /// and re-encodes; a store holding that encoding copies it.
    fn for_each_encoded(
        &self,
        codec: &dyn RecordCodec,
        f: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
    ) -> Result<()> {
        encode_each(self, codec, f)
    }

    /// Whether the records are stored encoded by `codec`, so that
    /// [`for_each_encoded`](Self::for_each_encoded) with it copies them
    /// (an export then reads the encoding instead of documents).
    fn stores_encoded_by(&self, _codec: &dyn RecordCodec) -> bool {
        false
    }

    /// Stages a new record already encoded by `codec`; `Ok(false)` (nothing
    /// staged) if the id exists. An import encodes on its reading thread.
    /// This default decodes and inserts; a store with that codec copies.
    fn insert_encoded(&mut self, id: &str, data: &[u8], codec: &dyn RecordCodec) -> Result<bool> {
        let doc = codec.decode(id, data)?;
        self.insert(id, &doc)
    }

    /// Calls `f` with the top-level field names of every live record in
    /// insertion order, `_id` first in each: the first pass of a CSV export,
    /// which needs the names only. This default decodes each record.
    fn for_each_field_name(&self, f: &mut dyn FnMut(&str) -> Result<()>) -> Result<()> {
        for doc in self.scan() {
            for key in doc?.keys() {
                f(key)?;
            }
        }
        Ok(())
    }
}

/// The check of a collection known only through [`CollectionStore`]: every
/// record is read and decoded; there are no checksums to test.
fn verify_by_reading<S: CollectionStore + ?Sized>(store: &S, name: &str) -> CollectionCheck {
    let mut check = CollectionCheck::new(name, store.format());
    for item in store.scan() {
        match item {
            Ok(_) => check.records += 1,
            Err(Error::Corrupt { offset, reason, .. }) => check.add(Some(offset), None, reason),
            Err(other) => check.add(None, None, other.to_string()),
        }
    }
    check.note = Some(format!(
        "the {} format has no checksums: records were read and decoded only",
        store.format()
    ));
    check
}

/// [`CollectionStore::for_each_encoded`] by decoding and re-encoding.
pub(crate) fn encode_each<S: CollectionStore + ?Sized>(
    store: &S,
    codec: &dyn RecordCodec,
    f: &mut dyn FnMut(&str, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut encoded = Vec::with_capacity(256);
    for doc in store.scan() {
        let doc = doc?;
        let id = stored_id(&doc)?;
        encoded.clear();
        codec.encode(&doc, &mut encoded)?;
        f(id, &encoded)?;
    }
    Ok(())
}

/// The `_id` of a record a store handed back, which is always text.
fn stored_id(doc: &Document) -> Result<&str> {
    match doc.get("_id") {
        Some(serde_json::Value::String(id)) => Ok(id),
        _ => Err(Error::InvalidDocument(
            "a stored record has no string _id".to_owned(),
        )),
    }
}
