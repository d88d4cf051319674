//! The editors' plain data: the cell editor, the record editor, the bulk
//! window and the aggregation tab (each form checks its own text and makes
//! its request), the question asked before leaving pending changes behind,
//! and how a grid row differs from disk.
//! [`EditState`](super::editing::EditState) holds them.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::folding::FoldedText;
use crate::Document;
use crate::engine::aggregate::PipelineExplain;
use crate::studio::edit::record_text::TextProblem;
use crate::studio::edit::value_type::ValueType;
use crate::studio::report::{ErrorReport, line_column};
use crate::studio::worker::edit::{BulkJob, BulkPreview, EditRequest};

/// The views of a collection.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Tab {
    #[default]
    Documents,
    Aggregation,
    /// Every field of what the filter matches (panels::schema).
    Schema,
    /// How the query and the last pipeline were answered (panels::explain).
    Explain,
    /// A chart of what the filter matches or of the pipeline's output.
    Chart,
}

/// An action held back until the pending changes are written or discarded.
#[derive(Clone, Debug, PartialEq)]
pub enum Guarded {
    SelectCollection(String),
    OpenFolder { path: PathBuf, create: bool },
    OpenSample(PathBuf),
    CloseFolder,
    Quit,
}

impl Guarded {
    /// What the question says the user is about to do.
    pub fn describe(&self) -> String {
        match self {
            Guarded::SelectCollection(name) => format!("switching to {name}"),
            Guarded::OpenFolder { path, .. } => format!("opening {}", path.display()),
            Guarded::OpenSample(_) => "opening the sample database".to_owned(),
            Guarded::CloseFolder => "closing the folder".to_owned(),
            Guarded::Quit => "closing the window".to_owned(),
        }
    }
}

/// The user's answer to "write the pending changes first?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardChoice {
    Write,
    Discard,
    Cancel,
}

/// How a grid row differs from the record as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowMark {
    Read,
    Changed,
    Deleted,
    New,
}

/// A grid cell being edited in place.
#[derive(Clone, Debug, PartialEq)]
pub struct CellEdit {
    pub row: usize,
    pub id: String,
    pub field: String,
    pub text: String,
    pub ty: ValueType,
    pub problem: Option<String>,
    /// The editor still has to take the keyboard focus.
    pub wants_focus: bool,
    /// A big value, shown folded (prefix and length) instead of in a text
    /// field: it is edited in the value viewer.
    pub folded: Option<String>,
}

/// The record editor's side panel.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordEditor {
    pub open: bool,
    /// The record shown (its `_id`).
    pub id: Option<String>,
    pub text: String,
    pub problem: Option<TextProblem>,
    /// The text has edits not yet saved (staged).
    pub dirty: bool,
    /// A big record, shown folded and read only (its values are edited in
    /// the value viewer); `text` is then empty.
    pub folded: Option<FoldedText>,
    /// What the editor was last loaded for, so an unchanged selection costs
    /// nothing per frame (no copy or comparison of a 16 MiB record).
    pub(super) synced: Option<SyncKey>,
}

/// The collection, page, selected row and pending changes an editor was
/// loaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncKey {
    pub collection: String,
    /// The page's request, and where its records are (a page replaced in
    /// place by a test or a live refresh has new ones).
    pub page: Option<(u64, usize, usize)>,
    pub row: Option<usize>,
    pub pending: u64,
}

/// The bulk update/delete window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BulkForm {
    pub delete: bool,
    pub collection: String,
    pub filter: Value,
    pub update_text: String,
    pub problem: Option<String>,
    pub preview: Option<BulkPreview>,
    /// Ticked to allow a change of every record (an empty filter).
    pub confirm_all: bool,
    pub running: bool,
}

impl BulkForm {
    pub fn filter_is_empty(&self) -> bool {
        self.filter.as_object().is_none_or(|f| f.is_empty())
    }

    /// The job the form describes, or None with the update's problem shown.
    fn job(&mut self) -> Option<BulkJob> {
        let update = if self.delete {
            None
        } else {
            match serde_json::from_str::<Value>(&self.update_text) {
                Ok(update @ Value::Object(_)) => Some(update),
                Ok(_) => {
                    self.problem = Some("the update must be a JSON object ({…})".to_owned());
                    return None;
                }
                Err(e) => {
                    self.problem = Some(format!(
                        "update {}:{}: {}",
                        e.line(),
                        e.column(),
                        e.to_string().split(" at line ").next().unwrap_or_default()
                    ));
                    return None;
                }
            }
        };
        self.problem = None;
        Some(BulkJob {
            collection: self.collection.clone(),
            filter: self.filter.clone(),
            update,
        })
    }

    /// The request for the match count and the first records before and after.
    pub fn preview_request(&mut self) -> Option<EditRequest> {
        let job = self.job()?;
        self.preview = None;
        self.running = true;
        Some(EditRequest::BulkPreview(job))
    }

    /// The previewed bulk change; an empty filter needs the tick.
    pub fn apply_request(&mut self) -> Option<EditRequest> {
        let job = self.preview.as_ref()?.job.clone();
        if self.filter_is_empty() && !self.confirm_all {
            return None;
        }
        self.running = true;
        Some(EditRequest::BulkApply(job))
    }
}

/// The aggregation tab.
#[derive(Clone, Debug, PartialEq)]
pub struct AggregateForm {
    pub pipeline: String,
    pub problem: Option<TextProblem>,
    pub result: Option<AggregateResult>,
    pub error: Option<ErrorReport>,
    pub running: bool,
    /// The collection of the run in progress.
    pub running_on: Option<String>,
}

impl Default for AggregateForm {
    fn default() -> Self {
        AggregateForm {
            pipeline: "[\n  {\"$match\": {}},\n  {\"$limit\": 50}\n]".to_owned(),
            problem: None,
            result: None,
            error: None,
            running: false,
            running_on: None,
        }
    }
}

impl AggregateForm {
    /// Re-checks the pipeline as the user types.
    pub fn validate(&mut self) {
        self.problem = parse_pipeline(&self.pipeline).err();
    }

    /// The request that runs the pipeline on `collection`, or None with the
    /// pipeline's problem shown.
    pub fn run_request(&mut self, collection: Option<&str>) -> Option<EditRequest> {
        let pipeline = match parse_pipeline(&self.pipeline) {
            Ok(pipeline) => pipeline,
            Err(problem) => {
                self.problem = Some(problem);
                return None;
            }
        };
        let collection = collection?.to_owned();
        self.problem = None;
        self.error = None;
        self.running = true;
        self.running_on = Some(collection.clone());
        Some(EditRequest::Aggregate {
            collection,
            pipeline,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct AggregateResult {
    /// The collection the pipeline ran on.
    pub collection: String,
    pub docs: Vec<Document>,
    pub columns: Vec<String>,
    pub elapsed: Duration,
    /// How it was answered (the Explain tab shows it).
    pub explain: Option<Box<PipelineExplain>>,
}

/// The `_id` of a record as text (FluxDB ids are strings).
pub fn record_id(doc: &Document) -> Option<&str> {
    doc.get("_id").and_then(Value::as_str)
}

/// The pipeline editor's text: a JSON array of stages.
pub fn parse_pipeline(text: &str) -> Result<Value, TextProblem> {
    match serde_json::from_str::<Value>(text) {
        Ok(pipeline @ Value::Array(_)) => Ok(pipeline),
        Ok(_) => {
            let start = text.len() - text.trim_start().len();
            let (line, column) = line_column(text, start);
            Err(TextProblem {
                line,
                column,
                message: "a pipeline is a JSON array of stages ([{…}, …])".to_owned(),
            })
        }
        Err(e) => Err(TextProblem {
            line: e.line().max(1),
            column: e.column().max(1),
            message: e
                .to_string()
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_owned(),
        }),
    }
}
