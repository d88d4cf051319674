//! Reading by query: find (as documents, JSON text, or streamed), count,
//! explain and aggregate, each optionally stopped by a cancel token.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::fluxdb::FluxDB;
use crate::engine::Document;
use crate::engine::aggregate::{Pipeline, PipelineExplain};
use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::find::{Documents, Explain, Find, JsonEach, JsonText, Plan, ResultForm};
use crate::engine::query::Filter;
use crate::error::Result;

impl FluxDB {
    /// Records matching the query, in insertion order unless sorted.
    /// Indexes are used where they help; the answer is a full scan's.
    pub fn find(&self, collection: &str, query: &Find) -> Result<Vec<Document>> {
        self.find_explained(collection, query).map(|(docs, _)| docs)
    }

    /// [`find`](Self::find), and how it was answered.
    pub fn find_explained(
        &self,
        collection: &str,
        query: &Find,
    ) -> Result<(Vec<Document>, Explain)> {
        self.find_with(collection, query, None)
    }

    /// [`find_explained`](Self::find_explained) that stops with
    /// [`Error::Cancelled`](crate::Error::Cancelled) soon after `cancel` is
    /// cancelled (it is checked every few thousand records), so a UI can
    /// drop a long scan.
    pub fn find_cancellable(
        &self,
        collection: &str,
        query: &Find,
        cancel: &CancelToken,
    ) -> Result<(Vec<Document>, Explain)> {
        self.find_with(collection, query, Some(cancel))
    }

    pub(super) fn find_with(
        &self,
        collection: &str,
        query: &Find,
        cancel: Option<&CancelToken>,
    ) -> Result<(Vec<Document>, Explain)> {
        self.run_find(collection, query, cancel, Documents)
    }

    /// Runs `query` on `collection`, each result in `form`.
    pub(super) fn run_find<F: ResultForm>(
        &self,
        collection: &str,
        query: &Find,
        cancel: Option<&CancelToken>,
        form: F,
    ) -> Result<(Vec<F::Item>, Explain)> {
        let c = self.store(collection)?;
        Plan::new(query, c.value_mode())?
            .cancellable(cancel.cloned())
            .execute(c, form)
    }

    /// [`find`](Self::find) with each record as its compact JSON text, the
    /// same bytes `serde_json::to_string` gives for the document `find`
    /// returns. The text is written straight from the stored encoding, so
    /// no document is built: for callers that pass records on as JSON
    /// (the CLI's JSON Lines, a web response).
    pub fn find_json(&self, collection: &str, query: &Find) -> Result<Vec<String>> {
        self.run_find(collection, query, None, JsonText)
            .map(|(texts, _)| texts)
    }

    /// [`find_json`](Self::find_json) handing each document's text to
    /// `each` as soon as it is written, in the answer's order, instead of
    /// collecting them: an answer of any size takes the memory of one
    /// record (a sorted one also keeps each match's sort values). An error
    /// from `each` stops the query and is returned.
    pub fn find_json_each(
        &self,
        collection: &str,
        query: &Find,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        self.find_json_each_with(collection, query, None, each)
    }

    /// [`find_json_each`](Self::find_json_each), stopped by `cancel`.
    pub(crate) fn find_json_each_with(
        &self,
        collection: &str,
        query: &Find,
        cancel: Option<&CancelToken>,
        each: &mut dyn FnMut(&str) -> Result<()>,
    ) -> Result<()> {
        let form = JsonEach {
            each,
            text: Vec::new(),
        };
        self.run_find(collection, query, cancel, form).map(drop)
    }

    /// How a query is answered: the index used and the records examined.
    pub fn explain(&self, collection: &str, query: &Find) -> Result<Explain> {
        self.find_explained(collection, query)
            .map(|(_, explain)| explain)
    }

    /// How many records match the filter.
    pub fn count(&self, collection: &str, filter: &Value) -> Result<usize> {
        self.count_with(collection, filter, None)
    }

    /// [`count`](Self::count) that stops with
    /// [`Error::Cancelled`](crate::Error::Cancelled) soon after `cancel` is
    /// cancelled.
    pub fn count_cancellable(
        &self,
        collection: &str,
        filter: &Value,
        cancel: &CancelToken,
    ) -> Result<usize> {
        self.count_with(collection, filter, Some(cancel))
    }

    pub(super) fn count_with(
        &self,
        collection: &str,
        filter: &Value,
        cancel: Option<&CancelToken>,
    ) -> Result<usize> {
        let c = self.store(collection)?;
        let parsed = Filter::parse(filter)?;
        if parsed.is_match_all() {
            return Ok(c.len());
        }
        let mut n = 0;
        Plan::from_filter(parsed, c.value_mode())
            .cancellable(cancel.cloned())
            .for_each_match(c, &[], &mut |_| n += 1)?;
        Ok(n)
    }

    /// Runs an aggregation pipeline (the seed's `aggregate`). A leading
    /// `$match` uses indexes like `find`.
    pub fn aggregate(&self, collection: &str, pipeline: &Value) -> Result<Vec<Document>> {
        self.aggregate_with(collection, pipeline, None)
    }

    /// [`aggregate`](Self::aggregate) that stops with
    /// [`Error::Cancelled`](crate::Error::Cancelled) soon after `cancel` is
    /// cancelled.
    pub fn aggregate_cancellable(
        &self,
        collection: &str,
        pipeline: &Value,
        cancel: &CancelToken,
    ) -> Result<Vec<Document>> {
        self.aggregate_with(collection, pipeline, Some(cancel))
    }

    pub(super) fn aggregate_with(
        &self,
        collection: &str,
        pipeline: &Value,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<Document>> {
        self.aggregate_run(collection, pipeline, cancel, false)
            .map(|(docs, _)| docs)
    }

    /// [`aggregate`](Self::aggregate), and how it was answered: the index
    /// a leading `$match` used, and each stage's records in and out and
    /// time (measuring costs two clock reads per record per stage).
    pub fn aggregate_explained(
        &self,
        collection: &str,
        pipeline: &Value,
        cancel: Option<&CancelToken>,
    ) -> Result<(Vec<Document>, PipelineExplain)> {
        self.aggregate_run(collection, pipeline, cancel, true)
    }

    fn aggregate_run(
        &self,
        collection: &str,
        pipeline: &Value,
        cancel: Option<&CancelToken>,
        measure: bool,
    ) -> Result<(Vec<Document>, PipelineExplain)> {
        let started = Instant::now();
        let pipeline = Pipeline::parse(pipeline)?;
        let c = self.store(collection)?;
        let mode = c.value_mode();
        let mut check = CancelCheck::new(cancel);
        let mut read = 0u64;
        let mut found = None;
        let (docs, mut stages) = match pipeline.leading_match() {
            Some(filter) if !filter.is_match_all() && !c.indexed_fields().is_empty() => {
                // Let the planner pick the records; the pipeline's own
                // $match then passes them all.
                let plan = Plan::from_filter(filter.clone(), mode).cancellable(cancel.cloned());
                let (docs, explain) = plan.execute(c, Documents)?;
                read = explain.examined as u64;
                found = Some(explain);
                pipeline.run_measured(docs.into_iter().map(Ok), mode, measure)?
            }
            _ => match pipeline.input_fields() {
                Some(fields) => pipeline.run_lent_measured(mode, measure, |push| {
                    c.visit_fields(&fields, &mut |_, doc| {
                        check.tick()?;
                        read += 1;
                        push(doc)
                    })
                })?,
                None => {
                    let input = c.scan().map(|item| {
                        read += 1;
                        check.tick().and(item)
                    });
                    pipeline.run_measured(input, mode, measure)?
                }
            },
        };
        let time = started.elapsed();
        let (index, lookups) = match found {
            Some(explain) => {
                // The planner tested the leading $match: its records in
                // are those read, its time the planner's.
                if let Some(first) = stages.first_mut() {
                    first.input = read;
                    first.time += explain.time;
                }
                (explain.index, explain.lookups)
            }
            None => (None, Vec::new()),
        };
        let in_stages: Duration = stages.iter().map(|s| s.time).sum();
        let explain = PipelineExplain {
            index,
            lookups,
            read,
            total: c.len(),
            returned: docs.len(),
            read_time: time.saturating_sub(in_stages),
            stages,
            time,
        };
        Ok((docs, explain))
    }
}
