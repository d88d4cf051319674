//! The Schema tab: every field of the records the applied filter matches,
//! exactly (not a sample), a row each: how many records have it, its type
//! mix as coloured segments, bounds, distinct values and the most frequent
//! ones. Each type, "missing" and each value is a button that shows those
//! records in the Documents tab; a row's full top ten is shown below the
//! table when it is selected.

use egui::text::{LayoutJob, TextFormat};
use egui::{Align, Color32, Layout, RichText, Sense, Ui, WidgetText, vec2};
use egui_extras::{Column, TableBuilder};
use serde_json::Value;

use crate::engine::schema::{FieldSchema, Schema, TopValue};
use crate::studio::format::{format_count, format_duration};
use crate::studio::state::State;
use crate::studio::state::schema_tab::{SchemaPick, SchemaStatus};
use crate::studio::widgets::value_cell::compact_json;

const ROW_HEIGHT: f32 = 24.0;
const HEADER_HEIGHT: f32 = 22.0;
/// The type column's starting width.
const TYPES_WIDTH: f32 = 240.0;
/// Frequent values shown in a row; the rest are in the details.
const TOP_IN_ROW: usize = 3;
const DETAILS_HEIGHT: f32 = 170.0;
/// Shares (presence, a value's frequency): not the selection colour, so a
/// selected row's bar still shows.
const BAR_COLOUR: Color32 = Color32::from_rgb(70, 130, 190);

#[derive(Default)]
pub struct SchemaPanel;

impl SchemaPanel {
    pub fn ui(&mut self, ui: &mut Ui, state: &mut State) {
        state.ensure_schema();
        let mut pick = None;
        self.status_line(ui, state);
        ui.separator();
        // Drawn from references: a schema may hold long strings (its
        // bounds), and nothing of it is copied per frame.
        let mut clicked = None;
        if let Some(schema) = state.schema.schema() {
            let selected = state.schema.selected.as_deref();
            let details = state.schema.selected_field();
            let table_height = if details.is_some() {
                (ui.available_height() - DETAILS_HEIGHT).max(120.0)
            } else {
                ui.available_height()
            };
            ui.allocate_ui(vec2(ui.available_width(), table_height), |ui| {
                clicked = fields_table(ui, schema, selected, &mut pick);
            });
            if let Some(field) = details {
                ui.separator();
                details_ui(ui, field, schema.records, &mut pick);
            }
        }
        if let Some(clicked) = clicked {
            let again = state.schema.selected.as_deref() == Some(clicked.as_str());
            state.schema.selected = (!again).then_some(clicked);
        }
        if let Some(pick) = pick {
            state.show_schema_pick(&pick);
        }
    }

    /// What was analysed and how long it took; progress and Cancel while
    /// it runs; why it stopped.
    fn status_line(&mut self, ui: &mut Ui, state: &mut State) {
        let filtered = state
            .schema
            .key
            .as_ref()
            .is_some_and(|key| key.filter.as_object().is_none_or(|f| !f.is_empty()));
        let matching = if filtered { " matching the filter" } else { "" };
        ui.horizontal(|ui| match &state.schema.status {
            SchemaStatus::Idle => {
                ui.label("Choose a collection to see its fields.");
            }
            SchemaStatus::Running { read, total, .. } => {
                let fraction = state.schema.progress().unwrap_or(0.0);
                ui.add(
                    egui::ProgressBar::new(fraction)
                        .desired_width(220.0)
                        .show_percentage(),
                );
                ui.label(format!(
                    "Analysing every record{matching}: {} of {} read",
                    format_count(*read),
                    format_count(*total)
                ));
                if ui.button("Cancel").clicked() {
                    state.cancel_schema();
                }
            }
            SchemaStatus::Done { schema, elapsed } => {
                ui.label(format!(
                    "{} fields in {}{matching}, every record read in {}",
                    format_count(schema.fields.len()),
                    records_text(schema.records),
                    format_duration(*elapsed)
                ));
                if schema.paths_cut {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        format!(
                            "⚠ only the first {} fields are listed",
                            format_count(schema.fields.len())
                        ),
                    );
                }
                if state.schema.outdated {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "Records changed since this analysis",
                    );
                }
                if ui
                    .button("⟳ Analyse again")
                    .on_hover_text("Read every matching record again")
                    .clicked()
                {
                    state.analyse_schema();
                }
            }
            SchemaStatus::Cancelled => {
                ui.label("The analysis was cancelled.");
                if ui.button("Analyse").clicked() {
                    state.analyse_schema();
                }
            }
            SchemaStatus::Failed(why) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("⚠ The analysis failed: {why}"),
                );
                if ui.button("Try again").clicked() {
                    state.analyse_schema();
                }
            }
        });
    }
}

/// The table of fields; returns the path of a row clicked.
fn fields_table(
    ui: &mut Ui,
    schema: &Schema,
    selected: Option<&str>,
    pick: &mut Option<SchemaPick>,
) -> Option<String> {
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt(("schema", &schema.collection))
        .striped(true)
        .resizable(true)
        // No row sense: a clickable row would take the clicks of the
        // type, "missing" and value buttons inside it.
        .cell_layout(Layout::left_to_right(Align::Center))
        .auto_shrink([false, false])
        .column(Column::initial(180.0).at_least(80.0).clip(true))
        .column(Column::initial(170.0).at_least(120.0).clip(true))
        .column(Column::initial(TYPES_WIDTH).at_least(120.0).clip(true))
        .column(Column::initial(110.0).at_least(50.0).clip(true))
        .column(Column::initial(110.0).at_least(50.0).clip(true))
        .column(Column::initial(80.0).at_least(50.0).clip(true))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(HEADER_HEIGHT, |mut header| {
            for title in [
                "Field",
                "Present",
                "Types",
                "Min",
                "Max",
                "Distinct",
                "Top values",
            ] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, schema.fields.len(), |mut row| {
                let field = &schema.fields[row.index()];
                let is_selected = selected == Some(field.path.as_str());
                row.set_selected(is_selected);
                row.col(|ui| {
                    if path_ui(ui, &field.path, is_selected).clicked() {
                        clicked = Some(field.path.clone());
                    }
                });
                row.col(|ui| presence_ui(ui, field, schema.records, pick));
                row.col(|ui| types_ui(ui, field, pick));
                row.col(|ui| bound_ui(ui, field.min.as_ref()));
                row.col(|ui| bound_ui(ui, field.max.as_ref()));
                row.col(|ui| {
                    ui.label(distinct_text(field));
                });
                row.col(|ui| {
                    for top in field.top.iter().take(TOP_IN_ROW) {
                        top_value_button(ui, &field.path, top, 24, pick);
                    }
                    if field.top.len() > TOP_IN_ROW {
                        ui.label(
                            RichText::new(format!("+{} more", field.top.len() - TOP_IN_ROW)).weak(),
                        );
                    }
                });
            });
        });
    clicked
}

/// A path with its parent dimmed, so nested fields read as a tree; a
/// click selects the field (its details show below the table).
fn path_ui(ui: &mut Ui, path: &str, selected: bool) -> egui::Response {
    let split = path.rfind(['.', '[']).map_or(0, |at| {
        if path[at..].starts_with("[]") {
            at
        } else {
            at + 1
        }
    });
    let (parent, leaf) = path.split_at(split);
    let mono = egui::TextStyle::Monospace.resolve(ui.style());
    let mut job = LayoutJob::default();
    let weak = ui.visuals().weak_text_color();
    let strong = ui.visuals().strong_text_color();
    job.append(parent, 0.0, TextFormat::simple(mono.clone(), weak));
    job.append(leaf, 0.0, TextFormat::simple(mono, strong));
    ui.add(egui::Button::selectable(selected, WidgetText::from(job)).frame_when_inactive(false))
        .on_hover_text(format!("{path}: click for its most frequent values"))
}

/// A bar of the share of records that have the field, its count, and
/// "missing N" (a button) when some lack it.
fn presence_ui(ui: &mut Ui, field: &FieldSchema, records: usize, pick: &mut Option<SchemaPick>) {
    let share = if records == 0 {
        0.0
    } else {
        field.count as f32 / records as f32
    };
    let (rect, _) = ui.allocate_exact_size(vec2(48.0, 8.0), Sense::hover());
    let painter = ui.painter();
    painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let mut filled = rect;
    filled.set_width(rect.width() * share);
    painter.rect_filled(filled, 2.0, BAR_COLOUR);
    ui.label(percent(field.count, records))
        .on_hover_text(format!(
            "{} of {} records have {}",
            format_count(field.count),
            format_count(records),
            field.path
        ));
    let missing = records.saturating_sub(field.count);
    // An array's elements (`tags[]`) are not there or missing per record.
    if missing > 0 && !field.path.ends_with("[]") {
        let button =
            egui::Button::new(RichText::new(format!("missing {}", format_count(missing))).small())
                .small()
                .frame(false);
        if ui
            .add(button)
            .on_hover_text(format!("Show the records without {}", field.path))
            .clicked()
        {
            *pick = Some(SchemaPick::Missing {
                path: field.path.clone(),
            });
        }
    }
}

/// The type mix: a coloured segment per type across the cell, each wide
/// enough for its name and count, the width left over shared in
/// proportion to the counts.
fn types_ui(ui: &mut Ui, field: &FieldSchema, pick: &mut Option<SchemaPick>) {
    let counts: Vec<(&String, u64)> = field
        .types
        .iter()
        .map(|(name, count)| (name, count.as_u64().unwrap_or(0)))
        .collect();
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let gap = 1.0;
    ui.spacing_mut().item_spacing.x = gap;
    let font = egui::TextStyle::Small.resolve(ui.style());
    let padding = 2.0 * ui.spacing().button_padding.x;
    let labels: Vec<(String, f32)> = counts
        .iter()
        .map(|(name, n)| {
            let label = format!("{name} {}", format_count(*n as usize));
            let galley =
                ui.fonts_mut(|f| f.layout_no_wrap(label.clone(), font.clone(), Color32::WHITE));
            (label, galley.size().x + padding)
        })
        .collect();
    let needed: f32 = labels.iter().map(|(_, w)| w + gap).sum();
    let spare = (ui.available_width() - needed).max(0.0);
    for ((type_name, count), (label, text_width)) in counts.into_iter().zip(labels) {
        let width = if total == 0 {
            text_width
        } else {
            text_width + spare * count as f32 / total as f32
        };
        let text = RichText::new(label).small().color(Color32::WHITE);
        let segment = egui::Button::new(text)
            .fill(type_colour(type_name))
            .corner_radius(2.0)
            .min_size(vec2(width, 18.0));
        let hover = format!(
            "{} {type_name} value{} ({}) — click to show these records",
            format_count(count as usize),
            if count == 1 { "" } else { "s" },
            percent(count as usize, total as usize)
        );
        if ui.add(segment).on_hover_text(hover).clicked() {
            *pick = Some(SchemaPick::Type {
                path: field.path.clone(),
                type_name: type_name.clone(),
            });
        }
    }
}

/// One colour per `$type`, readable with white text in both themes.
fn type_colour(type_name: &str) -> Color32 {
    match type_name {
        "null" => Color32::from_rgb(120, 120, 128),
        "bool" => Color32::from_rgb(142, 88, 176),
        "int" => Color32::from_rgb(45, 110, 190),
        "double" => Color32::from_rgb(20, 130, 140),
        "string" => Color32::from_rgb(60, 140, 70),
        "object" => Color32::from_rgb(196, 110, 30),
        "array" => Color32::from_rgb(160, 80, 80),
        _ => Color32::GRAY,
    }
}

fn bound_ui(ui: &mut Ui, value: Option<&Value>) {
    if let Some(value) = value {
        // The longer text only when hovered: a bound may be megabytes.
        ui.label(RichText::new(compact_json(value, 40)).monospace())
            .on_hover_ui(|ui| {
                ui.label(compact_json(value, 400));
            });
    }
}

fn distinct_text(field: &FieldSchema) -> String {
    match (field.distinct, field.distinct_at_least) {
        // Objects and arrays only: distinct counts scalar values.
        (Some(0), _) => "–".to_owned(),
        (Some(n), _) => format_count(n),
        (None, Some(n)) => format!("≥ {}", format_count(n)),
        (None, None) => String::new(),
    }
}

/// A frequent value as a button that shows the records holding it (a value
/// too long to keep is shown, not clickable).
fn top_value_button(
    ui: &mut Ui,
    path: &str,
    top: &TopValue,
    max_chars: usize,
    pick: &mut Option<SchemaPick>,
) {
    let text = format!(
        "{} ×{}",
        compact_json(&top.value, max_chars),
        format_count(top.count)
    );
    if top.too_long {
        ui.label(RichText::new(text).small().weak());
        return;
    }
    let button = egui::Button::new(RichText::new(text).small().monospace()).small();
    if ui
        .add(button)
        .on_hover_text(format!(
            "{} records hold {} — click to show them",
            format_count(top.count),
            compact_json(&top.value, 200)
        ))
        .clicked()
    {
        *pick = Some(SchemaPick::Value {
            path: path.to_owned(),
            value: top.value.clone(),
        });
    }
}

/// The selected field's most frequent values, each with a bar of its
/// share, and its bounds in full.
fn details_ui(ui: &mut Ui, field: &FieldSchema, records: usize, pick: &mut Option<SchemaPick>) {
    ui.horizontal(|ui| {
        ui.strong(RichText::new(&field.path).monospace());
        ui.label(format!(
            "in {} of {} records · {} distinct",
            format_count(field.count),
            format_count(records),
            distinct_text(field)
        ));
    });
    let most = field.top.first().map_or(1, |top| top.count.max(1));
    egui::ScrollArea::vertical()
        .id_salt("schema_details")
        .auto_shrink([false, true])
        .show(ui, |ui| {
            egui::Grid::new("schema_top_values")
                .num_columns(3)
                .spacing([8.0, 2.0])
                .show(ui, |ui| {
                    for top in &field.top {
                        top_value_button(ui, &field.path, top, 60, pick);
                        let (rect, _) = ui.allocate_exact_size(vec2(160.0, 8.0), Sense::hover());
                        let mut bar = rect;
                        bar.set_width(rect.width() * top.count as f32 / most as f32);
                        ui.painter().rect_filled(bar, 2.0, BAR_COLOUR);
                        ui.label(percent(top.count, field.count));
                        ui.end_row();
                    }
                });
            if field.top.is_empty() {
                ui.label(RichText::new("No scalar values: objects and arrays only.").weak());
            }
        });
}

/// "1 record", "12,345 records".
fn records_text(n: usize) -> String {
    match n {
        1 => "1 record".to_owned(),
        n => format!("{} records", format_count(n)),
    }
}

/// `n` of `of` as a percentage a person reads: "100%", "99.7%", "<0.1%".
fn percent(n: usize, of: usize) -> String {
    if of == 0 || n == 0 {
        return "0%".to_owned();
    }
    if n >= of {
        return "100%".to_owned();
    }
    match n as f64 * 100.0 / of as f64 {
        s if s < 0.1 => "<0.1%".to_owned(),
        s if s >= 99.95 => ">99.9%".to_owned(),
        s if s >= 10.0 => format!("{s:.0}%"),
        s => format!("{s:.1}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::percent;

    #[test]
    fn percentages_never_round_to_all_or_nothing() {
        assert_eq!(percent(5, 5), "100%");
        assert_eq!(percent(999_999, 1_000_000), ">99.9%");
        assert_eq!(percent(1, 1_000_000), "<0.1%");
        assert_eq!(percent(0, 10), "0%");
        assert_eq!(percent(1, 3), "33%");
        assert_eq!(percent(1, 40), "2.5%");
    }
}
