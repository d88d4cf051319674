//! The Chart tab's request: a chart's series over what a filter matches,
//! or over a pipeline's output; for a pipeline also the schema of its
//! output, since the tab's field lists come from a schema and the Schema
//! tab only analyses collections.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::database::Database;
use crate::engine::chart::{Chart, ChartBuilder, ChartSpec};
use crate::engine::schema::{Schema, SchemaBuilder};
use crate::error::{Error, Result};
use crate::interchange::CancelToken;

/// Output records between two looks at the cancel token and progress.
const CHECK_EVERY: usize = 4096;

/// What a chart is of.
#[derive(Clone, Debug, PartialEq)]
pub enum ChartSource {
    /// Every record of `collection` that `filter` matches.
    Filter { collection: String, filter: Value },
    /// The output of an aggregation pipeline run on `collection`.
    Pipeline { collection: String, pipeline: Value },
}

impl ChartSource {
    pub fn collection(&self) -> &str {
        match self {
            ChartSource::Filter { collection, .. } | ChartSource::Pipeline { collection, .. } => {
                collection
            }
        }
    }
}

/// The worker's answer to a chart request.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartAnswer {
    /// The series, when a chart was asked for.
    pub chart: Option<Chart>,
    /// A pipeline's output schema (the fields to chart).
    pub fields: Option<Box<Schema>>,
    pub elapsed: Duration,
}

/// Computes what `source` and `spec` ask for; `progress(read, total)`.
pub fn run(
    db: &dyn Database,
    source: &ChartSource,
    spec: Option<&ChartSpec>,
    cancel: &CancelToken,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ChartAnswer> {
    let started = Instant::now();
    match source {
        ChartSource::Filter { collection, filter } => {
            let chart = match spec {
                Some(spec) => Some(db.chart(collection, filter, spec, cancel, progress)?),
                None => None,
            };
            Ok(ChartAnswer {
                chart,
                fields: None,
                elapsed: started.elapsed(),
            })
        }
        ChartSource::Pipeline {
            collection,
            pipeline,
        } => {
            let docs = db.run_pipeline(collection, pipeline)?;
            let mut fields = SchemaBuilder::new();
            let mut builder = spec.map(ChartBuilder::new);
            for (read, doc) in docs.iter().enumerate() {
                if read % CHECK_EVERY == 0 {
                    if cancel.is_cancelled() {
                        return Err(Error::Cancelled);
                    }
                    progress(read, docs.len());
                }
                fields.add(doc);
                if let Some(builder) = builder.as_mut() {
                    builder.add(doc);
                }
            }
            progress(docs.len(), docs.len());
            Ok(ChartAnswer {
                chart: builder.map(ChartBuilder::finish),
                fields: Some(Box::new(fields.finish(collection))),
                elapsed: started.elapsed(),
            })
        }
    }
}
