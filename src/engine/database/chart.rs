//! [`FluxDB::chart`]: the series of a chart of what a filter matches.

use serde_json::Value;

use super::fluxdb::FluxDB;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::chart::{Chart, ChartBuilder, ChartSpec};
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
        let (mode, all, total) = (store.value_mode(), filter.is_match_all(), store.len());
        let mut check = CancelCheck::new(cancel);
        let mut builder = ChartBuilder::new(spec);
        for (read, doc) in store.scan().enumerate() {
            check.tick()?;
            let doc = doc?;
            if all || filter.matches_in(&doc, mode) {
                builder.add(&doc);
            }
            if read % PROGRESS_EVERY == 0 {
                progress(read, total);
            }
        }
        progress(total, total);
        Ok(builder.finish())
    }
}
