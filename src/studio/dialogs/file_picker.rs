//! Native file dialogs (rfd) off the UI thread, with the typed path as the
//! fallback: every dialog has a path field, and Browse… is only a helper.
//!
//! rfd's portal backend falls back to zenity; with neither, `pick_file`
//! returns `None` at once, which looks like a cancel. A `None` sooner than a
//! person could cancel is taken as "no native dialog here": Browse… is then
//! disabled, saying why, and the path field is the way.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use egui::{RichText, Ui};

/// Which dialog's path a picked file goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickFor {
    Import,
    Export,
    Backup,
    Restore,
    Compare,
    /// The Chart tab's CSV export.
    ChartData,
}

/// A native dialog: open or save, its title, filters and suggested name.
pub struct PickRequest {
    pub target: PickFor,
    pub save: bool,
    pub title: &'static str,
    pub filters: Vec<(&'static str, Vec<&'static str>)>,
    /// Save: the suggested file (its folder and name).
    pub suggested: Option<PathBuf>,
}

/// Faster than this, a `None` means no dialog appeared.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(300);

struct Pending {
    target: PickFor,
    started: Instant,
    answer: mpsc::Receiver<Option<PathBuf>>,
}

pub struct FilePicker {
    pending: Option<Pending>,
    /// Why no native dialog can be shown, once that is known.
    pub unavailable: Option<String>,
}

impl Default for FilePicker {
    fn default() -> Self {
        FilePicker {
            pending: None,
            unavailable: no_dialog_reason(),
        }
    }
}

/// On Linux rfd needs a desktop portal (over the session D-Bus) or zenity.
fn no_dialog_reason() -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let bus = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
        || std::env::var_os("XDG_RUNTIME_DIR")
            .is_some_and(|dir| PathBuf::from(dir).join("bus").exists());
    let zenity = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join("zenity").is_file()));
    (!bus && !zenity).then(|| {
        "No native file dialog here (no desktop portal or zenity): type the path".to_owned()
    })
}

impl FilePicker {
    pub fn is_open(&self) -> bool {
        self.pending.is_some()
    }

    /// Opens the native dialog on its own thread.
    pub fn browse(&mut self, request: PickRequest, repaint: egui::Context) {
        if self.pending.is_some() || self.unavailable.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let target = request.target;
        let spawned = std::thread::Builder::new()
            .name("file-dialog".to_owned())
            .spawn(move || {
                let mut dialog = rfd::FileDialog::new().set_title(request.title);
                for (name, extensions) in &request.filters {
                    dialog = dialog.add_filter(*name, extensions);
                }
                if let Some(suggested) = &request.suggested {
                    if let Some(folder) = suggested.parent().filter(|p| p.is_dir()) {
                        dialog = dialog.set_directory(folder);
                    }
                    if let Some(name) = suggested.file_name().and_then(|n| n.to_str()) {
                        dialog = dialog.set_file_name(name);
                    }
                }
                let picked = if request.save {
                    dialog.save_file()
                } else {
                    dialog.pick_file()
                };
                // The app may have closed meanwhile; nothing to tell then.
                let _ = tx.send(picked);
                repaint.request_repaint();
            });
        match spawned {
            Ok(_) => {
                self.pending = Some(Pending {
                    target,
                    started: Instant::now(),
                    answer: rx,
                });
            }
            Err(e) => self.unavailable = Some(format!("cannot start the file dialog: {e}")),
        }
    }

    /// The file picked, once the dialog closed with one.
    pub fn poll(&mut self) -> Option<(PickFor, PathBuf)> {
        let pending = self.pending.as_ref()?;
        let answer = match pending.answer.try_recv() {
            Err(mpsc::TryRecvError::Empty) => return None,
            Err(mpsc::TryRecvError::Disconnected) => None,
            Ok(answer) => answer,
        };
        let target = pending.target;
        let quick = pending.started.elapsed() < NO_DIALOG_WITHIN;
        self.pending = None;
        match answer {
            Some(path) => Some((target, path)),
            None => {
                if quick {
                    self.unavailable = Some(
                        "The native file dialog did not open (no desktop portal or zenity?): type the path".to_owned(),
                    );
                }
                None
            }
        }
    }

    /// The path field with its Browse… button; true when the text changed.
    pub fn path_ui(
        &mut self,
        ui: &mut Ui,
        path: &mut String,
        hint: &str,
        request: impl FnOnce() -> PickRequest,
    ) -> bool {
        let mut changed = false;
        ui.horizontal(|ui| {
            let label = ui.label("File path");
            changed = ui
                .add(
                    egui::TextEdit::singleline(path)
                        .hint_text(hint)
                        .desired_width(380.0),
                )
                .labelled_by(label.id)
                .changed();
            let enabled = self.unavailable.is_none() && self.pending.is_none();
            let browse = ui.add_enabled(enabled, egui::Button::new("Browse…"));
            let browse = match &self.unavailable {
                Some(why) => browse.on_disabled_hover_text(why.as_str()),
                None => browse.on_disabled_hover_text("A file dialog is open"),
            };
            if browse.clicked() {
                self.browse(request(), ui.ctx().clone());
            }
        });
        if let Some(why) = &self.unavailable {
            ui.label(RichText::new(why).small().weak());
        }
        changed
    }
}
