//! The state's side of the Chart tab ([`ChartTab`]): which records it
//! charts, asking the worker for the series whenever they or the picks
//! change, taking the answers, running the filter a clicked bar asks for,
//! and the export form.

use std::path::Path;

use serde_json::json;

use super::chart_data::{chart_csv, csv_rows, pick_filter};
use super::chart_tab::{ChartExport, ChartFields, ChartFrom, ChartKey, ChartStatus};
use super::edit_forms::{Tab, parse_pipeline};
use super::model::State;
use super::schema_tab::{SchemaKey, narrowed};
use crate::engine::chart::{ChartSpec, Series};
use crate::interchange::CancelToken;
use crate::studio::format::one_line_json;
use crate::studio::worker::chart::{ChartAnswer, ChartSource};
use crate::studio::worker::jobs::CancelHandle;
use crate::studio::worker::{RequestId, RequestKind, Slot};

impl State {
    /// The records the chart reads now, or why there are none.
    pub fn chart_source(&self) -> Result<ChartSource, String> {
        let view = self
            .current
            .as_ref()
            .ok_or("Choose a collection to chart its records.")?;
        let collection = view.name.clone();
        match self.chart.form.from {
            ChartFrom::Filter => Ok(ChartSource::Filter {
                collection,
                filter: view
                    .applied
                    .as_ref()
                    .map_or_else(|| json!({}), |q| q.filter.clone()),
            }),
            ChartFrom::Pipeline => match parse_pipeline(&self.edit.aggregate.pipeline) {
                Ok(pipeline) => Ok(ChartSource::Pipeline {
                    collection,
                    pipeline,
                }),
                Err(problem) => Err(format!(
                    "The Aggregation tab's pipeline has a problem: {problem}"
                )),
            },
        }
    }

    /// Asks for the series the tab needs, unless it has it, is making it,
    /// or the user cancelled or saw it fail (then a button asks again).
    /// The filter's fields come from the Schema tab's analysis, started
    /// here if needed.
    pub fn ensure_chart(&mut self) {
        let Ok(source) = self.chart_source() else {
            return;
        };
        if matches!(source, ChartSource::Filter { .. }) {
            self.ensure_schema();
        }
        self.refresh_chart_fields(&source);
        let spec = self.chart.form.spec().ok();
        // A filter's chart waits for its fields (the picks fit to them);
        // a pipeline's fields come with its first answer.
        let fields_known = self.chart.fields_of.as_ref() == Some(&source);
        match (&source, &spec) {
            (ChartSource::Filter { .. }, _) if !fields_known => return,
            (_, None) if fields_known => return,
            _ => {}
        }
        let key = ChartKey { source, spec };
        if self.chart.key.as_ref() != Some(&key) {
            self.request_chart(key);
        }
    }

    /// Computes the chart again (after a write, a cancel or a failure).
    pub fn chart_again(&mut self) {
        if let Some(key) = self.chart.key.clone() {
            self.request_chart(key);
        }
    }

    fn request_chart(&mut self, key: ChartKey) {
        if let ChartStatus::Running { cancel, .. } = &self.chart.status {
            cancel.0.cancel();
        }
        let cancel = CancelToken::new();
        let id = self.send(RequestKind::Chart {
            source: key.source.clone(),
            spec: key.spec.clone(),
            cancel: CancelHandle(cancel.clone()),
        });
        self.chart.key = Some(key);
        self.chart.outdated = false;
        self.chart.status = ChartStatus::Running {
            id,
            read: 0,
            total: 0,
            cancel: CancelHandle(cancel),
        };
    }

    /// Takes the fields of `source`'s schema, when it is known and new.
    fn refresh_chart_fields(&mut self, source: &ChartSource) {
        if self.chart.fields_of.as_ref() == Some(source) {
            return;
        }
        let schema = match source {
            ChartSource::Filter { collection, filter } => {
                let key = SchemaKey {
                    collection: collection.clone(),
                    filter: filter.clone(),
                };
                self.schema
                    .schema()
                    .filter(|_| self.schema.key.as_ref() == Some(&key))
            }
            ChartSource::Pipeline { .. } => self
                .chart
                .pipeline_fields
                .as_ref()
                .filter(|(of, _)| of == source)
                .map(|(_, schema)| schema.as_ref()),
        };
        if let Some(schema) = schema {
            let mut fields = ChartFields::of(schema);
            fields.id_is_key = matches!(source, ChartSource::Pipeline { .. });
            self.chart.form.fit_to(&fields);
            self.chart.fields = fields;
            self.chart.fields_of = Some(source.clone());
        }
    }

    /// A picker changed: fills what the new chart type still lacks.
    pub fn chart_form_changed(&mut self) {
        let fields = std::mem::take(&mut self.chart.fields);
        self.chart.form.fit_to(&fields);
        self.chart.fields = fields;
    }

    pub fn cancel_chart(&mut self) {
        if let ChartStatus::Running { cancel, .. } = &self.chart.status {
            cancel.0.cancel();
            self.chart.status = ChartStatus::Cancelled;
        }
    }

    /// A click on bar (or bin) `index`: the Documents tab shows its
    /// records, the applied filter narrowed to them. Only a chart of the
    /// filter's records can: a pipeline's output is not records.
    pub fn show_chart_pick(&mut self, index: usize) {
        let Some(ChartKey {
            source: ChartSource::Filter { filter, .. },
            ..
        }) = self.chart.key.clone()
        else {
            return;
        };
        let Some(pick) = self.chart.chart().and_then(|c| pick_filter(c, index)) else {
            return;
        };
        self.query.filter = one_line_json(&narrowed(&filter, pick));
        self.edit.tab = Tab::Documents;
        self.run_query();
    }

    pub(super) fn on_chart_progress(&mut self, id: RequestId, read: usize, of: usize) {
        if let ChartStatus::Running {
            id: running,
            read: done,
            total,
            ..
        } = &mut self.chart.status
            && *running == id
        {
            *done = read;
            *total = of;
        }
    }

    pub(super) fn on_chart(&mut self, id: RequestId, answer: ChartAnswer) {
        if !self.is_latest(&Slot::Chart, id)
            || !matches!(self.chart.status, ChartStatus::Running { id: running, .. } if running == id)
        {
            return;
        }
        if let (Some(fields), Some(key)) = (answer.fields, self.chart.key.as_ref()) {
            self.chart.pipeline_fields = Some((key.source.clone(), fields));
        }
        self.chart.status = ChartStatus::Done {
            chart: answer.chart.map(Box::new),
            elapsed: answer.elapsed,
        };
    }

    pub(super) fn on_chart_failed(&mut self, id: RequestId, why: &str) {
        if matches!(self.chart.status, ChartStatus::Running { id: running, .. } if running == id) {
            self.chart.status = ChartStatus::Failed(why.to_owned());
        }
    }

    /// The collection on screen was written: its chart is outdated.
    pub(super) fn chart_outdated(&mut self) {
        let shown = self.current.as_ref().map(|view| view.name.as_str());
        if self.chart.key.as_ref().map(|k| k.source.collection()) == shown {
            self.chart.outdated = true;
        }
    }

    /// Opens the export form, suggesting a file beside the database folder.
    pub fn open_chart_export(&mut self) {
        let Some(chart) = self.chart.chart() else {
            return;
        };
        let name = match &chart.spec {
            ChartSpec::Bar { category, .. } => format!("bars-{category}"),
            ChartSpec::Histogram { field } => format!("histogram-{field}"),
            ChartSpec::Scatter { x, y } => format!("scatter-{x}-{y}"),
            ChartSpec::Line { x, .. } => format!("line-{x}"),
        };
        let collection = self.current.as_ref().map_or("chart", |v| v.name.as_str());
        let file = format!("{collection}-{}.csv", name.replace(['[', ']', '/'], ""));
        let path = self
            .folder
            .as_ref()
            .and_then(|f| f.path.parent().map(Path::to_path_buf))
            .map(|parent| parent.join(&file).display().to_string())
            .unwrap_or(file);
        self.chart.export = Some(ChartExport {
            path,
            ..ChartExport::default()
        });
    }

    /// The CSV to write and its row count, or why there is none.
    pub fn chart_export_text(&self) -> Result<(String, usize), String> {
        let chart = self.chart.chart().ok_or("No chart is shown")?;
        Ok((chart_csv(chart)?, csv_rows(chart)))
    }

    /// Whether a bar or bin of the chart on screen can be clicked.
    pub fn chart_is_clickable(&self) -> bool {
        let of_filter = matches!(
            self.chart.key.as_ref().map(|k| &k.source),
            Some(ChartSource::Filter { .. })
        );
        of_filter
            && matches!(
                self.chart.chart().map(|c| &c.series),
                Some(Series::Bars(_) | Series::Histogram(_))
            )
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::{Value, json};

    use super::super::chart_tab::{ChartKind, MeasureKind};
    use super::super::test_support::{doc, find, opened, requests};
    use super::*;
    use crate::engine::chart::{BarOrder, ChartBuilder, DEFAULT_BARS, Measure};
    use crate::engine::schema::SchemaBuilder;
    use crate::studio::worker::{Event, EventKind, Request};

    fn records() -> Vec<Value> {
        vec![
            json!({"_id": "a", "city": "Oslo", "age": 31}),
            json!({"_id": "b", "city": "Lima", "age": 40}),
            json!({"_id": "c", "city": "Oslo", "age": 22}),
        ]
    }

    /// The Schema tab's analysis of `people` answered with `records()`.
    fn schema_answered(state: &mut State) {
        state.ensure_chart();
        let sent = requests(state);
        let schema = find(&sent, Slot::Schema).expect("the fields are analysed first");
        assert!(
            find(&sent, Slot::Chart).is_none(),
            "no chart before its fields"
        );
        let mut builder = SchemaBuilder::new();
        for record in records() {
            builder.add(&doc(record));
        }
        state.apply(Event {
            id: schema.id,
            kind: EventKind::Schema {
                schema: Box::new(builder.finish("people")),
                elapsed: Duration::from_millis(1),
            },
        });
    }

    fn chart_request(state: &mut State) -> Request {
        state.ensure_chart();
        find(&requests(state), Slot::Chart).expect("a chart request")
    }

    fn answer(request: &Request) -> Event {
        let RequestKind::Chart { spec, .. } = &request.kind else {
            panic!("not a chart request: {request:?}");
        };
        let chart = spec.as_ref().map(|spec| {
            let mut builder = ChartBuilder::new(spec);
            for record in records() {
                builder.add(&doc(record));
            }
            builder.finish()
        });
        Event {
            id: request.id,
            kind: EventKind::Chart(Box::new(ChartAnswer {
                chart,
                fields: None,
                elapsed: Duration::from_millis(1),
            })),
        }
    }

    #[test]
    fn the_fields_come_from_the_schema_then_the_chart_is_asked_once() {
        let (mut state, _, _) = opened();
        schema_answered(&mut state);
        let request = chart_request(&mut state);
        let RequestKind::Chart { source, spec, .. } = &request.kind else {
            unreachable!()
        };
        assert_eq!(
            *source,
            ChartSource::Filter {
                collection: "people".into(),
                filter: json!({})
            }
        );
        assert_eq!(
            *spec,
            Some(ChartSpec::Bar {
                category: "city".into(),
                measure: Measure::Count,
                top: DEFAULT_BARS,
                order: BarOrder::Value
            })
        );
        state.apply(Event {
            id: request.id,
            kind: EventKind::ChartProgress { read: 1, total: 4 },
        });
        assert_eq!(state.chart.progress(), Some(0.25));
        state.apply(answer(&request));
        assert_eq!(state.chart.chart().map(|c| c.records), Some(3));
        state.ensure_chart();
        assert!(find(&requests(&mut state), Slot::Chart).is_none());

        // Another pick is another chart; a write outdates it only.
        state.chart.form.kind = ChartKind::Histogram;
        state.chart_form_changed();
        let histogram = chart_request(&mut state);
        assert!(matches!(
            &histogram.kind,
            RequestKind::Chart { spec: Some(ChartSpec::Histogram { field }), .. } if field == "age"
        ));
        state.apply(answer(&histogram));
        state.schema_outdated();
        assert!(state.chart.outdated);
        state.ensure_chart();
        assert!(find(&requests(&mut state), Slot::Chart).is_none());
        state.chart_again();
        assert!(find(&requests(&mut state), Slot::Chart).is_some());
        assert!(!state.chart.outdated);
    }

    #[test]
    fn cancel_fires_the_token_and_a_late_answer_is_dropped() {
        let (mut state, _, _) = opened();
        schema_answered(&mut state);
        let request = chart_request(&mut state);
        let RequestKind::Chart { cancel, .. } = &request.kind else {
            unreachable!()
        };
        state.cancel_chart();
        assert!(cancel.0.is_cancelled());
        state.apply(answer(&request));
        assert_eq!(state.chart.status, ChartStatus::Cancelled);
        state.ensure_chart();
        assert!(find(&requests(&mut state), Slot::Chart).is_none());
        // A failure is shown in the tab, not the status line.
        state.chart_again();
        let again = find(&requests(&mut state), Slot::Chart).unwrap();
        state.apply(Event {
            id: again.id,
            kind: EventKind::Failed {
                what: "charting people".into(),
                why: "the file is damaged".into(),
            },
        });
        assert_eq!(
            state.chart.status,
            ChartStatus::Failed("the file is damaged".into())
        );
        assert!(state.status.last_error.is_none());
    }

    #[test]
    fn a_clicked_bar_narrows_the_filter_in_the_documents_tab() {
        let (mut state, _, _) = opened();
        state.query.filter = r#"{"age": {"$gt": 20}}"#.into();
        state.run_query();
        state.edit.tab = Tab::Chart;
        schema_answered(&mut state);
        let request = chart_request(&mut state);
        state.apply(answer(&request));
        assert!(state.chart_is_clickable());
        // Bar 0 is the largest: Oslo, two records.
        state.show_chart_pick(0);
        assert_eq!(state.edit.tab, Tab::Documents);
        let applied = state.current.as_ref().and_then(|v| v.applied.as_ref());
        assert_eq!(
            applied.map(|q| q.filter.clone()),
            Some(json!({"age": {"$gt": 20}, "city": "Oslo"}))
        );
    }

    #[test]
    fn a_pipeline_is_run_for_its_fields_then_charted() {
        let (mut state, _, _) = opened();
        state.chart.form.from = ChartFrom::Pipeline;
        state.chart.form.kind = ChartKind::Bar;
        state.chart.form.measure = MeasureKind::Sum;
        state.edit.aggregate.pipeline =
            r#"[{"$group": {"_id": "$city", "n": {"$sum": 1}}}]"#.into();
        let first = chart_request(&mut state);
        let RequestKind::Chart { source, spec, .. } = &first.kind else {
            unreachable!()
        };
        assert!(matches!(source, ChartSource::Pipeline { .. }));
        assert_eq!(*spec, None, "nothing to pick before the output's fields");
        let mut fields = SchemaBuilder::new();
        fields.add(&doc(json!({"_id": "Oslo", "n": 2})));
        state.apply(Event {
            id: first.id,
            kind: EventKind::Chart(Box::new(ChartAnswer {
                chart: None,
                fields: Some(Box::new(fields.finish("people"))),
                elapsed: Duration::from_millis(1),
            })),
        });
        let second = chart_request(&mut state);
        let RequestKind::Chart { spec, .. } = &second.kind else {
            unreachable!()
        };
        assert_eq!(
            *spec,
            Some(ChartSpec::Bar {
                category: "_id".into(),
                measure: Measure::Sum("n".into()),
                top: DEFAULT_BARS,
                order: BarOrder::Value
            })
        );
        state.apply(answer(&second));
        // The output is not records: no bar runs a filter.
        assert!(!state.chart_is_clickable());
        // A pipeline with a problem says so instead.
        state.edit.aggregate.pipeline = "[{".into();
        assert!(state.chart_source().unwrap_err().contains("pipeline"));
    }
}
