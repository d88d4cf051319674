//! The start screen: what it offers, opening by typed path, and the errors.

use egui_kittest::kittest::Queryable;
use fluxdb::studio::app::StudioConfig;
use fluxdb::studio::settings::Settings;

use crate::support::{
    config, drop_on_window, harness, step_until, temp_db, type_into, wait_for_label, wait_idle,
};

#[test]
fn start_screen_offers_open_new_sample_and_recent_folders() {
    let db = temp_db();
    let mut config = config(None, db.dir.path());
    let mut settings = Settings::default();
    settings.remember_folder(&db.path());
    config.settings = Some(settings);
    let mut harness = harness(config);
    harness.run();
    harness.get_by_label_contains("Open folder…");
    harness.get_by_label_contains("New database…");
    harness.get_by_label_contains("Open sample database");
    harness.get_by_label("Recent folders");
    harness.get_by_label(&db.path().display().to_string());
}

#[test]
fn a_recent_folder_opens_with_one_click() {
    let db = temp_db();
    let mut config = config(None, db.dir.path());
    let mut settings = Settings::default();
    settings.remember_folder(&db.path());
    config.settings = Some(settings);
    let mut harness = harness(config);
    harness.run();
    harness
        .get_by_label(&db.path().display().to_string())
        .click();
    wait_for_label(&mut harness, "1–50 of 120");
}

#[test]
fn typing_a_path_and_pressing_open_shows_the_collections() {
    let db = temp_db();
    let mut harness = harness(config(None, db.dir.path()));
    harness.run();
    type_into(
        &mut harness,
        "Folder path",
        &db.path().display().to_string(),
    );
    harness.get_by_label("Open").click();
    wait_for_label(&mut harness, "visits");
    wait_idle(&mut harness);
    harness.get_by_label("people");
    harness.get_by_label("Collections");
}

#[test]
fn opening_a_missing_folder_says_so_and_stays_on_the_start_screen() {
    let db = temp_db();
    let missing = db.dir.path().join("not-there");
    let mut harness = harness(config(None, db.dir.path()));
    harness.run();
    type_into(&mut harness, "Folder path", &missing.display().to_string());
    harness.get_by_label("Open").click();
    wait_for_label(&mut harness, "no such folder");
    assert!(harness.state().state().folder.is_none());
    assert!(!missing.exists(), "opening must not create the folder");
}

#[test]
fn new_database_creates_an_empty_folder() {
    let db = temp_db();
    let fresh = db.dir.path().join("fresh-db");
    let mut harness = harness(config(None, db.dir.path()));
    harness.run();
    type_into(&mut harness, "Folder path", &fresh.display().to_string());
    harness.get_by_label("Create").click();
    wait_for_label(&mut harness, "No collections in this folder");
    assert!(fresh.is_dir());
}

#[test]
fn the_sample_database_is_created_in_the_data_folder_and_opened() {
    let data = tempfile::tempdir().expect("temporary folder");
    let mut harness = harness(config(None, data.path()));
    harness.run();
    harness
        .get_by_label_contains("Open sample database")
        .click();
    step_until(&mut harness, "the sample to open", |h| {
        h.state().state().folder.is_some()
    });
    wait_idle(&mut harness);
    let state = harness.state().state();
    assert!(!state.collections.is_empty());
    assert!(data.path().join("sample-db").is_dir());
    // A second open uses the folder made the first time.
    assert!(
        state.status.last_error.is_none(),
        "{:?}",
        state.status.last_error
    );
}

#[test]
fn a_folder_dropped_on_the_start_screen_opens_it() {
    let db = temp_db();
    let mut harness = harness(config(None, db.dir.path()));
    harness.run();
    drop_on_window(&mut harness, &db.path());
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    assert_eq!(
        harness
            .state()
            .state()
            .folder
            .as_ref()
            .map(|f| f.path.clone()),
        Some(db.path())
    );
}

#[test]
fn a_first_run_without_a_folder_opens_the_sample_and_later_runs_show_the_start_screen() {
    let data = tempfile::tempdir().expect("temporary folder");
    let first_run = StudioConfig {
        sample_on_first_run: true,
        ..config(None, data.path())
    };
    let mut first = harness(first_run);
    step_until(&mut first, "the sample to open", |h| {
        h.state().state().folder.is_some()
    });
    wait_idle(&mut first);
    assert!(data.path().join("sample-db").is_dir());
    assert!(!first.state().state().collections.is_empty());
    drop(first);

    // A later run, with a folder in the recent list: the start screen.
    let mut settings = Settings::default();
    settings.remember_folder(&data.path().join("sample-db"));
    let later_run = StudioConfig {
        sample_on_first_run: true,
        settings: Some(settings),
        ..config(None, data.path())
    };
    let mut later = harness(later_run);
    later.run();
    assert!(later.state().state().folder.is_none());
    later.get_by_label_contains("Open sample database");
}
