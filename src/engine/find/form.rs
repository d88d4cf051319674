//! The forms a find hands its results back in: decoded documents, each
//! record's JSON text, or that text streamed to a callback.

use crate::engine::Document;
use crate::engine::collection::StoredRecord;
use crate::engine::query::Projection;
use crate::error::{Error, Result};

/// What a find hands back for each record of its page.
pub(crate) trait ResultForm {
    type Item;

    /// The result for `record`, projected.
    fn take(
        &mut self,
        record: &StoredRecord<'_>,
        projection: Option<&Projection>,
    ) -> Result<Self::Item>;

    /// Decodes what testing `record` needs into `scratch`: the `needed`
    /// fields (into the same reused document, record after record), unless
    /// the form builds the whole document anyway.
    fn load_for_test(
        &self,
        record: &StoredRecord<'_>,
        needed: &[String],
        scratch: &mut Document,
    ) -> Result<()> {
        record.decode_fields_into(needed, scratch)
    }

    /// [`take`](Self::take) for a record [`load_for_test`](Self::load_for_test)
    /// loaded into `tested`.
    fn take_tested(
        &mut self,
        record: &StoredRecord<'_>,
        _tested: &mut Document,
        projection: Option<&Projection>,
    ) -> Result<Self::Item> {
        self.take(record, projection)
    }
}

/// Decoded documents: [`FluxDB::find`](crate::engine::FluxDB::find).
pub(crate) struct Documents;

impl ResultForm for Documents {
    type Item = Document;

    fn take(
        &mut self,
        record: &StoredRecord<'_>,
        projection: Option<&Projection>,
    ) -> Result<Document> {
        let mut doc = record.decode()?;
        self.take_tested(record, &mut doc, projection)
    }

    /// The whole document: it is what a match returns, decoded once.
    fn load_for_test(
        &self,
        record: &StoredRecord<'_>,
        _needed: &[String],
        scratch: &mut Document,
    ) -> Result<()> {
        *scratch = record.decode()?;
        Ok(())
    }

    fn take_tested(
        &mut self,
        _record: &StoredRecord<'_>,
        tested: &mut Document,
        projection: Option<&Projection>,
    ) -> Result<Document> {
        Ok(match projection {
            Some(p) => p.apply(tested),
            None => std::mem::take(tested),
        })
    }
}

/// Each document's compact JSON text, written from its stored bytes where
/// it can be (no document is built): [`FluxDB::find_json`](crate::engine::FluxDB::find_json).
pub(crate) struct JsonText;

impl ResultForm for JsonText {
    type Item = String;

    fn take(
        &mut self,
        record: &StoredRecord<'_>,
        projection: Option<&Projection>,
    ) -> Result<String> {
        let mut text = Vec::with_capacity(record.data.len() * 2 + 64);
        write_json(record, projection, &mut text)?;
        String::from_utf8(text).map_err(not_utf8)
    }
}

/// Each document's JSON text handed to a callback as soon as it is
/// written, nothing collected: [`FluxDB::find_json_each`](crate::engine::FluxDB::find_json_each).
pub(crate) struct JsonEach<'f> {
    pub each: &'f mut dyn FnMut(&str) -> Result<()>,
    /// One buffer for every record's text.
    pub text: Vec<u8>,
}

impl ResultForm for JsonEach<'_> {
    type Item = ();

    fn take(&mut self, record: &StoredRecord<'_>, projection: Option<&Projection>) -> Result<()> {
        self.text.clear();
        write_json(record, projection, &mut self.text)?;
        (self.each)(std::str::from_utf8(&self.text).map_err(not_utf8)?)
    }
}

/// Appends the JSON text of `record`, projected, to `out`.
fn write_json(
    record: &StoredRecord<'_>,
    projection: Option<&Projection>,
    out: &mut Vec<u8>,
) -> Result<()> {
    match projection {
        Some(projection) => serde_json::to_writer(out, &projection.apply(&record.decode()?))
            .map_err(|e| crate::Error::InvalidDocument(e.to_string())),
        None => record.write_json(out),
    }
}

fn not_utf8(e: impl std::fmt::Display) -> Error {
    crate::Error::InvalidDocument(format!("internal: record text is not UTF-8: {e}"))
}
