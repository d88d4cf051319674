//! The eframe app: it arranges the panels, feeds worker events into the
//! state and the state's requests to the worker. Nothing here waits.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

use egui::{Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::dialogs::DialogsUi;
use super::panels::AppAction;
use super::panels::aggregate::AggregatePanel;
use super::panels::bulk::bulk_window_ui;
use super::panels::chart::ChartPanel;
use super::panels::edit_menu::edit_shortcuts;
use super::panels::explain::ExplainPanel;
use super::panels::grid::Grid;
use super::panels::pending::{
    conflicts_window_ui, guard_ui, outcomes_window_ui, pending_window_ui,
};
use super::panels::query_bar::QueryBar;
use super::panels::record_editor::RecordEditorPanel;
use super::panels::schema::SchemaPanel;
use super::panels::sidebar::Sidebar;
use super::panels::start::StartScreen;
use super::panels::status_bar::StatusBar;
use super::panels::top_bar::TopBar;
use super::panels::value_viewer::value_viewer_window_ui;
use super::sample::sample_folder;
use super::settings::{STORAGE_KEY, Settings, ThemeChoice};
use super::state::{Outgoing, State, Tab};
use super::worker::{Notify, Opener, SampleBuilder, WorkerHandle};

const RUN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);

/// How the app starts, apart from what eframe gives it.
#[derive(Clone, Debug, Default)]
pub struct StudioConfig {
    /// The app's data folder, where the sample database is created.
    pub data_dir: PathBuf,
    /// A folder to open at once (the command-line argument).
    pub open_at_start: Option<PathBuf>,
    /// Open the sample database at once (`--sample`).
    pub open_sample_at_start: bool,
    /// With no folder given and none opened before (no recent folders: a
    /// first run), open the sample database instead of an empty start
    /// screen, so `cargo run --release` shows Studio working at once.
    pub sample_on_first_run: bool,
    /// Settings to use instead of the saved ones (tests).
    pub settings: Option<Settings>,
}

/// The native folder picker, run off the UI thread: a portal that never
/// answers must not freeze the window.
#[derive(Default)]
struct FolderDialog {
    pending: Option<(bool, mpsc::Receiver<Option<PathBuf>>)>,
}

impl FolderDialog {
    fn pick(&mut self, create: bool, repaint: egui::Context) {
        if self.pending.is_some() {
            return;
        }
        let (tx, rx) = mpsc::channel();
        let title = if create {
            "Choose a folder for the new database"
        } else {
            "Open a FluxDB folder"
        };
        let spawned = std::thread::Builder::new()
            .name("folder-dialog".to_owned())
            .spawn(move || {
                let picked = rfd::FileDialog::new().set_title(title).pick_folder();
                // The app may have closed meanwhile; nothing to tell then.
                let _ = tx.send(picked);
                repaint.request_repaint();
            });
        if spawned.is_ok() {
            self.pending = Some((create, rx));
        }
    }

    /// The folder picked, once the dialog closed with one.
    fn poll(&mut self) -> Option<(bool, PathBuf)> {
        let (create, rx) = self.pending.as_ref()?;
        match rx.try_recv() {
            Ok(picked) => {
                let create = *create;
                self.pending = None;
                picked.map(|path| (create, path))
            }
            Err(mpsc::TryRecvError::Empty) => None,
            Err(mpsc::TryRecvError::Disconnected) => {
                self.pending = None;
                None
            }
        }
    }
}

pub struct StudioApp {
    state: State,
    worker: WorkerHandle,
    data_dir: PathBuf,
    dialog: FolderDialog,
    top_bar: TopBar,
    start: StartScreen,
    sidebar: Sidebar,
    query_bar: QueryBar,
    grid: Grid,
    status_bar: StatusBar,
    record_editor: RecordEditorPanel,
    aggregate: AggregatePanel,
    schema: SchemaPanel,
    explain: ExplainPanel,
    chart: ChartPanel,
    /// The close the user approved has been sent.
    quit_sent: bool,
    dialogs: DialogsUi,
    show_shortcuts: bool,
    show_about: bool,
    applied_theme: Option<ThemeChoice>,
    /// The settings as last saved: while they differ, a frame is scheduled
    /// after the save interval, because eframe only auto-saves from a frame
    /// and an idle window draws none.
    saved_settings: Settings,
    /// The window title last set: it names the open folder.
    title: String,
}

/// How often changed settings are saved.
const SAVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

impl StudioApp {
    pub fn new(
        cc: &eframe::CreationContext<'_>,
        config: StudioConfig,
        opener: Arc<dyn Opener + Sync>,
        sample: SampleBuilder,
    ) -> Self {
        let settings = config
            .settings
            .or_else(|| cc.storage.and_then(|s| eframe::get_value(s, STORAGE_KEY)))
            .unwrap_or_default();
        let ctx = cc.egui_ctx.clone();
        let notify: Notify = Arc::new(move || ctx.request_repaint());
        let saved_settings = settings.clone();
        let mut state = State::new(settings);
        let first_run = config.sample_on_first_run && state.settings.recent_folders.is_empty();
        if let Some(folder) = config.open_at_start {
            state.open_folder(folder, false);
        } else if config.open_sample_at_start || first_run {
            state.open_sample(sample_folder(&config.data_dir));
        }
        StudioApp {
            state,
            worker: WorkerHandle::new(opener, sample, notify),
            data_dir: config.data_dir,
            dialog: FolderDialog::default(),
            top_bar: TopBar,
            start: StartScreen::default(),
            sidebar: Sidebar,
            query_bar: QueryBar,
            grid: Grid::default(),
            status_bar: StatusBar,
            record_editor: RecordEditorPanel::default(),
            aggregate: AggregatePanel,
            schema: SchemaPanel,
            explain: ExplainPanel,
            chart: ChartPanel,
            quit_sent: false,
            dialogs: DialogsUi::default(),
            show_shortcuts: false,
            show_about: false,
            applied_theme: None,
            saved_settings,
            title: String::new(),
        }
    }

    /// The model the panels draw, for tests.
    pub fn state(&self) -> &State {
        &self.state
    }

    fn handle(&mut self, action: AppAction, ctx: &egui::Context) {
        match action {
            AppAction::PickFolder { create } => self.dialog.pick(create, ctx.clone()),
            AppAction::OpenSample => self.state.open_sample(sample_folder(&self.data_dir)),
            AppAction::SetTheme(theme) => self.state.settings.theme = theme,
            AppAction::CopySelection => {
                if let Some(json) = self.state.selection_json() {
                    ctx.copy_text(json);
                }
            }
            AppAction::ShowShortcuts => self.show_shortcuts = true,
            AppAction::ShowAbout => self.show_about = true,
            AppAction::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        let theme = self.state.settings.theme;
        if self.applied_theme != Some(theme) {
            ctx.set_theme(match theme {
                ThemeChoice::Dark => egui::Theme::Dark,
                ThemeChoice::Light => egui::Theme::Light,
            });
            self.applied_theme = Some(theme);
        }
    }

    /// Shortcuts are taken before the panels draw, so Ctrl+Enter runs the
    /// query instead of adding a line to the filter.
    fn shortcuts(&mut self, ctx: &egui::Context) -> Option<AppAction> {
        if ctx.input_mut(|i| i.consume_shortcut(&RUN)) && self.state.current.is_some() {
            self.state.run_query();
        }
        edit_shortcuts(ctx, &mut self.state);
        if ctx.input_mut(|i| i.consume_shortcut(&OPEN)) {
            return Some(AppAction::PickFolder { create: false });
        }
        // Winit turns Ctrl+C (Cmd+C) into a Copy event, not a key press.
        let copy = ctx.input(|i| i.events.iter().any(|e| matches!(e, egui::Event::Copy)));
        // In a text field Ctrl+C copies its text instead.
        if copy && !ctx.text_edit_focused() {
            return Some(AppAction::CopySelection);
        }
        None
    }

    fn update_title(&mut self, ctx: &egui::Context) {
        let title = match &self.state.folder {
            Some(folder) => {
                let name = folder.path.file_name().map_or_else(
                    || folder.path.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                );
                format!("{name} — FluxDB Studio")
            }
            None => "FluxDB Studio".to_owned(),
        };
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }

    fn send_outgoing(&mut self) {
        for message in self.state.take_outgoing() {
            match message {
                Outgoing::Request(request) => {
                    if let Some(failure) = self.worker.send(request) {
                        self.state.apply(failure);
                    }
                }
                Outgoing::Cancel => self.worker.cancel(),
                Outgoing::Discard(page) => {
                    std::thread::spawn(move || drop(page));
                }
            }
        }
    }

    fn windows_ui(&mut self, ctx: &egui::Context) {
        crate::studio::widgets::dialog_window(ctx, "Keyboard shortcuts")
            .open(&mut self.show_shortcuts)
            .resizable(false)
            .show(ctx, |ui| {
                egui::Grid::new("shortcuts").striped(true).show(ui, |ui| {
                    for (keys, what) in [
                        ("Ctrl+Enter", "Run the query"),
                        ("Ctrl+O", "Open a folder"),
                        ("Ctrl+C", "Copy the selected records as JSON"),
                        (
                            "Double-click a value / F2",
                            "Edit the cell (Enter stages, Esc cancels)",
                        ),
                        ("Del", "Stage the deletion of the selected records"),
                        ("Ctrl+S", "Write the pending changes"),
                        ("Ctrl+Z", "Undo the last edit"),
                        ("Click / Shift+click / Ctrl+click", "Select rows"),
                        ("Double-click a nested value", "Expand it"),
                        ("Click a column header", "Sort: ascending, descending, off"),
                        ("Drop a folder on the window", "Open it"),
                        (
                            "Drop a .fdb, .json, .jsonl or .csv file",
                            "Import it (the import dialog opens)",
                        ),
                    ] {
                        ui.label(RichText::new(keys).monospace());
                        ui.label(what);
                        ui.end_row();
                    }
                });
            });
        let open_folder = self
            .state
            .folder
            .as_ref()
            .map(|f| f.path.display().to_string());
        crate::studio::widgets::dialog_window(ctx, "About FluxDB Studio")
            .open(&mut self.show_about)
            .resizable(false)
            .show(ctx, |ui| {
                ui.label(format!("FluxDB Studio {}", env!("CARGO_PKG_VERSION")));
                ui.label("The desktop browser for FluxDB database folders.");
                ui.label(format!("License: {}", env!("CARGO_PKG_LICENSE")));
                match &open_folder {
                    Some(path) => ui.label(format!("Open database: {path}")),
                    None => ui.label("No database is open."),
                };
            });
    }
}

impl eframe::App for StudioApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        for event in self.worker.poll() {
            self.state.apply(event);
        }
        if let Some((create, path)) = self.dialog.poll() {
            self.state.open_folder(path, create);
        }
        // A folder dropped on the window opens it; a file to import opens
        // the import dialog with it.
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|file| file.path().to_path_buf())
                .collect()
        });
        if let Some(folder) = dropped.iter().find(|path| path.is_dir()) {
            self.state.open_folder(folder.clone(), false);
        } else if let Some(file) = dropped.first() {
            super::dialogs::open_dropped_file(&mut self.state, file);
        }
        // Closing the window with unwritten changes asks first.
        if ctx.input(|i| i.viewport().close_requested()) && !self.state.may_close() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
        }
        if self.state.edit.quit_approved && !self.quit_sent {
            self.quit_sent = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        // Reopening after a worker stop is a request too.
        self.send_outgoing();
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.apply_theme(&ctx);
        let mut actions = Vec::new();
        actions.extend(self.shortcuts(&ctx));

        egui::Panel::top("top_bar").show(ui, |ui| {
            actions.extend(self.top_bar.ui(ui, &mut self.state));
        });
        if self.state.folder.is_some() {
            egui::Panel::bottom("status_bar").show(ui, |ui| {
                self.status_bar.ui(ui, &mut self.state);
            });
            egui::Panel::left("sidebar")
                .resizable(true)
                .default_size(240.0)
                .min_size(140.0)
                .show(ui, |ui| self.sidebar.ui(ui, &mut self.state));
            if self.state.edit.record.open && self.state.current.is_some() {
                egui::Panel::right("record_editor")
                    .resizable(true)
                    .default_size(340.0)
                    .min_size(220.0)
                    .show(ui, |ui| self.record_editor.ui(ui, &mut self.state));
            }
            // The Schema and Chart tabs read what the query bar's filter
            // matches; Explain says how it was answered.
            if matches!(
                self.state.edit.tab,
                Tab::Documents | Tab::Schema | Tab::Chart | Tab::Explain
            ) {
                egui::Panel::top("query_bar").show(ui, |ui| {
                    self.query_bar.ui(ui, &mut self.state);
                });
            }
            egui::CentralPanel::default().show(ui, |ui| {
                if self.state.current.is_some() {
                    ui.horizontal(|ui| {
                        let tab = &mut self.state.edit.tab;
                        ui.selectable_value(tab, Tab::Documents, "Documents");
                        ui.selectable_value(tab, Tab::Aggregation, "Aggregation");
                        ui.selectable_value(tab, Tab::Schema, "Schema")
                            .on_hover_text(
                                "Every field of the records the filter matches, exactly",
                            );
                        ui.selectable_value(tab, Tab::Chart, "Chart").on_hover_text(
                            "Bars, histogram, scatter or line of every matching record",
                        );
                        ui.selectable_value(tab, Tab::Explain, "Explain")
                            .on_hover_text("How the query and the last pipeline were answered");
                        ui.separator();
                        ui.toggle_value(&mut self.state.edit.record.open, "Record editor")
                            .on_hover_text(
                                "Show the selected record as JSON, with New, Duplicate and Delete",
                            );
                    });
                    ui.separator();
                }
                match self.state.edit.tab {
                    Tab::Documents => actions.extend(self.grid.ui(ui, &mut self.state)),
                    Tab::Aggregation => self.aggregate.ui(ui, &mut self.state),
                    Tab::Schema => self.schema.ui(ui, &mut self.state),
                    Tab::Explain => self.explain.ui(ui, &mut self.state),
                    Tab::Chart => self.chart.ui(ui, &mut self.state),
                }
            });
        } else {
            egui::CentralPanel::default().show(ui, |ui| {
                actions.extend(self.start.ui(ui, &mut self.state));
            });
        }
        self.windows_ui(&ctx);
        pending_window_ui(&ctx, &mut self.state);
        bulk_window_ui(&ctx, &mut self.state);
        conflicts_window_ui(&ctx, &mut self.state);
        outcomes_window_ui(&ctx, &mut self.state);
        value_viewer_window_ui(&ctx, &mut self.state);
        guard_ui(&ctx, &mut self.state);
        self.dialogs.ui(&ctx, &mut self.state);
        self.update_title(&ctx);
        for action in actions {
            self.handle(action, &ctx);
        }
        self.send_outgoing();
        if self.state.settings != self.saved_settings {
            ctx.request_repaint_after(SAVE_INTERVAL + std::time::Duration::from_millis(200));
        }
    }

    /// Settings are small: save often, so a crash or a kill loses little.
    fn auto_save_interval(&self) -> std::time::Duration {
        SAVE_INTERVAL
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, &self.state.settings);
        self.saved_settings = self.state.settings.clone();
    }
}
