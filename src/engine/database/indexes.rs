//! A collection's secondary indexes: listing, creating and dropping them
//! (the definitions are saved in the collection file and in the readable
//! copy under `indexes/`), and building them ahead of the first query.

use super::fluxdb::FluxDB;
use crate::engine::cancel::CancelToken;
use crate::engine::storage::{StorageFormat, index_definitions};
use crate::error::{Error, Result};

impl FluxDB {
    /// The indexed fields of a collection.
    pub fn list_indexes(&self, collection: &str) -> Result<Vec<String>> {
        Ok(self.store(collection)?.indexed_fields().to_vec())
    }

    /// Indexes a field (a dot path) of a collection that may hold data;
    /// `Ok(false)` if it was indexed already.
    pub fn create_index(&mut self, collection: &str, field: &str) -> Result<bool> {
        self.create_index_with_progress(collection, field, &mut |_, _| {})
    }

    /// [`create_index`](Self::create_index), reporting `(records done, total)`.
    pub fn create_index_with_progress(
        &mut self,
        collection: &str,
        field: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<bool> {
        self.write_span(|db| {
            let field = normalize_fields(&[field])?.remove(0);
            db.refuse_in_transaction("changing indexes")?;
            let c = db.store_mut(collection)?;
            if c.indexed_fields().contains(&field) {
                return Ok(false);
            }
            let mut fields = c.indexed_fields().to_vec();
            fields.push(field);
            c.set_indexed_fields(fields.clone(), progress)?;
            db.save_index_definitions(collection, &fields)?;
            Ok(true)
        })
    }

    /// Writes changed index definitions: the collection file (flushed now,
    /// atomically with any pending writes) and, for native collections, the
    /// readable copy under `indexes/` (Python folders keep their pickle).
    pub(super) fn save_index_definitions(
        &mut self,
        collection: &str,
        fields: &[String],
    ) -> Result<()> {
        let c = self.store_mut(collection)?;
        c.flush(0)?;
        if c.format() == StorageFormat::Native {
            index_definitions::write(&self.dir, collection, fields)?;
        }
        Ok(())
    }

    /// Stops indexing a field; `Ok(false)` if it was not indexed.
    pub fn drop_index(&mut self, collection: &str, field: &str) -> Result<bool> {
        self.write_span(|db| {
            db.refuse_in_transaction("changing indexes")?;
            let c = db.store_mut(collection)?;
            if !c.indexed_fields().iter().any(|f| f == field) {
                return Ok(false);
            }
            let fields: Vec<String> = c
                .indexed_fields()
                .iter()
                .filter(|f| *f != field)
                .cloned()
                .collect();
            c.set_indexed_fields(fields.clone(), &mut |_, _| {})?;
            db.save_index_definitions(collection, &fields)?;
            Ok(true)
        })
    }

    /// Builds the collection's indexes now if they are not built yet (they
    /// are otherwise built by the first query that needs them), stopping
    /// with [`Error::Cancelled`] when `cancel` fires. Studio calls it while
    /// idle after showing a collection, so a sort on an indexed field is
    /// instant when the user clicks.
    pub fn warm_indexes(&self, collection: &str, cancel: &CancelToken) -> Result<()> {
        self.store(collection)?.warm_indexes(cancel)
    }
}

pub(super) fn normalize_fields<S: AsRef<str>>(fields: &[S]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(fields.len());
    for f in fields {
        let f = f.as_ref().trim();
        if f.is_empty() || f.starts_with('$') || f.split('.').any(str::is_empty) {
            return Err(Error::InvalidQuery(format!(
                "{f:?} is not a field path an index can use"
            )));
        }
        if !out.iter().any(|o| o == f) {
            out.push(f.to_owned());
        }
    }
    Ok(out)
}
