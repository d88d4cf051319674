//! One read of every record a filter matches, for the analyses that see
//! each record once ([`FluxDB::schema`](super::FluxDB::schema),
//! [`FluxDB::chart`](super::FluxDB::chart)): records are taken as
//! stored, and only the top-level fields the filter and the analysis name
//! are decoded, into one document reused from record to record.

use crate::engine::Document;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::collection::{CollectionStore, StoredRecord};
use crate::engine::query::Filter;
use crate::error::Result;

/// Records between two progress reports.
const PROGRESS_EVERY: usize = 1 << 16;

/// Calls `visit` with each record of `store` that `filter` matches, as
/// stored, and the document of its `fields` and the filter's (nothing is
/// decoded when there are none). Stops with
/// [`Error::Cancelled`](crate::Error::Cancelled) soon after `cancel`
/// fires, and reports `(records read, total)`.
pub(super) fn for_each_match(
    store: &dyn CollectionStore,
    filter: &Filter,
    fields: &[String],
    cancel: Option<&CancelToken>,
    progress: &mut dyn FnMut(usize, usize),
    visit: &mut dyn FnMut(&StoredRecord<'_>, &Document) -> Result<()>,
) -> Result<()> {
    let (mode, total) = (store.value_mode(), store.len());
    let mut needed = filter.top_level_fields();
    for field in fields {
        if !needed.contains(field) {
            needed.push(field.clone());
        }
    }
    let mut check = CancelCheck::new(cancel);
    let (mut doc, mut read) = (Document::new(), 0);
    store.scan_stored(&mut |_, record| {
        check.tick()?;
        if read % PROGRESS_EVERY == 0 {
            progress(read, total);
        }
        read += 1;
        if !needed.is_empty() {
            record.decode_fields_into(&needed, &mut doc)?;
        }
        if filter.matches_in(&doc, mode) {
            visit(&record, &doc)?;
        }
        Ok(true)
    })?;
    progress(total, total);
    Ok(())
}
