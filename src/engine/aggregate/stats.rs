//! What each stage of a pipeline did, for explain: records in and out and
//! the time spent in the stage itself (not in the stages after it).
//!
//! Stages push records on to the next one inside their own call, so a
//! stage's own time is its calls' time less the time of the calls it made
//! to the next stage; [`Meter`] keeps that account.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::engine::find::IndexLookup;

/// One stage's account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StageStats {
    /// `$match`, `$group`, …
    pub stage: String,
    /// The stage as written.
    pub spec: Value,
    /// Records that reached the stage.
    pub input: u64,
    /// Records it passed on (for the last stage: the result).
    pub output: u64,
    /// Time in the stage itself, not counting the stages after it.
    #[serde(
        rename = "time_ms",
        serialize_with = "crate::engine::timing::as_millis"
    )]
    pub time: Duration,
}

/// The running account of every stage.
pub(super) struct Meter {
    inputs: Vec<u64>,
    own: Vec<Duration>,
    /// Time of the calls made to later stages inside the current call.
    nested: Duration,
}

/// A measured call in progress (from [`Meter::enter`]).
pub(super) struct Entered {
    started: Instant,
    outer_nested: Duration,
}

impl Meter {
    pub fn new(stages: usize) -> Meter {
        Meter {
            inputs: vec![0; stages],
            own: vec![Duration::ZERO; stages],
            nested: Duration::ZERO,
        }
    }

    /// A record reaches stage `index`.
    pub fn count_input(&mut self, index: usize) {
        if let Some(n) = self.inputs.get_mut(index) {
            *n += 1;
        }
    }

    /// Starts timing a call of a stage.
    pub fn enter(&mut self) -> Entered {
        Entered {
            started: Instant::now(),
            outer_nested: std::mem::take(&mut self.nested),
        }
    }

    /// Ends the call of stage `index` begun by `entered`.
    pub fn leave(&mut self, index: usize, entered: Entered) {
        let spent = entered.started.elapsed();
        if let Some(own) = self.own.get_mut(index) {
            *own += spent.saturating_sub(self.nested);
        }
        self.nested = entered.outer_nested + spent;
    }

    /// The account, given each stage's name and text and the result's size.
    pub fn finish(self, labels: &[(String, Value)], returned: u64) -> Vec<StageStats> {
        let outputs = self
            .inputs
            .iter()
            .skip(1)
            .copied()
            .chain(std::iter::once(returned));
        labels
            .iter()
            .zip(self.inputs.iter().zip(outputs))
            .zip(self.own)
            .map(|(((stage, spec), (&input, output)), time)| StageStats {
                stage: stage.clone(),
                spec: spec.clone(),
                input,
                output,
                time,
            })
            .collect()
    }
}

/// How a pipeline was answered: how its records were read, then each
/// stage's account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineExplain {
    /// The index a leading `$match` was answered with (`None`: every
    /// record was read).
    pub index: Option<String>,
    /// That `$match`'s constraints looked up in indexes.
    pub lookups: Vec<IndexLookup>,
    /// Records read from the collection.
    pub read: u64,
    /// Records in the collection.
    pub total: usize,
    pub stages: Vec<StageStats>,
    pub returned: usize,
    /// Reading the records, outside the stages.
    #[serde(
        rename = "read_time_ms",
        serialize_with = "crate::engine::timing::as_millis"
    )]
    pub read_time: Duration,
    #[serde(
        rename = "time_ms",
        serialize_with = "crate::engine::timing::as_millis"
    )]
    pub time: Duration,
}
