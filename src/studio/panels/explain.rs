//! The Explain tab: how the engine answered the query on screen and the
//! last pipeline run, as small trees a person reads top to bottom: what
//! was read (an index's lookups, each with its records, or every record),
//! what the filter kept, how the result was ordered, what came back; for a
//! pipeline, each stage with its records in and out and its own time.
//!
//! On a server the query's tree is the server's plan: its index or scan,
//! its stages, and the counts and time it gave; a pipeline there says that
//! the server gives no per-stage counts.

use std::time::Duration;

use egui::{CollapsingHeader, Color32, RichText, Sense, Ui, vec2};
use serde_json::Value;

use crate::engine::SortMethod;
use crate::engine::aggregate::PipelineExplain;
use crate::studio::format::{format_count, format_duration, one_line_json};
use crate::studio::state::State;
use crate::studio::state::edit_forms::Tab;
use crate::studio::worker::{ExplainSummary, ServerExplain};

/// The longest a filter, sort or stage is shown on one line.
const SHOWN_CHARS: usize = 120;
/// Width of the bar that shows a stage's share of the time.
const TIME_BAR_WIDTH: f32 = 120.0;
const TIME_BAR: Color32 = Color32::from_rgb(70, 130, 190);

#[derive(Default)]
pub struct ExplainPanel;

impl ExplainPanel {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        egui::ScrollArea::vertical()
            .id_salt("explain")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.heading("Query");
                query_ui(ui, state);
                ui.add_space(12.0);
                ui.heading("Pipeline");
                pipeline_ui(ui, state);
            });
    }
}

/// The query bar's query, as the last page was answered.
fn query_ui(ui: &mut Ui, state: &State) {
    let Some(view) = state.current.as_ref() else {
        return;
    };
    let (Some(applied), Some(explain)) = (view.applied.as_ref(), state.status.explain.as_ref())
    else {
        ui.label(RichText::new("Run a query to see how it is answered.").weak());
        return;
    };
    let time = state
        .status
        .query_time
        .map(|t| format!(" in {}", format_duration(t)))
        .unwrap_or_default();
    let title = format!(
        "Find in {}: {} returned{time}",
        view.name,
        format_count(explain.returned)
    );
    CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("explain_find")
        .default_open(true)
        .show(ui, |ui| {
            match &explain.server {
                Some(server) => server_read_ui(ui, explain, server),
                None => read_ui(ui, explain),
            }
            let filtered = applied.filter.as_object().is_none_or(|f| !f.is_empty());
            if filtered {
                let examined = match &explain.server {
                    Some(server) if !server.counted => {
                        "the server does not say how many it examined".to_owned()
                    }
                    _ => format!("{} examined", format_count(explain.examined)),
                };
                line(
                    ui,
                    "Filter",
                    &format!("{}: {examined}", shown(&applied.filter)),
                );
            }
            if let Some(sort) = &applied.sort {
                line(
                    ui,
                    "Sort",
                    &format!("{}: {}", shown(sort), sort_text(explain)),
                );
            }
            let skip = view.page_index * state.page_size();
            if explain.returned > 0 {
                line(
                    ui,
                    "Page",
                    &format!(
                        "records {} to {} of the result",
                        format_count(skip + 1),
                        format_count(skip + explain.returned)
                    ),
                );
            }
            if let Some(projection) = &applied.projection {
                line(ui, "Projection", &shown(projection));
            }
            line(
                ui,
                "Returned",
                &format!("{} records", format_count(explain.returned)),
            );
            if let Some(time) = explain.server.as_ref().and_then(|s| s.time) {
                line(
                    ui,
                    "Server time",
                    &format!("{} (its own measure)", format_duration(time)),
                );
            }
        });
}

/// What a server read, by its plan: the index or a scan of the
/// collection, then the plan's stages top first.
fn server_read_ui(ui: &mut Ui, explain: &ExplainSummary, server: &ServerExplain) {
    let how = match &explain.index {
        Some(index) => format!("the index on {index}"),
        None => "every document (a collection scan)".to_owned(),
    };
    line(
        ui,
        "Read",
        &format!(
            "{how}, of {} in the collection (the server's plan)",
            format_count(explain.total)
        ),
    );
    if server.stages.is_empty() {
        return;
    }
    CollapsingHeader::new("Plan on the server")
        .id_salt("explain_server_plan")
        .default_open(true)
        .show(ui, |ui| {
            for (at, stage) in server.stages.iter().enumerate() {
                ui.label(RichText::new(format!("{}. {stage}", at + 1)).monospace());
            }
        });
}

/// How the records were found: the index lookups (each with its records)
/// and what they left, or every record read.
fn read_ui(ui: &mut Ui, explain: &ExplainSummary) {
    if explain.lookups.is_empty() {
        let how = match (&explain.index, explain.sort) {
            (Some(index), SortMethod::Index) => format!("in the order of the index on {index}"),
            _ => "every record (no index answers this filter)".to_owned(),
        };
        line(
            ui,
            "Read",
            &format!(
                "{how}, of {} in the collection",
                format_count(explain.total)
            ),
        );
        return;
    }
    let mut fields: Vec<&str> = Vec::new();
    for lookup in &explain.lookups {
        if !fields.contains(&lookup.field.as_str()) {
            fields.push(&lookup.field);
        }
    }
    let title = match fields.as_slice() {
        [one] => format!("Read: the index on {one}"),
        [first @ .., last] => format!("Read: the indexes on {} and {last}", first.join(", ")),
        [] => "Read: an index".to_owned(),
    };
    CollapsingHeader::new(title)
        .id_salt("explain_lookups")
        .default_open(true)
        .show(ui, |ui| {
            for lookup in &explain.lookups {
                line(
                    ui,
                    "Lookup",
                    &format!(
                        "{}: {} records",
                        lookup.constraint,
                        format_count(lookup.records as usize)
                    ),
                );
            }
            if let Some(candidates) = explain.candidates {
                let what = if explain.lookups.len() > 1 {
                    "in all of them"
                } else {
                    "to read"
                };
                line(
                    ui,
                    "Candidates",
                    &format!(
                        "{} {what}, of {} in the collection",
                        format_count(candidates as usize),
                        format_count(explain.total)
                    ),
                );
            }
        });
}

fn sort_text(explain: &ExplainSummary) -> String {
    if explain.server.is_some()
        && matches!(
            explain.sort,
            SortMethod::TopInMemory | SortMethod::AllInMemory
        )
    {
        return "by the server, in memory".to_owned();
    }
    match (explain.sort, &explain.index) {
        (SortMethod::Index, Some(index)) => format!("read in the order of the index on {index}"),
        (SortMethod::Index, None) | (SortMethod::None, _) => "none".to_owned(),
        (SortMethod::TopInMemory, _) => {
            "in memory, keeping only the best of each page while reading".to_owned()
        }
        (SortMethod::AllInMemory, _) => "in memory, every match".to_owned(),
    }
}

/// The last pipeline run on the collection on screen, stage by stage.
fn pipeline_ui(ui: &mut Ui, state: &mut State) {
    let shown_collection = state.current.as_ref().map(|v| v.name.as_str());
    let result = state
        .edit
        .aggregate
        .result
        .as_ref()
        .filter(|r| Some(r.collection.as_str()) == shown_collection);
    if let Some(result) = result.filter(|r| r.explain.is_none()) {
        // A server runs the pipeline as a whole.
        let title = format!(
            "Aggregation on {}: {} results in {}",
            result.collection,
            format_count(result.docs.len()),
            format_duration(result.elapsed)
        );
        CollapsingHeader::new(RichText::new(title).strong())
            .id_salt("explain_pipeline")
            .default_open(true)
            .show(ui, |ui| {
                line(
                    ui,
                    "Stages",
                    "run by the server as a whole: it does not give each stage's records in and out",
                );
            });
        return;
    }
    let Some((result, explain)) = result.and_then(|r| Some((r, r.explain.as_deref()?))) else {
        ui.horizontal(|ui| {
            ui.label(
                RichText::new("Run a pipeline on the Aggregation tab to see its stages.").weak(),
            );
            if ui.button("Go to Aggregation").clicked() {
                state.edit.tab = Tab::Aggregation;
            }
        });
        return;
    };
    let title = format!(
        "Aggregation on {}: {} results in {}",
        result.collection,
        format_count(explain.returned),
        format_duration(result.elapsed)
    );
    CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("explain_pipeline")
        .default_open(true)
        .show(ui, |ui| stages_ui(ui, explain));
}

/// How the records were read, then a row per stage: its text, records in
/// and out, its own time with a bar of its share.
fn stages_ui(ui: &mut Ui, explain: &PipelineExplain) {
    let read = match &explain.index {
        Some(index) => {
            let lookups: Vec<String> = explain
                .lookups
                .iter()
                .map(|l| format!("{}: {}", l.constraint, format_count(l.records as usize)))
                .collect();
            format!(
                "the index on {index} ({}), {} records",
                lookups.join("; "),
                format_count(explain.read as usize)
            )
        }
        None => format!(
            "every record, {} of {}",
            format_count(explain.read as usize),
            format_count(explain.total)
        ),
    };
    line(
        ui,
        "Read",
        &format!("{read} in {}", format_duration(explain.read_time)),
    );
    let slowest = explain
        .stages
        .iter()
        .map(|s| s.time)
        .chain([explain.read_time])
        .max()
        .unwrap_or(Duration::ZERO)
        .max(Duration::from_nanos(1));
    egui::Grid::new("explain_stages")
        .num_columns(5)
        .spacing([12.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for title in ["Stage", "In", "Out", "Time", ""] {
                ui.strong(title);
            }
            ui.end_row();
            for (at, stage) in explain.stages.iter().enumerate() {
                ui.label(RichText::new(format!("{}. {}", at + 1, stage.stage)).monospace())
                    .on_hover_text(shown(&stage.spec));
                ui.label(format_count(stage.input as usize));
                ui.label(format_count(stage.output as usize));
                ui.label(format_duration(stage.time));
                let (rect, _) = ui.allocate_exact_size(vec2(TIME_BAR_WIDTH, 8.0), Sense::hover());
                let mut bar = rect;
                bar.set_width(rect.width() * stage.time.as_secs_f32() / slowest.as_secs_f32());
                ui.painter().rect_filled(bar, 2.0, TIME_BAR);
                ui.end_row();
            }
        });
}

/// A labelled line of a tree.
fn line(ui: &mut Ui, label: &str, text: &str) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(format!("{label}:")).weak());
        ui.label(text);
    });
}

/// A JSON value on one line, shortened to [`SHOWN_CHARS`].
fn shown(value: &Value) -> String {
    let text = one_line_json(value);
    match text.char_indices().nth(SHOWN_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}
