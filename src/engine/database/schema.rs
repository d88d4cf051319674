//! [`FluxDB::schema`]: the exact schema of what a filter matches.

use serde_json::Value;

use super::fluxdb::FluxDB;
use super::matching::for_each_match;
use crate::engine::cancel::CancelToken;
use crate::engine::query::Filter;
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::error::Result;

impl FluxDB {
    /// Every field path of every record of `collection` that `filter`
    /// matches (`{}`: all), with counts, types, bounds, distinct and most
    /// frequent values ([`Schema`]). Reads each record once, in bounded
    /// memory; stops with [`Error::Cancelled`](crate::Error::Cancelled)
    /// soon after `cancel` fires, and reports `(records read, total)`.
    ///
    /// Records are analysed as stored, without building documents: a
    /// filter is tested on the fields it names, and a matching record's
    /// values are walked in its bytes.
    pub fn schema(
        &self,
        collection: &str,
        filter: &Value,
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Schema> {
        let store = self.store(collection)?;
        let filter = Filter::parse(filter)?;
        let mut builder = SchemaBuilder::new();
        for_each_match(store, &filter, &[], cancel, progress, &mut |record, _| {
            builder.add_stored(record)
        })?;
        Ok(builder.finish(collection))
    }
}
