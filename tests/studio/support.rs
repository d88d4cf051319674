//! Shared setup: a temporary database, the app in a harness, and waiting for
//! the worker without fixed sleeps.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use fluxdb::Document;
use fluxdb::engine::{Find, FluxDB};
use fluxdb::studio::sample::build_sample;
use fluxdb::studio::settings::Settings;
use fluxdb::studio::worker::{EngineOpener, Opener};
use fluxdb::studio::{StudioApp, StudioConfig};
use serde_json::json;

pub const PEOPLE: usize = 120;
const CITIES: [&str; 4] = ["Lyon", "Oslo", "Lima", "Kyiv"];

/// A database folder with `people` (120 records, `age` indexed) and `visits`.
pub struct TempDb {
    pub dir: tempfile::TempDir,
}

impl TempDb {
    pub fn path(&self) -> PathBuf {
        self.dir.path().join("shop")
    }
}

pub fn temp_db() -> TempDb {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("shop");
    let mut db = FluxDB::open(&path).expect("create the test database");
    db.create_collection("people", &["age"])
        .expect("create people");
    let people = (0..PEOPLE)
        .map(|i| {
            json!({
                "_id": format!("p{i:03}"),
                "name": format!("Person {i:03}"),
                "age": 20 + (i * 7) % 50,
                "city": CITIES[i % CITIES.len()],
                "tags": ["a", i % 3],
                "address": {"street": format!("{i} Main St"), "zip": 1000 + i},
            })
        })
        .collect();
    db.insert_many("people", people).expect("insert people");
    db.create_collection::<&str>("visits", &[])
        .expect("create visits");
    db.insert_many("visits", vec![json!({"_id": "v1", "total": 9.5})])
        .expect("insert visits");
    db.flush().expect("flush");
    TempDb { dir }
}

/// `temp_db` open in the app, its first page shown and the worker idle.
pub fn opened() -> (TempDb, App) {
    let db = temp_db();
    let mut harness = harness(config(Some(&db.path()), db.dir.path()));
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    (db, harness)
}

/// The app under test.
pub type App = Harness<'static, StudioApp>;

pub fn config(open: Option<&Path>, data_dir: &Path) -> StudioConfig {
    StudioConfig {
        data_dir: data_dir.to_path_buf(),
        open_at_start: open.map(Path::to_path_buf),
        open_sample_at_start: false,
        sample_on_first_run: false,
        settings: Some(Settings::default()),
    }
}

pub fn harness(config: StudioConfig) -> App {
    harness_with(config, Arc::new(EngineOpener))
}

pub fn harness_with(config: StudioConfig, opener: Arc<dyn Opener + Sync>) -> App {
    // Frames 1/60 s apart (the default is 1/4 s), so two clicks a frame
    // apart make a double-click as they do for a person.
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_step_dt(1.0 / 60.0)
        .build_eframe(move |cc| StudioApp::new(cc, config, opener, Arc::new(build_sample)))
}

/// Steps the app until `done` holds, failing after a few seconds. The worker
/// answers on its own thread, so frames run until its events arrive.
#[track_caller]
pub fn step_until(harness: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        harness.step();
        if done(harness) {
            // One more frame so the UI shows what the state now holds.
            harness.step();
            return;
        }
        if Instant::now() >= deadline {
            let state = harness.state().state();
            panic!(
                "timed out waiting for {what}; folder {:?}, opening {:?}, status {:?}, showing {:?}",
                state.folder,
                state.opening,
                state.status,
                state
                    .current
                    .as_ref()
                    .map(|v| (&v.name, v.loading, &v.total, state.range_label())),
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[track_caller]
pub fn wait_for_label(harness: &mut App, text: &str) {
    let text = text.to_owned();
    step_until(harness, &format!("a label containing {text:?}"), move |h| {
        h.query_all_by_label_contains(&text).next().is_some()
    });
}

/// Steps until the worker is idle and nothing is loading.
#[track_caller]
/// The status bar's error, as it reads (empty if there is none).
pub fn last_error(harness: &App) -> String {
    harness
        .state()
        .state()
        .status
        .last_error
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Steps until the status bar shows an error (`what` failing), and gives it.
pub fn wait_for_error(harness: &mut App, what: &str) -> String {
    step_until(harness, what, |h| {
        h.state().state().status.last_error.is_some()
    });
    last_error(harness)
}

pub fn wait_idle(harness: &mut App) {
    step_until(harness, "the worker to go idle", |h| {
        let state = h.state().state();
        state.status.busy.is_none()
            && state.opening.is_none()
            && state.current.as_ref().is_none_or(|v| !v.loading)
    });
}

/// The `_id`s of the page the grid shows.
pub fn page_ids(harness: &App) -> Vec<String> {
    harness
        .state()
        .state()
        .current
        .as_ref()
        .and_then(|view| view.page.as_ref())
        .map(|page| {
            page.docs
                .iter()
                .filter_map(|doc| doc.get("_id").and_then(|id| id.as_str()).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Text the app put on the clipboard in the last frame.
pub fn copied_text(harness: &App) -> Option<String> {
    harness
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|command| match command {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
}

/// Focuses the text field labelled `label` and types `text` at its cursor.
pub fn type_into(harness: &mut App, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(1);
}

/// Replaces the text of the field labelled `label`.
pub fn set_text(harness: &mut App, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    retype(harness, text);
    harness.run_steps(1);
}

/// Replaces the focused field's text.
pub fn retype(harness: &mut App, text: &str) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::A);
    harness.run_steps(1);
    harness.event(egui::Event::Text(text.to_owned()));
    harness.run_steps(1);
}

pub fn click(harness: &mut App, label: &str) {
    harness.get_by_label(label).click();
    harness.run_steps(2);
}

pub fn double_click(harness: &mut App, label: &str) {
    // Half a second after any earlier click, so this is not a triple-click.
    harness.run_steps(30);
    harness.get_by_label(label).click();
    harness.run_steps(1);
    harness.get_by_label(label).click();
    harness.run_steps(2);
}

/// Right-clicks a sidebar row and picks a context menu item.
pub fn context_menu(harness: &mut App, collection: &str, item: &str) {
    harness.get_by_label(collection).click_secondary();
    harness.run_steps(2);
    harness.get_by_label(item).click();
    harness.run_steps(2);
}

/// Steps until the status line's notice contains `text` (a job finished).
#[track_caller]
pub fn wait_notice(harness: &mut App, text: &str) {
    let wanted = text.to_owned();
    step_until(harness, &format!("the notice {text:?}"), move |h| {
        let state = h.state().state();
        if let Some(error) = &state.status.last_error {
            panic!("a job failed: {error}");
        }
        state
            .status
            .notice
            .as_ref()
            .is_some_and(|n| n.contains(&wanted))
    });
    wait_idle(harness);
}

/// Writes the pending changes with Ctrl+S and waits for the worker.
pub fn write_and_wait(harness: &mut App) {
    harness.key_press_modifiers(Modifiers::COMMAND, Key::S);
    step_until(harness, "the write to finish", |h| {
        let state = h.state().state();
        !state.edit.writing && (state.edit.pending.is_empty() || !state.edit.conflicts.is_empty())
    });
    wait_idle(harness);
}

/// A collection's records as stored, read through the engine's read-only view.
pub fn records(folder: &Path, collection: &str) -> Vec<Document> {
    let db = FluxDB::open_read_only(folder).expect("reopen the folder");
    db.find(collection, &Find::new(json!({})))
        .expect("read the collection")
}

/// The folder's collections as stored.
pub fn collections(folder: &Path) -> Vec<String> {
    FluxDB::open_read_only(folder)
        .expect("reopen the folder")
        .list_collections()
}

/// Copies a fixture tree; the copies are writable (the fixtures are not).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create the copy");
    for entry in std::fs::read_dir(from).expect("read the fixture") {
        let path = entry.expect("fixture entry").path();
        let Some(name) = path.file_name() else {
            continue;
        };
        let target = to.join(name);
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy a fixture file");
            let mut permissions = std::fs::metadata(&target)
                .expect("read the copy's permissions")
                .permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            permissions.set_readonly(false);
            std::fs::set_permissions(&target, permissions).expect("make the copy writable");
        }
    }
}

/// A writable copy of the `basic` folder the Python FluxDB 0.1 library wrote.
pub fn python_folder() -> (tempfile::TempDir, PathBuf) {
    let fixture = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/legacy-v0.1/basic"
    ));
    let tmp = tempfile::tempdir().expect("temporary folder");
    let db = tmp.path().join("python-db");
    copy_tree(&fixture, &db);
    (tmp, db)
}

/// A file or folder a file manager drops on the window.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| format!("{}: {e}", self.0.display()))
    }
}

/// Drops a file or folder on the window, as a file manager does.
pub fn drop_on_window(harness: &mut App, path: &Path) {
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_path_buf())));
    harness.run_steps(2);
}

/// Whether the widget labelled `label` is greyed out.
pub fn is_disabled(harness: &App, label: &str) -> bool {
    harness.get_by_label(label).accesskit_node().is_disabled()
}

/// How big the big values of [`big_values_db`] are: the bench uses a
/// record's limit (16 MiB), the tests smaller ones (debug builds).
#[derive(Clone, Copy, Debug)]
pub struct BigSizes {
    /// The string of `big-string`.
    pub string_bytes: usize,
    /// The JSON text of the whole `big-record`.
    pub record_bytes: usize,
    /// The elements of `big-array`'s `items`.
    pub array_items: usize,
}

/// The first words of the big string, to find its cell by.
pub const BIG_STRING_START: &str = "BIGSTRING lorem ipsum";

/// The ids of the big records, in the order they were inserted (first).
pub const BIG_IDS: [&str; 4] = ["big-string", "big-record", "big-array", "deep"];

/// A folder with collection `big`: a record with a long string, one near
/// the 16 MiB limit (long strings, an array of objects, a wide object), one
/// with a long array, one nested 100 levels (the engine's limit), then 100
/// small records.
pub fn big_values_db(path: &Path, sizes: BigSizes) {
    let mut db = FluxDB::open(path).expect("create the big-values database");
    db.create_collection::<&str>("big", &[])
        .expect("create big");
    let mut text = String::with_capacity(sizes.string_bytes + 100);
    text.push_str(BIG_STRING_START);
    let mut line = 0;
    while text.len() < sizes.string_bytes {
        line += 1;
        text.push_str(&format!(
            " line {line} of a long text, dolor sit amet, consectetur adipiscing elit;"
        ));
        if line % 40 == 0 {
            text.push('\n');
        }
    }
    text.truncate(sizes.string_bytes);
    let rows: Vec<serde_json::Value> = (0..sizes.record_bytes / 2 / 100)
        .map(|i| json!({"i": i, "label": format!("row {i}"), "tags": ["x", "y"]}))
        .collect();
    let lookup: serde_json::Map<String, serde_json::Value> = (0..sizes.record_bytes / 8 / 200)
        .map(|i| (format!("key{i:05}"), json!(format!("{i:0>180}"))))
        .collect();
    let mut record = json!({
        "_id": "big-record", "name": "Big record", "title": "near the 16 MiB limit",
        "rows": rows, "lookup": lookup,
    });
    let used = serde_json::to_string(&record).map_or(0, |t| t.len());
    let blob_bytes = sizes.record_bytes.saturating_sub(used);
    record["blob"] = json!("BLOB ".repeat(blob_bytes / 5));
    let mut nested = json!({"level": 99, "leaf": true});
    for level in (1..99).rev() {
        nested = json!({"level": level, "child": nested});
    }
    let big = vec![
        json!({"_id": "big-string", "name": "Big string", "text": text}),
        record,
        json!({"_id": "big-array", "name": "Big array", "items": (0..sizes.array_items).collect::<Vec<_>>()}),
        json!({"_id": "deep", "name": "Deep", "nested": nested}),
    ];
    for doc in big {
        db.insert_many("big", vec![doc])
            .expect("insert a big record");
    }
    let small = (0..100)
        .map(|i| json!({"_id": format!("s{i:03}"), "name": format!("Small {i:03}"), "age": 20 + i % 50}))
        .collect();
    db.insert_many("big", small)
        .expect("insert the small records");
    db.close().expect("close");
}
