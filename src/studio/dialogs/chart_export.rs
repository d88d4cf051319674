//! "Export chart data": the Chart tab's series to a CSV file (a header,
//! then a row per bar, bin or point). The text is small (the chart's caps
//! bound it), but a slow disk must not stall a frame: the file is written
//! on a short-lived thread and the outcome shown when it ends.

use std::sync::mpsc;

use egui::{RichText, Ui};

use super::file_picker::{FilePicker, PickFor, PickRequest};
use super::job_ui::error_colour;
use crate::studio::format::format_count;
use crate::studio::state::State;

/// The write under way: its outcome comes back here.
#[derive(Default)]
pub struct ChartWriter {
    pending: Option<mpsc::Receiver<Result<String, String>>>,
}

impl ChartWriter {
    fn poll(&mut self, state: &mut State) {
        let Some(pending) = &self.pending else {
            return;
        };
        let outcome = match pending.try_recv() {
            Err(mpsc::TryRecvError::Empty) => return,
            Err(mpsc::TryRecvError::Disconnected) => {
                Err("the file was not written (the writer stopped)".to_owned())
            }
            Ok(outcome) => outcome,
        };
        self.pending = None;
        if let Some(export) = state.chart.export.as_mut() {
            export.writing = false;
            export.outcome = Some(outcome);
        }
    }

    fn start(&mut self, path: String, text: String, rows: usize, repaint: egui::Context) {
        let (send, receive) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("chart-csv".to_owned())
            .spawn(move || {
                let outcome = std::fs::write(&path, text)
                    .map(|()| format!("Wrote {} rows to {path}", format_count(rows)))
                    .map_err(|e| format!("cannot write {path}: {e}"));
                // The app may have closed meanwhile.
                let _ = send.send(outcome);
                repaint.request_repaint();
            });
        match spawned {
            Ok(_) => self.pending = Some(receive),
            Err(e) => {
                let (fail, receive) = mpsc::channel();
                let _ = fail.send(Err(format!("cannot start writing: {e}")));
                self.pending = Some(receive);
            }
        }
    }
}

pub fn window_ui(
    ctx: &egui::Context,
    state: &mut State,
    picker: &mut FilePicker,
    writer: &mut ChartWriter,
) {
    writer.poll(state);
    if state.chart.export.is_none() {
        return;
    }
    let mut open = true;
    let mut close = false;
    crate::studio::widgets::dialog_window(ctx, "Export chart data")
        .id(egui::Id::unique("chart-export-dialog"))
        .open(&mut open)
        .default_width(560.0)
        .collapsible(false)
        .show(ctx, |ui| close = dialog_ui(ui, state, picker, writer));
    if !open || close {
        state.chart.export = None;
    }
}

fn dialog_ui(
    ui: &mut Ui,
    state: &mut State,
    picker: &mut FilePicker,
    writer: &mut ChartWriter,
) -> bool {
    let prepared = state.chart_export_text();
    let Some(export) = state.chart.export.as_mut() else {
        return true;
    };
    ui.label("The chart's series as CSV: a header, then a row per bar, bin or point.");
    let suggested = Some(std::path::PathBuf::from(export.path.trim()));
    let mut path = export.path.clone();
    if picker.path_ui(ui, &mut path, "/path/to/chart.csv", || PickRequest {
        target: PickFor::ChartData,
        save: true,
        title: "Export chart data to",
        filters: vec![("CSV", vec!["csv"])],
        suggested,
    }) {
        export.path = path;
        export.outcome = None;
    }
    ui.separator();
    match &export.outcome {
        Some(Ok(done)) => {
            ui.label(done);
        }
        Some(Err(why)) => {
            ui.colored_label(error_colour(ui), format!("⚠ {why}"));
        }
        None => {}
    }
    let mut close = false;
    ui.horizontal(|ui| {
        let problem = match (&prepared, export.path.trim()) {
            (Err(why), _) => Some(why.clone()),
            (_, "") => Some("Type the path of the file to write".to_owned()),
            _ => None,
        };
        let enabled = problem.is_none() && !export.writing;
        let button = ui.add_enabled(enabled, egui::Button::new("Export"));
        if button.clicked()
            && let Ok((text, rows)) = prepared
        {
            export.writing = true;
            export.outcome = None;
            let path = export.path.trim().to_owned();
            writer.start(path, text, rows, ui.ctx().clone());
        }
        if export.writing {
            ui.spinner();
        }
        if ui.button("Close").clicked() {
            close = true;
        }
        if let Some(why) = problem {
            ui.label(RichText::new(why).small().color(error_colour(ui)));
        }
    });
    close
}
