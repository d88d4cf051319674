//! [`FluxDB::schema`]: the exact schema of what a filter matches.

use serde_json::Value;

use super::fluxdb::FluxDB;
use crate::engine::Document;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::query::Filter;
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::error::Result;

/// Records between two progress reports.
const PROGRESS_EVERY: usize = 1 << 16;

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
        let (mode, all, total) = (store.value_mode(), filter.is_match_all(), store.len());
        let needed = filter.top_level_fields();
        let mut check = CancelCheck::new(cancel);
        let mut builder = SchemaBuilder::new();
        let (mut tested, mut read) = (Document::new(), 0);
        store.scan_stored(&mut |_, record| {
            check.tick()?;
            if read % PROGRESS_EVERY == 0 {
                progress(read, total);
            }
            read += 1;
            if !all {
                record.decode_fields_into(&needed, &mut tested)?;
                if !filter.matches_in(&tested, mode) {
                    return Ok(true);
                }
            }
            builder.add_stored(&record)?;
            Ok(true)
        })?;
        progress(total, total);
        Ok(builder.finish(collection))
    }
}
