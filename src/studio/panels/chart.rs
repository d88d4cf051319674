//! The Chart tab: what to chart (the records the filter matches, or the
//! Aggregation tab's output), the chart type, the fields from lists the
//! schema fills, a line saying what was read (and when a scatter samples),
//! and the plot (`chart_plot`). A click on a bar or bin shows its records
//! in the Documents tab; "Export CSV…" writes the series.

use egui::{ComboBox, RichText, Ui};

use super::chart_plot::{number_text, plot_ui};
use crate::engine::chart::{BarOrder, Chart, MAX_BARS, Series};
use crate::studio::format::{format_count, format_duration};
use crate::studio::state::State;
use crate::studio::state::chart_tab::{ChartFrom, ChartKind, ChartStatus, MeasureKind};
use crate::studio::state::schema_tab::SchemaStatus;
use crate::studio::worker::chart::ChartSource;

/// The choices of how many bars to show.
const TOP_CHOICES: [usize; 4] = [10, 20, 50, MAX_BARS];

#[derive(Default)]
pub struct ChartPanel;

impl ChartPanel {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        state.ensure_chart();
        self.source_and_kind(ui, state);
        if let Err(why) = state.chart_source() {
            ui.separator();
            ui.label(RichText::new(why).weak());
            return;
        }
        fields_row(ui, state);
        ui.separator();
        status_line(ui, state);
        let clickable = state.chart_is_clickable();
        let picked = match state.chart.chart() {
            Some(chart) => {
                ui.add_space(4.0);
                plot_ui(ui, chart, clickable)
            }
            None => None,
        };
        if let Some(index) = picked {
            state.show_chart_pick(index);
        }
    }

    fn source_and_kind(&mut self, ui: &mut Ui, state: &mut State) {
        ui.horizontal(|ui| {
            let before = state.chart.form.clone();
            let form = &mut state.chart.form;
            ui.label("Chart of");
            ui.radio_value(
                &mut form.from,
                ChartFrom::Filter,
                "the records the filter matches",
            )
            .on_hover_text("Every matching record, not only the page on screen");
            ui.radio_value(
                &mut form.from,
                ChartFrom::Pipeline,
                "the aggregation's output",
            )
            .on_hover_text("The output of the pipeline in the Aggregation tab");
            ui.separator();
            for kind in ChartKind::ALL {
                ui.selectable_value(&mut form.kind, kind, kind.label());
            }
            if form.kind != before.kind {
                form.kind_changed();
            }
            if *form != before {
                state.chart_form_changed();
            }
        });
    }
}

/// The field pickers the chart type needs.
fn fields_row(ui: &mut Ui, state: &mut State) {
    let before = state.chart.form.clone();
    let fields = &state.chart.fields;
    let form = &mut state.chart.form;
    ui.horizontal_wrapped(|ui| match form.kind {
        ChartKind::Bar => {
            field_picker(
                ui,
                "Bars of",
                "chart-category",
                &mut form.category,
                &fields.categories,
            );
            measure_pickers(ui, &mut form.measure, &mut form.measured, &fields.numeric);
            ui.separator();
            ui.label("Show");
            ComboBox::from_id_salt("chart-top")
                .selected_text(format!("top {}", form.top))
                .show_ui(ui, |ui| {
                    for top in TOP_CHOICES {
                        ui.selectable_value(&mut form.top, top, format!("top {top}"));
                    }
                });
            ui.radio_value(&mut form.order, BarOrder::Value, "largest first");
            ui.radio_value(&mut form.order, BarOrder::Category, "by value");
        }
        ChartKind::Histogram => {
            field_picker(ui, "Numbers of", "chart-x", &mut form.x, &fields.numeric);
        }
        ChartKind::Scatter => {
            field_picker(ui, "Across", "chart-x", &mut form.x, &fields.numeric);
            field_picker(ui, "Up", "chart-y", &mut form.y, &fields.numeric);
        }
        ChartKind::Line => {
            field_picker(ui, "Along", "chart-x", &mut form.x, &fields.sortable);
            measure_pickers(ui, &mut form.measure, &mut form.measured, &fields.numeric);
        }
    });
    if state.chart.form != before {
        state.chart_form_changed();
    }
}

/// A label and a drop-down of `offered` fields.
fn field_picker(ui: &mut Ui, label: &str, id: &str, pick: &mut Option<String>, offered: &[String]) {
    let label = (!label.is_empty()).then(|| ui.label(label));
    let shown = pick.as_deref().unwrap_or("(none)");
    let combo = ComboBox::from_id_salt(id)
        .selected_text(RichText::new(shown).monospace())
        .width(170.0)
        .show_ui(ui, |ui| {
            if offered.is_empty() {
                ui.label(RichText::new("No field fits").weak());
            }
            for field in offered {
                ui.selectable_value(pick, Some(field.clone()), RichText::new(field).monospace());
            }
        });
    if let Some(label) = label {
        combo.response.labelled_by(label.id);
    }
}

fn measure_pickers(
    ui: &mut Ui,
    measure: &mut MeasureKind,
    measured: &mut Option<String>,
    numeric: &[String],
) {
    ui.separator();
    let label = ui.label("Measure");
    ComboBox::from_id_salt("chart-measure")
        .selected_text(measure.label())
        .show_ui(ui, |ui| {
            for kind in MeasureKind::ALL {
                ui.selectable_value(measure, kind, kind.label());
            }
        })
        .response
        .labelled_by(label.id);
    if *measure != MeasureKind::Count {
        field_picker(ui, "", "chart-measured", measured, numeric);
    }
}

/// Progress and Cancel while computing; what the chart shows once done
/// (and when it samples); why there is none.
fn status_line(ui: &mut Ui, state: &mut State) {
    let filtered = matches!(
        state.chart_source(),
        Ok(ChartSource::Filter { ref filter, .. }) if filter.as_object().is_none_or(|f| !f.is_empty())
    );
    let matching = if filtered { " matching the filter" } else { "" };
    let from_filter = state.chart.form.from == ChartFrom::Filter;
    let (mut again, mut export) = (false, false);
    ui.horizontal_wrapped(|ui| {
        // The filter's fields come from the Schema tab's analysis.
        if from_filter && state.chart.fields_of.is_none() {
            match &state.schema.status {
                SchemaStatus::Running { read, total, .. } => {
                    progress(ui, state.schema.progress().unwrap_or(0.0));
                    ui.label(format!(
                        "Finding the fields of every record{matching}: {} of {} read",
                        format_count(*read),
                        format_count(*total)
                    ));
                    if ui.button("Cancel").clicked() {
                        state.cancel_schema();
                    }
                }
                SchemaStatus::Cancelled | SchemaStatus::Failed(_) => {
                    ui.label("The fields are not known: the analysis did not finish.");
                    if ui.button("Find the fields").clicked() {
                        state.analyse_schema();
                    }
                }
                _ => {}
            }
            return;
        }
        if let Err(why) = state.chart.form.spec() {
            ui.label(RichText::new(why).weak());
            return;
        }
        match &state.chart.status {
            ChartStatus::Idle => {}
            ChartStatus::Running { read, total, .. } => {
                progress(ui, state.chart.progress().unwrap_or(0.0));
                let what = if from_filter {
                    format!("every record{matching}")
                } else {
                    "the pipeline's output".to_owned()
                };
                ui.label(format!(
                    "Charting {what}: {} of {} read",
                    format_count(*read),
                    format_count(*total)
                ));
                if ui.button("Cancel").clicked() {
                    state.cancel_chart();
                }
            }
            ChartStatus::Done { chart, elapsed } => {
                if let Some(chart) = chart {
                    ui.label(summary(chart, matching, from_filter));
                    ui.label(RichText::new(format!("in {}", format_duration(*elapsed))).weak());
                    if let Some(note) = sampling_note(chart) {
                        ui.colored_label(ui.visuals().warn_fg_color, note);
                    }
                }
                if state.chart.outdated {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "Records changed since this chart",
                    );
                }
                again = ui
                    .button("⟳ Chart again")
                    .on_hover_text("Read every record again")
                    .clicked();
                export = chart.is_some()
                    && ui
                        .button("Export CSV…")
                        .on_hover_text("Write the chart's data (its series) to a CSV file")
                        .clicked();
                if state.chart_is_clickable() {
                    ui.label(RichText::new("Click a bar to see its records").weak());
                }
            }
            ChartStatus::Cancelled => {
                ui.label("The chart was cancelled.");
                again = ui.button("Chart").clicked();
            }
            ChartStatus::Failed(why) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("⚠ The chart failed: {why}"),
                );
                again = ui.button("Try again").clicked();
            }
        }
    });
    if again {
        state.chart_again();
    }
    if export {
        state.open_chart_export();
    }
}

fn progress(ui: &mut Ui, fraction: f32) {
    ui.add(
        egui::ProgressBar::new(fraction)
            .desired_width(220.0)
            .show_percentage(),
    );
}

/// What the chart shows, in a sentence.
fn summary(chart: &Chart, matching: &str, from_filter: bool) -> String {
    let records = if from_filter {
        format!("{} records{matching}", format_count(chart.records))
    } else {
        format!("{} output documents", format_count(chart.records))
    };
    match &chart.series {
        Series::Bars(bars) => {
            let shown = bars
                .bars
                .iter()
                .filter(|b| !matches!(b.category, crate::engine::chart::Category::Other { .. }))
                .count();
            let distinct = if bars.categories_cut {
                format!("over {}", format_count(bars.distinct))
            } else {
                format_count(bars.distinct)
            };
            format!("{shown} of {distinct} values over {records}")
        }
        Series::Histogram(histogram) => {
            let mut text = format!(
                "{} numbers of {records} in {} bins, each {} wide",
                format_count(histogram.values),
                histogram.bins.len(),
                number_text(histogram.width)
            );
            if histogram.skipped > 0 {
                text.push_str(&format!(
                    "; {} values that are not numbers left out",
                    format_count(histogram.skipped)
                ));
            }
            text
        }
        Series::Scatter(scatter) => {
            format!(
                "{} points (records with both numbers) of {records}",
                format_count(scatter.total)
            )
        }
        Series::Line(line) => {
            let points = format_count(line.points.len());
            let mut text = match line.bucket {
                Some(width) => {
                    let width = if line.dates {
                        duration_text(width)
                    } else {
                        number_text(width)
                    };
                    format!("{points} buckets of {width} over {records}")
                }
                None if line.dates => format!("{points} dates over {records}"),
                None => format!("{points} values over {records}"),
            };
            if line.skipped > 0 {
                text.push_str(&format!(
                    "; {} records without a usable x left out",
                    format_count(line.skipped)
                ));
            }
            text
        }
    }
}

/// "sampled 10,000 of 1,000,000 points", when the scatter samples.
pub fn sampling_note(chart: &Chart) -> Option<String> {
    match &chart.series {
        Series::Scatter(scatter) if scatter.is_sampled() => Some(format!(
            "sampled {} of {} points (a uniform random sample)",
            format_count(scatter.points.len()),
            format_count(scatter.total)
        )),
        _ => None,
    }
}

/// A bucket's width in seconds, as a person says it.
fn duration_text(seconds: f64) -> String {
    const UNITS: [(f64, &str); 5] = [
        (31_449_600.0, "52 weeks"),
        (604_800.0, "week"),
        (86_400.0, "day"),
        (3_600.0, "hour"),
        (60.0, "minute"),
    ];
    for (unit, name) in UNITS {
        if seconds >= unit && (seconds / unit).fract() == 0.0 {
            let n = seconds / unit;
            return if n == 1.0 {
                format!("1 {name}")
            } else {
                format!("{} {name}s", number_text(n))
            };
        }
    }
    format!("{} seconds", number_text(seconds))
}
