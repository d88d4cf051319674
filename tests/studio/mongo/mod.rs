//! Studio on a MongoDB server: browsing, sorting, editing and writing (in
//! one transaction, or one by one on a connection told the server has no
//! transactions), the server's plan in the status bar and the Explain tab,
//! the Connect dialog, and a server that refuses (an error, the window
//! alive). Ignored unless asked for; then `FLUXDB_TEST_MONGODB_URI` names
//! the server (tests/mongodb/README.md). Each test uses a database of its
//! own. The dialogs on a server are in `dialogs.rs`, Cancel and a server
//! that goes away in `outage.rs`; the helpers here serve all three.

#![cfg(feature = "mongodb")]

mod dialogs;
mod outage;

use std::net::TcpListener;
use std::path::Path;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use std::sync::Arc;

use fluxdb::backend::copy_collection;
use fluxdb::engine::{Find, FluxDB};
use fluxdb::mongo::MongoServer;
use fluxdb::studio::worker::server::ServerDatabase;
use fluxdb::studio::worker::{Database, EngineOpener, OpenMode, Opener};
use serde_json::{Value, json};

use crate::support::{
    App, PEOPLE, TempDb, config, double_click, harness, harness_with, last_error, page_ids, retype,
    set_text, step_until, temp_db, wait_for_error, wait_for_label, wait_idle, write_and_wait,
};

pub fn server_uri() -> String {
    std::env::var("FLUXDB_TEST_MONGODB_URI")
        .unwrap_or_else(|_| {
            panic!("set FLUXDB_TEST_MONGODB_URI=mongodb://HOST:PORT (see tests/mongodb/README.md)")
        })
        .trim_end_matches('/')
        .to_owned()
}

/// nx-27017 lists databases by opening each one's file, and fails ("disk
/// I/O error") on a file being dropped at that moment; the tests run in
/// parallel, so listing (every connection does, as does the Connect
/// dialog's Test) and dropping a database take turns.
static CATALOGUE: RwLock<()> = RwLock::new(());

/// Held while connecting to the shared server, so no database is dropped.
pub fn listing() -> RwLockReadGuard<'static, ()> {
    CATALOGUE.read().unwrap_or_else(PoisonError::into_inner)
}

/// The test folder's collections on a database of the server's own,
/// dropped at the end.
pub struct ServerDb {
    pub name: String,
    pub uri: String,
}

impl ServerDb {
    pub fn copied_from(folder: &TempDb, test: &str) -> ServerDb {
        ServerDb::copied_to(&server_uri(), folder, test)
    }

    /// The folder's collections on the server at `base` (`mongodb://HOST:PORT`).
    pub fn copied_to(base: &str, folder: &TempDb, test: &str) -> ServerDb {
        let _listing = listing();
        let name = format!("fluxdb_studio_{test}_{}", std::process::id());
        let uri = format!("{base}/{name}");
        let source = FluxDB::open_read_only(folder.path()).expect("the test folder");
        let mut server = MongoServer::connect(&uri).expect("the test server");
        for collection in ["people", "visits"] {
            copy_collection(&source, &mut server, collection, &mut |_, _| {})
                .expect("copy to the server");
        }
        ServerDb { name, uri }
    }

    pub fn server(&self) -> MongoServer {
        let _listing = listing();
        MongoServer::connect(&self.uri).expect("the test server")
    }

    /// A collection's documents as the server keeps them, by `_id`.
    pub fn documents(&self, collection: &str) -> Vec<Value> {
        let mut docs = Vec::new();
        self.server()
            .find_each(
                collection,
                &Find::new(json!({})).sort(json!({"_id": 1})),
                &mut |doc| {
                    docs.push(Value::Object(doc));
                    Ok(())
                },
            )
            .expect("read the collection back");
        docs
    }
}

impl Drop for ServerDb {
    fn drop(&mut self) {
        let _dropping = CATALOGUE.write().unwrap_or_else(PoisonError::into_inner);
        if let Ok(server) = MongoServer::connect(&self.uri) {
            let _ = server.drop_database();
        }
    }
}

/// The test folder copied to the server and open in Studio there, its
/// first page shown and the worker idle.
pub fn opened_on_server(test: &str) -> (TempDb, ServerDb, App) {
    opened_on_server_with(test, Arc::new(EngineOpener))
}

fn opened_on_server_with(test: &str, opener: Arc<dyn Opener + Sync>) -> (TempDb, ServerDb, App) {
    let folder = temp_db();
    let server = ServerDb::copied_from(&folder, test);
    let listing = listing();
    let mut harness = harness_with(
        config(Some(Path::new(&server.uri)), folder.dir.path()),
        opener,
    );
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    drop(listing);
    (folder, server, harness)
}

/// Opens a server as a standalone one would be: no transactions, so a
/// Write goes one by one (nx-27017, the test server, has them).
struct WithoutTransactions;

impl Opener for WithoutTransactions {
    fn open(&self, path: &Path, _mode: OpenMode) -> fluxdb::Result<Box<dyn Database>> {
        Ok(Box::new(
            ServerDatabase::connect(path)?.without_transactions(),
        ))
    }
}

/// A unique index on `field` (through the driver: FluxDB makes none), so
/// the server refuses a write that repeats a value.
fn unique_index(uri: &str, collection: &str, field: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let client = mongodb::Client::with_uri_str(uri)
            .await
            .expect("the driver");
        let database = client.default_database().expect("the URI's database");
        let options = mongodb::options::IndexOptions::builder()
            .unique(true)
            .build();
        let model = mongodb::IndexModel::builder()
            .keys(mongodb::bson::doc! {field: 1})
            .options(options)
            .build();
        database
            .collection::<mongodb::bson::Document>(collection)
            .create_index(model)
            .await
            .expect("a unique index");
    });
}

/// Stages two cell edits: `Person 001` renamed (the server takes it) and
/// `Person 002` given `Person 000`'s name (its unique index refuses it).
fn stage_one_good_and_one_refused_edit(harness: &mut App) {
    for (cell, text) in [
        ("Person 001", "Person renamed"),
        ("Person 002", "Person 000"),
    ] {
        double_click(harness, cell);
        retype(harness, text);
        harness.key_press(egui::Key::Enter);
        harness.run_steps(2);
    }
    harness.get_by_label("2 pending changes");
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    step_until(harness, "the write to finish", |h| {
        let state = h.state().state();
        !state.edit.writing && state.status.busy.is_none()
    });
}

fn name_of(server: &MongoServer, id: &str) -> Option<serde_json::Value> {
    server
        .get("people", id)
        .expect("read back")
        .and_then(|record| record.get("name").cloned())
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_server_collection_browses_sorts_and_writes_as_a_folder_does() {
    let (_folder, server, mut harness) = opened_on_server("browse");
    harness.get_by_label("people");
    harness.get_by_label("visits");
    harness.get_by_label("Person 000");
    harness.get_by_label("people: 120 matched");
    // Header sort: the server sorts the whole result.
    harness.get_by_label("name").click();
    wait_for_label(&mut harness, "name ⬆");
    wait_idle(&mut harness);
    harness.get_by_label("name ⬆").click();
    wait_for_label(&mut harness, "name ⬇");
    wait_idle(&mut harness);
    assert_eq!(page_ids(&harness).first().map(String::as_str), Some("p119"));
    // Paging.
    harness.get_by_label("Next ›").click();
    wait_for_label(&mut harness, "51–100 of 120");
    harness.get_by_label("« First").click();
    wait_for_label(&mut harness, "1–50 of 120");
    wait_idle(&mut harness);
    // A cell edit staged, then written to the server.
    harness.get_by_label("Record editor").click();
    harness.run_steps(2);
    double_click(&mut harness, "Person 119");
    retype(&mut harness, "Person last");
    harness.key_press(egui::Key::Enter);
    harness.run_steps(2);
    harness.get_by_label("1 pending change");
    write_and_wait(&mut harness);
    // nx-27017 runs transactions; a standalone server writes one by one.
    if server.server().supports_transactions().expect("the probe") {
        wait_for_label(&mut harness, "Wrote 1 change in one transaction");
    } else {
        wait_for_label(&mut harness, "Written one by one: 1 written, 0 failed");
    }
    assert!(
        harness.state().state().status.last_error.is_none(),
        "{:?}",
        harness.state().state().status.last_error
    );
    let stored = server.server().get("people", "p119").expect("read back");
    assert_eq!(
        stored.as_ref().and_then(|r| r.get("name")),
        Some(&json!("Person last"))
    );
    assert_eq!(
        stored.as_ref().and_then(|r| r.get("age")),
        Some(&json!(20 + (119 * 7) % 50)),
        "other fields keep their types"
    );
    // The recent list keeps the connection.
    let recent = &harness.state().state().settings.recent_folders;
    assert!(
        recent
            .iter()
            .any(|f| f.to_string_lossy().ends_with(&server.name))
    );
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn the_connect_dialog_tests_lists_the_databases_and_opens_one() {
    let folder = temp_db();
    let server = ServerDb::copied_from(&folder, "dialog");
    let _listing = listing();
    let mut harness = harness(config(None, folder.dir.path()));
    harness.run_steps(2);
    harness.get_by_label("🌐 Connect to MongoDB…").click();
    harness.run_steps(2);
    set_text(&mut harness, "URI", &server_uri());
    harness.get_by_label("Test").click();
    harness.run_steps(1);
    wait_for_label(&mut harness, "Connected to");
    harness.get_by_label(&server.name).click();
    harness.run_steps(2);
    harness.get_by_label("Connect").click();
    wait_for_label(&mut harness, "1–50 of 120");
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_server_that_refuses_is_an_error_in_the_status_bar_and_the_window_lives() {
    let folder = temp_db();
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    let uri = format!("mongodb://127.0.0.1:{port}/nothing?serverSelectionTimeoutMS=1500");
    let mut harness = harness(config(Some(Path::new(&uri)), folder.dir.path()));
    let error = wait_for_error(&mut harness, "the connection to fail");
    assert!(error.contains("connection refused"), "{error}");
    // The window goes on: its buttons still answer.
    harness.get_by_label("🌐 Connect to MongoDB…").click();
    harness.run_steps(2);
    harness.get_by_label("Test");
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn copy_to_puts_a_folder_collection_on_a_server_with_its_index() {
    let (folder, mut harness) = crate::support::opened();
    let name = format!("fluxdb_studio_copyto_{}", std::process::id());
    let uri = format!("{}/{name}", server_uri());
    let _cleanup = ServerDb {
        name,
        uri: uri.clone(),
    };
    let _listing = listing();
    crate::support::context_menu(&mut harness, "people", "Copy to…");
    set_text(&mut harness, "Destination", &uri);
    harness.get_by_label("Copy").click();
    crate::support::wait_notice(&mut harness, "Copied 120 records of people");
    let server = MongoServer::connect(&uri).expect("the test server");
    assert_eq!(server.count("people", &json!({})).ok(), Some(120));
    let indexed: Vec<String> = server
        .indexes("people")
        .expect("indexes")
        .iter()
        .filter_map(|index| index.single_field().map(str::to_owned))
        .collect();
    assert_eq!(indexed, ["age"]);
    drop(folder);
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn the_status_bar_and_the_explain_tab_show_the_servers_plan() {
    let (_folder, _server, mut harness) = opened_on_server("explain");
    // No filter: the server reads the whole collection.
    wait_for_label(&mut harness, "server plan: full scan");
    set_text(&mut harness, "Filter", r#"{"age": {"$gte": 60}}"#);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_for_label(&mut harness, "server plan: index age");
    wait_idle(&mut harness);
    let old = (0..PEOPLE).filter(|i| 20 + (i * 7) % 50 >= 60).count();
    let explain = harness
        .state()
        .state()
        .status
        .explain
        .clone()
        .expect("the page's plan");
    assert_eq!(explain.index.as_deref(), Some("age"));
    assert_eq!(explain.returned, old.min(50));
    assert_eq!(explain.total, PEOPLE);
    let plan = explain.server.expect("the server's own plan");
    assert!(!plan.stages.is_empty(), "the plan's stages");
    if plan.counted {
        assert!(explain.examined >= explain.returned);
    } else {
        assert_eq!(explain.examined, 0, "no count is made up");
    }

    harness.get_by_label("Explain").click();
    harness.run_steps(2);
    harness.get_by_label(&format!(
        "the index on age, of {PEOPLE} in the collection (the server's plan)"
    ));
    harness.get_by_label("Plan on the server");
    harness.get_by_label(&format!("1. {}", plan.stages[0]));
    harness.get_by_label(&format!("{} records", old.min(50)));
    let filter_line = if plan.counted {
        format!(
            "{{\"age\": {{\"$gte\": 60}}}}: {} examined",
            explain.examined
        )
    } else {
        "{\"age\": {\"$gte\": 60}}: the server does not say how many it examined".to_owned()
    };
    harness.get_by_label(&filter_line);
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_write_the_server_refuses_part_way_writes_nothing_in_one_transaction() {
    let (_folder, server, mut harness) = opened_on_server("refused");
    let direct = server.server();
    if !direct.supports_transactions().expect("the probe") {
        eprintln!("this server runs no transactions: see the one-by-one test");
        return;
    }
    unique_index(&server.uri, "people", "name");
    stage_one_good_and_one_refused_edit(&mut harness);
    let error = last_error(&harness);
    let state = harness.state().state();
    assert!(error.contains("duplicate key"), "{error}");
    assert!(
        error.contains("(in one transaction, aborted: nothing was written)"),
        "{error}"
    );
    assert_eq!(state.edit.pending.len(), 2, "both stay staged");
    assert!(state.edit.outcomes.is_empty());
    // The server has neither: the rename before the refused change too was
    // rolled back.
    assert_eq!(name_of(&direct, "p001"), Some(json!("Person 001")));
    assert_eq!(name_of(&direct, "p002"), Some(json!("Person 002")));
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn without_transactions_a_write_goes_one_by_one_and_shows_how_each_change_went() {
    let (_folder, server, mut harness) =
        opened_on_server_with("onebyone", Arc::new(WithoutTransactions));
    unique_index(&server.uri, "people", "name");
    stage_one_good_and_one_refused_edit(&mut harness);
    wait_for_label(&mut harness, "Written one by one: 1 written, 1 failed");
    // The window lists each change: the rename written, the other refused.
    harness.get_by_label("Written one by one");
    harness.get_by_label("✔ written");
    harness.get_by_label("✖ failed");
    assert!(
        harness
            .query_all_by_label_contains("duplicate key")
            .next()
            .is_some(),
        "the failure says why"
    );
    let state = harness.state().state();
    let outcomes: Vec<(&str, bool)> = state
        .edit
        .outcomes
        .iter()
        .map(|o| {
            (
                o.id.as_str(),
                o.outcome == fluxdb::studio::worker::edit::Outcome::Written,
            )
        })
        .collect();
    assert_eq!(outcomes, [("p001", true), ("p002", false)]);
    let left: Vec<&str> = state.edit.pending.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(left, ["p002"], "the refused change stays staged");
    let direct = server.server();
    assert_eq!(name_of(&direct, "p001"), Some(json!("Person renamed")));
    assert_eq!(name_of(&direct, "p002"), Some(json!("Person 002")));
    // Show pending changes: the window goes, the pending list opens.
    harness.get_by_label("Show pending changes").click();
    harness.run_steps(2);
    assert!(harness.state().state().edit.outcomes.is_empty());
    assert!(harness.state().state().edit.show_pending);
}
