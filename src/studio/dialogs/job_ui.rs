//! What every dialog shows of its job: a progress bar with Cancel while it
//! runs, then its outcome or what failed and why, in the colours the
//! dialogs share for success and errors.

use egui::{Color32, RichText, Ui};

use crate::studio::format::{format_bytes, format_count};
use crate::studio::state::dialogs::JobState;
use crate::studio::worker::jobs::JobProgress;

pub fn error_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0xff, 0x70, 0x70)
    } else {
        Color32::from_rgb(0xb0, 0x00, 0x00)
    }
}

pub fn success_colour(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x70, 0xd0, 0x70)
    } else {
        Color32::from_rgb(0x10, 0x70, 0x10)
    }
}

/// "1.2 MB of 40.0 MB" or "1,200 of 5,000 records".
fn progress_text(p: &JobProgress) -> String {
    let amount = |n: u64| {
        if p.unit == "bytes" {
            format_bytes(n)
        } else {
            format_count(n as usize)
        }
    };
    match p.total {
        Some(total) if p.unit == "bytes" => format!("{} of {}", amount(p.done), amount(total)),
        Some(total) => format!("{} of {} records", amount(p.done), amount(total)),
        None => format!("{} {}", amount(p.done), p.unit),
    }
}

/// A job's state: progress with Cancel, or its outcome, or what failed and why.
pub fn job_ui(ui: &mut Ui, job: &mut JobState) {
    let mut stop = false;
    match job {
        JobState::Idle => {}
        JobState::Running {
            progress,
            cancel,
            cancelling,
            ..
        } => {
            ui.horizontal(|ui| {
                let fraction = progress.as_ref().and_then(JobProgress::fraction);
                let text = progress
                    .as_ref()
                    .map_or_else(|| "working…".to_owned(), progress_text);
                let bar = egui::ProgressBar::new(fraction.unwrap_or(0.0))
                    .desired_width(300.0)
                    .text(text)
                    .animate(fraction.is_none());
                ui.add(bar);
                if cancel.is_some() {
                    let label = if *cancelling {
                        "Cancelling…"
                    } else {
                        "Cancel this job"
                    };
                    if ui
                        .add_enabled(!*cancelling, egui::Button::new(label))
                        .clicked()
                    {
                        stop = true;
                    }
                } else {
                    ui.label(RichText::new("(cannot be stopped half-way)").small().weak());
                }
            });
        }
        JobState::Done(outcome) => {
            ui.label(RichText::new(format!("✔ {}", outcome.message)).color(success_colour(ui)));
            if !outcome.problems.is_empty() {
                egui::ScrollArea::vertical()
                    .id_salt("problems")
                    .max_height(140.0)
                    .show(ui, |ui| {
                        for problem in &outcome.problems {
                            ui.label(RichText::new(problem).small().color(error_colour(ui)));
                        }
                    });
            }
        }
        JobState::Failed(error) => {
            ui.label(RichText::new(format!("⚠ {error}")).color(error_colour(ui)));
        }
    }
    if stop {
        job.cancel();
    }
}
