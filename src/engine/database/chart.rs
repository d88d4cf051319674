//! [`FluxDB::chart`]: the series of a chart of what a filter matches.

use serde_json::Value;

use super::fluxdb::FluxDB;
use super::matching::for_each_match;
use crate::engine::cancel::CancelToken;
use crate::engine::chart::{Chart, ChartBuilder, ChartSpec, FieldPath};
use crate::engine::query::Filter;
use crate::error::Result;

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
        // Only the fields the chart's paths start at are decoded.
        let fields: Vec<String> = spec
            .paths()
            .into_iter()
            .filter_map(|path| FieldPath::parse(path).top_level_field().map(str::to_owned))
            .collect();
        let mut builder = ChartBuilder::new(spec);
        for_each_match(store, &filter, &fields, cancel, progress, &mut |_, doc| {
            builder.add(doc);
            Ok(())
        })?;
        Ok(builder.finish())
    }
}
