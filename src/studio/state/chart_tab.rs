//! The Chart tab's plain data: what to chart (the records the filter
//! matches, or the Aggregation tab's output), the chart type and fields
//! picked, the series the worker computed, and the export form.
//!
//! `chart_actions` has the state's side: asking the worker for the series
//! and taking its answers; `chart_data` turns a chart into CSV and a
//! clicked bar into a filter.
//!
//! The fields offered come from a schema: the Schema tab's analysis of the
//! applied filter, or for a pipeline the schema of its output, which the
//! worker makes with the series. Numeric fields (those holding `int` or
//! `double` values) are offered for measures, histograms and scatter
//! plots; fields whose strings are ISO dates also sort, for lines.

use std::time::Duration;

use crate::engine::chart::dates::parse_iso_date;
use crate::engine::chart::{BarOrder, Chart, ChartSpec, DEFAULT_BARS, Measure};
use crate::engine::schema::{FieldSchema, Schema};
use crate::studio::format::read_share;
use crate::studio::worker::RequestId;
use crate::studio::worker::chart::ChartSource;
use crate::studio::worker::jobs::CancelHandle;

/// The chart types, in the picker's order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChartKind {
    #[default]
    Bar,
    Histogram,
    Scatter,
    Line,
}

impl ChartKind {
    pub const ALL: [ChartKind; 4] = [
        ChartKind::Bar,
        ChartKind::Histogram,
        ChartKind::Scatter,
        ChartKind::Line,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ChartKind::Bar => "Bars",
            ChartKind::Histogram => "Histogram",
            ChartKind::Scatter => "Scatter",
            ChartKind::Line => "Line",
        }
    }
}

/// What bars and lines measure.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MeasureKind {
    #[default]
    Count,
    Sum,
    Average,
}

impl MeasureKind {
    pub const ALL: [MeasureKind; 3] = [MeasureKind::Count, MeasureKind::Sum, MeasureKind::Average];

    pub fn label(self) -> &'static str {
        match self {
            MeasureKind::Count => "Count of records",
            MeasureKind::Sum => "Sum of",
            MeasureKind::Average => "Average of",
        }
    }
}

/// Which records the chart reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChartFrom {
    /// Every record the query bar's filter matches.
    #[default]
    Filter,
    /// The Aggregation tab's pipeline output.
    Pipeline,
}

/// The pickers' choices.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartForm {
    pub from: ChartFrom,
    pub kind: ChartKind,
    /// Bars: the field whose values are the bars.
    pub category: Option<String>,
    pub measure: MeasureKind,
    /// Sum and average: the numeric field measured.
    pub measured: Option<String>,
    /// Histogram, scatter (x) and line (x).
    pub x: Option<String>,
    /// Scatter: the vertical field.
    pub y: Option<String>,
    /// Bars before "other".
    pub top: usize,
    pub order: BarOrder,
}

impl Default for ChartForm {
    fn default() -> Self {
        ChartForm {
            from: ChartFrom::Filter,
            kind: ChartKind::Bar,
            category: None,
            measure: MeasureKind::Count,
            measured: None,
            x: None,
            y: None,
            top: DEFAULT_BARS,
            order: BarOrder::Value,
        }
    }
}

/// The fields a schema offers each picker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartFields {
    /// Fields holding scalar values (bars' categories).
    pub categories: Vec<String>,
    /// Fields holding numbers.
    pub numeric: Vec<String>,
    /// Numbers and ISO dates (a line's x).
    pub sortable: Vec<String>,
    /// `_id` is a group's key (a pipeline's `$group` output), the likely
    /// bars; in a collection it is one per record, an unlikely one.
    pub id_is_key: bool,
    /// The text field in most records with the fewest distinct values (at
    /// least two): the likely bars, where a name or an id would give one
    /// bar per record and a rare field mostly "(missing)".
    pub likely_category: Option<String>,
}

fn type_count(field: &FieldSchema, name: &str) -> u64 {
    field.types.get(name).and_then(|n| n.as_u64()).unwrap_or(0)
}

impl ChartFields {
    pub fn of(schema: &Schema) -> ChartFields {
        let mut fields = ChartFields::default();
        // Plain fields before array elements, then the fewest values.
        let mut fewest = (true, usize::MAX);
        for field in &schema.fields {
            let numbers = type_count(field, "int") + type_count(field, "double");
            let strings = type_count(field, "string");
            let nested = type_count(field, "object") + type_count(field, "array");
            let all: u64 = field.types.values().filter_map(|n| n.as_u64()).sum();
            let path = field.path.clone();
            if numbers > 0 {
                fields.numeric.push(path.clone());
                fields.sortable.push(path.clone());
            } else if strings > 0 && is_date_range(field) {
                fields.sortable.push(path.clone());
            }
            let distinct = field.distinct.unwrap_or(usize::MAX);
            // In most records: a sparse field is mostly "(missing)".
            let common = field.count * 2 >= schema.records;
            let rank = (path.contains("[]"), distinct);
            if numbers == 0
                && strings > 0
                && common
                && distinct >= 2
                && rank < fewest
                && path != "_id"
            {
                fewest = rank;
                fields.likely_category = Some(path.clone());
            }
            if all > nested {
                fields.categories.push(path);
            }
        }
        fields
    }
}

/// The field's smallest and largest strings are both ISO dates.
fn is_date_range(field: &FieldSchema) -> bool {
    let date = |value: Option<&serde_json::Value>| {
        value
            .and_then(|v| v.as_str())
            .is_some_and(|s| parse_iso_date(s).is_some())
    };
    date(field.min.as_ref()) && date(field.max.as_ref())
}

impl ChartForm {
    /// The chart the pickers describe, or what is still to pick.
    pub fn spec(&self) -> Result<ChartSpec, &'static str> {
        let measure = || match self.measure {
            MeasureKind::Count => Ok(Measure::Count),
            MeasureKind::Sum => self
                .measured
                .clone()
                .map(Measure::Sum)
                .ok_or("Pick the numeric field to sum"),
            MeasureKind::Average => self
                .measured
                .clone()
                .map(Measure::Average)
                .ok_or("Pick the numeric field to average"),
        };
        match self.kind {
            ChartKind::Bar => Ok(ChartSpec::Bar {
                category: self.category.clone().ok_or("Pick the field for the bars")?,
                measure: measure()?,
                top: self.top,
                order: self.order,
            }),
            ChartKind::Histogram => Ok(ChartSpec::Histogram {
                field: self.x.clone().ok_or("Pick a numeric field")?,
            }),
            ChartKind::Scatter => Ok(ChartSpec::Scatter {
                x: self.x.clone().ok_or("Pick the numeric field across")?,
                y: self.y.clone().ok_or("Pick the numeric field up")?,
            }),
            ChartKind::Line => Ok(ChartSpec::Line {
                x: self.x.clone().ok_or("Pick the field that sorts (x)")?,
                measure: measure()?,
            }),
        }
    }

    /// Another chart type: its axes are other questions (a scatter's
    /// "across" is not a line's "along"), so they are picked afresh.
    pub fn kind_changed(&mut self) {
        self.x = None;
        self.y = None;
    }

    /// Keeps the picks the fields still offer and fills the empty ones
    /// with a likely choice, so a chart shows as soon as fields are known.
    pub fn fit_to(&mut self, fields: &ChartFields) {
        let keep = |pick: &mut Option<String>, offered: &[String]| {
            if pick.as_ref().is_some_and(|p| !offered.contains(p)) {
                *pick = None;
            }
        };
        keep(&mut self.category, &fields.categories);
        keep(&mut self.measured, &fields.numeric);
        let x_offered = match self.kind {
            ChartKind::Line => &fields.sortable,
            _ => &fields.numeric,
        };
        keep(&mut self.x, x_offered);
        keep(&mut self.y, &fields.numeric);
        let not_id = |f: &&String| f.as_str() != "_id";
        let id = fields.categories.iter().find(|f| f.as_str() == "_id");
        if self.category.is_none() && fields.id_is_key {
            self.category = id.cloned();
        }
        if self.category.is_none() {
            self.category = fields.likely_category.clone();
        }
        if self.category.is_none() {
            // A text field first (numbers usually have too many values).
            self.category = fields
                .categories
                .iter()
                .filter(not_id)
                .find(|f| !fields.numeric.contains(f))
                .or_else(|| fields.categories.iter().find(not_id))
                .cloned();
        }
        if self.measured.is_none() {
            self.measured = fields.numeric.iter().find(not_id).cloned();
        }
        if self.x.is_none() {
            self.x = match self.kind {
                // Dates first: a line over time is the usual one.
                ChartKind::Line => fields
                    .sortable
                    .iter()
                    .find(|f| !fields.numeric.contains(f))
                    .or_else(|| fields.sortable.iter().find(not_id))
                    .cloned(),
                _ => fields.numeric.iter().find(not_id).cloned(),
            };
        }
        if self.y.is_none() {
            self.y = fields
                .numeric
                .iter()
                .filter(not_id)
                .find(|f| Some(*f) != self.x.as_ref())
                .cloned();
        }
    }
}

/// What a chart is of: its records and its spec (`None`: a pipeline's
/// fields only, before anything can be picked).
#[derive(Clone, Debug, PartialEq)]
pub struct ChartKey {
    pub source: ChartSource,
    pub spec: Option<ChartSpec>,
}

/// Where the series stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ChartStatus {
    #[default]
    Idle,
    Running {
        id: RequestId,
        read: usize,
        total: usize,
        cancel: CancelHandle,
    },
    Done {
        chart: Option<Box<Chart>>,
        elapsed: Duration,
    },
    Cancelled,
    Failed(String),
}

/// The "Export chart data" form: where to, and how it went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartExport {
    pub path: String,
    /// Set while the file is being written.
    pub writing: bool,
    /// "Wrote 12 rows to …", or why it failed.
    pub outcome: Option<Result<String, String>>,
}

/// The Chart tab.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartTab {
    pub form: ChartForm,
    /// What `status` is about.
    pub key: Option<ChartKey>,
    pub status: ChartStatus,
    /// The collection was written since the series was made.
    pub outdated: bool,
    /// The fields offered, and the records they are of (refreshed when
    /// those change, not every frame: a schema may list 10,000 paths).
    pub fields: ChartFields,
    pub fields_of: Option<ChartSource>,
    /// The last pipeline output's schema, with the source it is of.
    pub pipeline_fields: Option<(ChartSource, Box<Schema>)>,
    pub export: Option<ChartExport>,
}

impl ChartTab {
    pub fn is_running(&self) -> bool {
        matches!(self.status, ChartStatus::Running { .. })
    }

    pub fn chart(&self) -> Option<&Chart> {
        match &self.status {
            ChartStatus::Done { chart, .. } => chart.as_deref(),
            _ => None,
        }
    }

    /// The share of the records read, while running.
    pub fn progress(&self) -> Option<f32> {
        match self.status {
            ChartStatus::Running { read, total, .. } => Some(read_share(read, total)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::engine::schema::SchemaBuilder;
    use crate::engine::test_doc;

    fn fields() -> ChartFields {
        let mut builder = SchemaBuilder::new();
        for doc in [
            json!({"_id": "a", "city": "Oslo", "age": 31, "day": "2026-01-02", "tags": ["x"], "geo": {"lat": 1.5}}),
            json!({"_id": "b", "city": "Lima", "age": "40", "day": "2026-03-02", "tags": [], "geo": {"lat": 2}}),
        ] {
            builder.add(&test_doc(doc));
        }
        ChartFields::of(&builder.finish("c"))
    }

    #[test]
    fn numbers_and_dates_are_offered_where_they_fit() {
        let fields = fields();
        assert_eq!(fields.numeric, ["age", "geo.lat"]);
        assert_eq!(fields.sortable, ["age", "day", "geo.lat"]);
        assert_eq!(
            fields.categories,
            ["_id", "city", "age", "day", "tags[]", "geo.lat"]
        );
    }

    #[test]
    fn a_form_is_filled_with_likely_fields_and_says_what_is_missing() {
        let fields = fields();
        let mut form = ChartForm::default();
        assert_eq!(form.spec(), Err("Pick the field for the bars"));
        form.fit_to(&fields);
        assert_eq!(
            form.spec(),
            Ok(ChartSpec::Bar {
                category: "city".into(),
                measure: Measure::Count,
                top: DEFAULT_BARS,
                order: BarOrder::Value
            })
        );
        form.kind = ChartKind::Line;
        form.x = None;
        form.measure = MeasureKind::Average;
        form.fit_to(&fields);
        assert_eq!(
            form.spec(),
            Ok(ChartSpec::Line {
                x: "day".into(),
                measure: Measure::Average("age".into())
            })
        );
        // A pick the fields no longer offer is replaced.
        form.kind = ChartKind::Scatter;
        form.fit_to(&fields);
        assert_eq!(
            form.spec(),
            Ok(ChartSpec::Scatter {
                x: "age".into(),
                y: "geo.lat".into()
            })
        );
    }
}
