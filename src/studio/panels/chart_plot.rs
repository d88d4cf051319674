//! Draws a computed chart with egui_plot: bars lying down (a category per
//! row, its name readable on the left, largest at the top), a histogram's
//! bins standing up, a scatter's points, a line's points joined, with
//! dates on its x axis when its field holds them. Returns the bar or bin
//! clicked, for the panel to run its filter.

use std::ops::RangeInclusive;

use egui::{Color32, Rangef, Role, Ui, WidgetInfo};
use egui_plot::{
    AxisHints, Bar, BarChart, GridInput, GridMark, HoverPosition, Line, Plot, PlotPoint,
    PlotPoints, Points,
};

use crate::engine::chart::dates::format_iso_date;
use crate::engine::chart::{
    Bars, Chart, ChartSpec, Histogram, Line as LineSeries, Scatter, Series,
};
use crate::studio::state::chart_data::axis_names;

/// Characters of a category label on the axis (the tooltip has it whole).
const LABEL_CHARS: usize = 28;
const DAY: f64 = 86_400.0;
/// The tallest a bar's row gets.
const MAX_ROW: f32 = 56.0;

/// Bars and lines: readable on the light and the dark background.
fn series_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(96, 160, 230)
    } else {
        Color32::from_rgb(40, 110, 190)
    }
}

/// "Other" stands apart from the categories.
fn other_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(140, 140, 150)
    } else {
        Color32::from_rgb(150, 150, 160)
    }
}

/// What the plot's response is called (tests find the plot by it).
pub fn plot_label(chart: &Chart) -> String {
    let (x, y) = axis_names(&chart.spec);
    match &chart.spec {
        ChartSpec::Bar { .. } => format!("Bar chart: {y} by {x}"),
        ChartSpec::Histogram { .. } => format!("Histogram of {x}"),
        ChartSpec::Scatter { .. } => format!("Scatter plot: {y} against {x}"),
        ChartSpec::Line { .. } => format!("Line: {y} along {x}"),
    }
}

/// Draws `chart` in the space left; returns the index of the bar or bin
/// clicked (when `clickable`).
pub fn plot_ui(ui: &mut Ui, chart: &Chart, clickable: bool) -> Option<usize> {
    let (x_name, y_name) = axis_names(&chart.spec);
    let id = ("chart-plot", &chart.spec);
    let plot = Plot::new(id)
        .x_axis_label(x_name.clone())
        .y_axis_label(y_name.clone())
        .show_background(true)
        .allow_scroll(false)
        .allow_boxed_zoom(false);
    match &chart.series {
        Series::Bars(bars) => bars_ui(ui, chart, bars, plot, clickable),
        Series::Histogram(histogram) => histogram_ui(ui, chart, histogram, plot, clickable),
        Series::Scatter(scatter) => {
            scatter_ui(ui, chart, scatter, plot);
            None
        }
        Series::Line(line) => {
            line_ui(ui, chart, line, plot);
            None
        }
    }
}

/// Bars lying down, a category per row; returns the bar clicked.
fn bars_ui(
    ui: &mut Ui,
    chart: &Chart,
    bars: &Bars,
    plot: Plot<'_>,
    clickable: bool,
) -> Option<usize> {
    let (_, y_name) = axis_names(&chart.spec);
    let colour = series_colour(ui);
    let count = bars.bars.len();
    let labels: Vec<String> = bars.bars.iter().map(|b| short(&b.label)).collect();
    let font = egui::TextStyle::Body.resolve(ui.style());
    let widest = labels
        .iter()
        .map(|l| {
            ui.fonts_mut(|f| f.layout_no_wrap(l.clone(), font.clone(), Color32::WHITE))
                .size()
                .x
        })
        .fold(40.0, f32::max);
    let ChartSpec::Bar { measure, .. } = &chart.spec else {
        return None;
    };
    let other = other_colour(ui);
    let items: Vec<Bar> = bars
        .bars
        .iter()
        .enumerate()
        .map(|(i, bar)| {
            let value = measure.of(&bar.tally).unwrap_or(0.0);
            let fill = match bar.category {
                crate::engine::chart::Category::Other { .. } => other,
                _ => colour,
            };
            Bar::new(row_of(i, count), value)
                .name(&bar.label)
                .fill(fill)
                .width(0.7)
        })
        .collect();
    let name = y_name.clone();
    let chart_item = BarChart::new(name.clone(), items)
        .horizontal()
        .element_formatter(Box::new(move |bar, _| {
            format!("{}\n{name}: {}", bar.name, number_text(bar.value))
        }));
    // Rows fixed (one per bar, no margin) so a row is where a
    // click on it lands; the values' axis starts at 0.
    let labels_for_axis = labels.clone();
    let response = plot
        .x_axis_label(y_name)
        .y_axis_label(egui::WidgetText::default())
        .default_y_bounds(-0.5, count.max(1) as f64 - 0.5)
        .include_x(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .show_grid([true, false])
        .y_grid_spacer(move |input| whole_steps(&input))
        .custom_y_axes(vec![
            AxisHints::new_y()
                .formatter(move |mark, _| {
                    label_at(&labels_for_axis, count, mark.value).unwrap_or_default()
                })
                .min_thickness(widest + 12.0)
                .label_spacing(Rangef::new(10.0, 12.0)),
        ])
        .height(bars_height(ui, count))
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(chart_item);
            pointer_if_clicked(plot_ui)
        });
    describe(&response.response, chart);
    hover_pointer(ui, &response.response, clickable);
    response
        .inner
        .and_then(|at| index_of_row(at.y, count))
        .filter(|_| clickable)
}

/// Bins standing up; returns the bin clicked.
fn histogram_ui(
    ui: &mut Ui,
    chart: &Chart,
    histogram: &Histogram,
    plot: Plot<'_>,
    clickable: bool,
) -> Option<usize> {
    let colour = series_colour(ui);
    let items: Vec<Bar> = histogram
        .bins
        .iter()
        .map(|bin| {
            Bar::new((bin.start + bin.end) / 2.0, bin.tally.count as f64)
                .width(bin.end - bin.start)
                .name(format!(
                    "{} to {}",
                    number_text(bin.start),
                    number_text(bin.end)
                ))
                .fill(colour)
                .stroke(egui::Stroke::new(1.0, ui.visuals().extreme_bg_color))
        })
        .collect();
    let chart_item = BarChart::new("records", items).element_formatter(Box::new(|bar, _| {
        format!("{}\nrecords: {}", bar.name, number_text(bar.value))
    }));
    let response = plot
        .include_y(0.0)
        .allow_drag(false)
        .allow_zoom(false)
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(chart_item);
            pointer_if_clicked(plot_ui)
        });
    describe(&response.response, chart);
    hover_pointer(ui, &response.response, clickable);
    response
        .inner
        .and_then(|at| {
            histogram
                .bins
                .iter()
                .position(|bin| at.x >= bin.start && at.x < bin.end && at.y >= 0.0)
        })
        .filter(|_| clickable)
}

fn scatter_ui(ui: &mut Ui, chart: &Chart, scatter: &Scatter, plot: Plot<'_>) {
    let (_, y_name) = axis_names(&chart.spec);
    let colour = series_colour(ui);
    let points = Points::new(y_name, PlotPoints::new(scatter.points.clone()))
        .radius(2.0)
        .color(colour.gamma_multiply(0.8));
    let response = plot.show(ui, |plot_ui| plot_ui.points(points));
    describe(&response.response, chart);
}

fn line_ui(ui: &mut Ui, chart: &Chart, line: &LineSeries, plot: Plot<'_>) {
    let (_, y_name) = axis_names(&chart.spec);
    let colour = series_colour(ui);
    let series: Vec<[f64; 2]> = line
        .points
        .iter()
        .filter_map(|p| {
            let ChartSpec::Line { measure, .. } = &chart.spec else {
                return None;
            };
            Some([p.x, measure.of(&p.tally)?])
        })
        .collect();
    let markers = (series.len() <= 200).then(|| {
        Points::new(y_name.clone(), PlotPoints::new(series.clone()))
            .radius(3.0)
            .color(colour)
    });
    let drawn = Line::new(y_name, PlotPoints::new(series))
        .color(colour)
        .width(2.0);
    let mut plot = plot;
    if line.dates {
        plot = plot
            .x_axis_formatter(date_tick)
            .label_formatter(|hover| match hover {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => Some(format!(
                    "{plot_name}\n{}\n{}",
                    format_iso_date(position.x),
                    number_text(position.y)
                )),
                HoverPosition::Elsewhere { position } => Some(format_iso_date(position.x)),
            });
    }
    let response = plot.show(ui, |plot_ui| {
        plot_ui.line(drawn);
        if let Some(markers) = markers {
            plot_ui.points(markers);
        }
    });
    describe(&response.response, chart);
}

/// The plot's accessible name, for screen readers and tests.
fn describe(response: &egui::Response, chart: &Chart) {
    let label = plot_label(chart);
    response.widget_info(|| WidgetInfo::labeled(Role::Figure, true, &label));
}

fn hover_pointer(ui: &Ui, response: &egui::Response, clickable: bool) {
    if clickable && response.hovered() {
        ui.ctx().set_cursor_icon(egui::CursorIcon::PointingHand);
    }
}

fn pointer_if_clicked(plot_ui: &egui_plot::PlotUi<'_>) -> Option<PlotPoint> {
    if plot_ui.response().clicked() {
        plot_ui.pointer_coordinate()
    } else {
        None
    }
}

/// Rows at most [`MAX_ROW`] tall: three bars do not fill the screen.
fn bars_height(ui: &Ui, count: usize) -> f32 {
    let wanted = count as f32 * MAX_ROW + 60.0;
    wanted.clamp(180.0, ui.available_height().max(180.0))
}

/// Bar `index` of `count` lies on row `count - 1 - index`: the first at the top.
fn row_of(index: usize, count: usize) -> f64 {
    (count - 1 - index) as f64
}

/// The bar on the row at `y`, if `y` is within a bar's thickness of it.
fn index_of_row(y: f64, count: usize) -> Option<usize> {
    let row = y.round();
    if (y - row).abs() > 0.4 || row < 0.0 || row >= count as f64 {
        return None;
    }
    Some(count - 1 - row as usize)
}

fn label_at(labels: &[String], count: usize, y: f64) -> Option<String> {
    if y.fract() != 0.0 {
        return None;
    }
    index_of_row(y, count).and_then(|i| labels.get(i).cloned())
}

/// A grid line at each row.
fn whole_steps(input: &GridInput) -> Vec<GridMark> {
    let (low, high) = input.bounds;
    let first = low.ceil().max(0.0) as i64;
    let last = high.floor() as i64;
    (first..=last)
        .map(|value| GridMark {
            value: value as f64,
            step_size: 1.0,
        })
        .collect()
}

fn short(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        return label.to_owned();
    }
    let mut text: String = label.chars().take(LABEL_CHARS - 1).collect();
    text.push('…');
    text
}

/// A number as a person reads it: whole ones without decimals, others
/// with at most four significant decimals.
pub fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        let digits = crate::studio::format::format_count(n.abs() as usize);
        if n < 0.0 {
            format!("-{digits}")
        } else {
            digits
        }
    } else if n.abs() >= 1e6 || n.abs() < 1e-3 {
        format!("{n:.4e}")
    } else {
        let text = format!("{n:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Dates on the x axis: the day when the ticks are a day or more apart,
/// else the time too.
fn date_tick(mark: GridMark, _range: &RangeInclusive<f64>) -> String {
    let text = format_iso_date(mark.value);
    if mark.step_size >= DAY {
        text.chars().take(10).collect()
    } else {
        text.replace('T', " ").trim_end_matches('Z').to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_and_bars_map_both_ways() {
        assert_eq!(row_of(0, 5), 4.0);
        assert_eq!(index_of_row(4.1, 5), Some(0));
        assert_eq!(index_of_row(0.0, 5), Some(4));
        assert_eq!(index_of_row(2.5, 5), None);
        assert_eq!(index_of_row(5.0, 5), None);
        assert_eq!(index_of_row(-0.2, 5), Some(4));
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(number_text(1234.0), "1,234");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(0.125), "0.125");
        assert_eq!(number_text(1.0 / 3.0), "0.3333");
    }

    #[test]
    fn a_date_axis_shows_days_or_times() {
        let mark = |value, step_size| GridMark { value, step_size };
        assert_eq!(
            date_tick(mark(86_400.0 * 3.0, DAY), &(0.0..=1.0)),
            "1970-01-04"
        );
        assert_eq!(
            date_tick(mark(3_600.0, 3_600.0), &(0.0..=1.0)),
            "1970-01-01 01:00"
        );
    }
}
