//! Shared setup: a temporary database, the app in a harness, and waiting for
//! the worker without fixed sleeps.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use fluxdb::engine::FluxDB;
use fluxdb::studio::backend::Opener;
use fluxdb::studio::engine_link::EngineOpener;
use fluxdb::studio::sample::build_sample;
use fluxdb::studio::settings::Settings;
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

pub fn config(open: Option<&Path>, data_dir: &Path) -> StudioConfig {
    StudioConfig {
        data_dir: data_dir.to_path_buf(),
        open_at_start: open.map(Path::to_path_buf),
        open_sample_at_start: false,
        settings: Some(Settings::default()),
    }
}

pub fn harness(config: StudioConfig) -> Harness<'static, StudioApp> {
    harness_with(config, Arc::new(EngineOpener))
}

pub fn harness_with(
    config: StudioConfig,
    opener: Arc<dyn Opener + Sync>,
) -> Harness<'static, StudioApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| StudioApp::new(cc, config, opener, Arc::new(build_sample)))
}

/// Steps the app until `done` holds, failing after a few seconds. The worker
/// answers on its own thread, so frames run until its events arrive.
#[track_caller]
pub fn step_until(
    harness: &mut Harness<'static, StudioApp>,
    what: &str,
    done: impl Fn(&Harness<'static, StudioApp>) -> bool,
) {
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
pub fn wait_for_label(harness: &mut Harness<'static, StudioApp>, text: &str) {
    let text = text.to_owned();
    step_until(harness, &format!("a label containing {text:?}"), move |h| {
        h.query_all_by_label_contains(&text).next().is_some()
    });
}

/// Steps until the worker is idle and nothing is loading.
#[track_caller]
pub fn wait_idle(harness: &mut Harness<'static, StudioApp>) {
    step_until(harness, "the worker to go idle", |h| {
        let state = h.state().state();
        state.status.busy.is_none()
            && state.opening.is_none()
            && state.current.as_ref().is_none_or(|v| !v.loading)
    });
}

/// The `_id`s of the page the grid shows.
pub fn page_ids(harness: &Harness<'static, StudioApp>) -> Vec<String> {
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
pub fn copied_text(harness: &Harness<'static, StudioApp>) -> Option<String> {
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
pub fn type_into(harness: &mut Harness<'static, StudioApp>, label: &str, text: &str) {
    harness.get_by_label(label).focus();
    harness.run_steps(1);
    harness.get_by_label(label).type_text(text);
    harness.run_steps(1);
}
