//! [`FluxDB::chart`]: the series of a chart of what a filter matches.

use serde_json::Value;

use super::fluxdb::FluxDB;
use crate::engine::Document;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::chart::{Chart, ChartBuilder, ChartSpec, FieldPath};
use crate::engine::query::Filter;
use crate::error::Result;

/// Records between two progress reports.
const PROGRESS_EVERY: usize = 1 << 16;

impl FluxDB {
    /// The chart `spec` asks for, of every record of `collection` that
    /// `filter` matches (`{}`: all): one read of each record, in memory
    /// bounded by the chart's caps whatever the collection's size. Stops
    /// with [`Error::Cancelled`](crate::Error::Cancelled) soon after
    /// `cancel` fires, and reports `(records read, total)`.
    pub fn chart(
        &self,
        collection: &str,
        filter: &Value,
        spec: &ChartSpec,
        cancel: Option<&CancelToken>,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Chart> {
        let store = self.store(collection)?;
        let filter = Filter::parse(filter)?;
        let (mode, total) = (store.value_mode(), store.len());
        // Only the fields the filter and the chart read are decoded, into
        // one document reused from record to record.
        let mut needed = filter.top_level_fields();
        for path in spec.paths() {
            if let Some(field) = FieldPath::parse(path).top_level_field()
                && !needed.iter().any(|n| n == field)
            {
                needed.push(field.to_owned());
            }
        }
        let mut check = CancelCheck::new(cancel);
        let mut builder = ChartBuilder::new(spec);
        let (mut doc, mut read) = (Document::new(), 0);
        store.scan_stored(&mut |_, record| {
            check.tick()?;
            if read % PROGRESS_EVERY == 0 {
                progress(read, total);
            }
            read += 1;
            record.decode_fields_into(&needed, &mut doc)?;
            if filter.matches_in(&doc, mode) {
                builder.add(&doc);
            }
            Ok(true)
        })?;
        progress(total, total);
        Ok(builder.finish())
    }
}
