//! [`FluxDB::schema`]: the exact schema of what a filter matches.

use std::sync::mpsc;

use serde_json::Value;

use super::fluxdb::FluxDB;
use crate::engine::Document;
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::query::Filter;
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::error::Result;

/// Records between two progress reports.
const PROGRESS_EVERY: usize = 1 << 16;
/// Records handed to the analysing thread at a time: large enough that the
/// channel costs nothing per record, small enough to keep memory flat.
const BATCH: usize = 1024;
/// Batches in flight between the two threads.
const BATCHES_IN_FLIGHT: usize = 4;

impl FluxDB {
    /// Every field path of every record of `collection` that `filter`
    /// matches (`{}`: all), with counts, types, bounds, distinct and most
    /// frequent values ([`Schema`]). Reads each record once, in bounded
    /// memory; stops with [`Error::Cancelled`](crate::Error::Cancelled)
    /// soon after `cancel` fires, and reports `(records read, total)`.
    ///
    /// With two cores, one thread reads and filters while another analyses,
    /// in record order, so the result is the same as on one.
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
        let mut check = CancelCheck::new(cancel);
        let mut read_matches = |each: &mut dyn FnMut(Document)| -> Result<()> {
            for (read, doc) in store.scan().enumerate() {
                check.tick()?;
                let doc = doc?;
                if all || filter.matches_in(&doc, mode) {
                    each(doc);
                }
                if read % PROGRESS_EVERY == 0 {
                    progress(read, total);
                }
            }
            progress(total, total);
            Ok(())
        };
        let two_cores =
            total >= BATCH * 4 && std::thread::available_parallelism().map_or(1, usize::from) >= 2;
        let builder = if two_cores {
            analyse_beside(&mut read_matches)?
        } else {
            let mut builder = SchemaBuilder::new();
            read_matches(&mut |doc| builder.add(&doc))?;
            builder
        };
        Ok(builder.finish(collection))
    }
}

/// Reads the matching records, handing each to the callback.
type ReadMatches<'a> = dyn FnMut(&mut dyn FnMut(Document)) -> Result<()> + 'a;

/// Runs `read_matches` here and the analysis on a second thread, batches
/// of records passing between them in order. Analysed batches come back
/// to be emptied here: records are freed by the thread that made them,
/// which the allocator does far faster than freeing another thread's.
fn analyse_beside(read_matches: &mut ReadMatches<'_>) -> Result<SchemaBuilder> {
    std::thread::scope(|scope| {
        let (send, receive) = mpsc::sync_channel::<Vec<Document>>(BATCHES_IN_FLIGHT);
        let (give_back, returned) = mpsc::channel::<Vec<Document>>();
        let analyser = scope.spawn(move || {
            let mut builder = SchemaBuilder::new();
            for batch in receive {
                for doc in &batch {
                    builder.add(doc);
                }
                // The reader may be gone (it failed): the batch drops here.
                let _ = give_back.send(batch);
            }
            builder
        });
        let mut batch = Vec::with_capacity(BATCH);
        let read = read_matches(&mut |doc| {
            batch.push(doc);
            if batch.len() == BATCH {
                let mut next = returned.try_recv().unwrap_or_default();
                next.clear();
                next.reserve(BATCH);
                let full = std::mem::replace(&mut batch, next);
                // The analyser only stops when this side hangs up.
                let _ = send.send(full);
            }
        });
        if read.is_ok() && !batch.is_empty() {
            let _ = send.send(batch);
        }
        drop(send);
        // A panic there is a bug: it goes on here, as if on one thread.
        let builder = analyser
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        drop(returned);
        read.map(|()| builder)
    })
}
