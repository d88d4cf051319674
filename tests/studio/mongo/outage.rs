//! Studio on a server that is slow or goes away: Cancel stops the wait for
//! a slow count as it does on a folder, and a server killed in the middle
//! of a query is an error in the status bar while the window goes on.
//!
//! Each test starts a private nx-27017 (`FLUXDB_TEST_NX27017`, the server
//! executable itself; tests/mongodb/README.md) on a free port, so that
//! making it slow or killing it disturbs no other test. A slow query there
//! is a filter whose regular expression backtracks exponentially over one
//! document (`^(a+)+$` against `aaa…a!`): each letter doubles its time.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use fluxdb::mongo::MongoServer;
use serde_json::json;

use crate::support::{
    App, config, drop_on_window, harness, last_error, set_text, step_until, temp_db,
    wait_for_label, wait_idle,
};

/// The filter that backtracks over the slow document.
const SLOW_FILTER: &str = r#"{"text": {"$regex": "^(a+)+$"}}"#;

/// A private nx-27017, killed when dropped.
struct PrivateServer {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl PrivateServer {
    fn start() -> PrivateServer {
        let program = std::env::var_os("FLUXDB_TEST_NX27017").unwrap_or_else(|| {
            panic!(
                "set FLUXDB_TEST_NX27017 to the nx-27017 executable (see tests/mongodb/README.md)"
            )
        });
        let dir = tempfile::tempdir().expect("a folder for the server");
        let port = {
            let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
            listener.local_addr().expect("its address").port()
        };
        let out = std::fs::File::create(dir.path().join("out")).expect("the server's output");
        let child = Command::new(&program)
            .args(["--host", "127.0.0.1", "-p", &port.to_string()])
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .arg("--pid-file")
            .arg(dir.path().join("pid"))
            .arg("--log-file")
            .arg(dir.path().join("log"))
            // It keeps its SQLite file in the working folder.
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("the output again"))
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", Path::new(&program).display()));
        let mut server = PrivateServer { child, port, dir };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            let exited = self.child.try_wait().ok().flatten();
            if exited.is_some() || Instant::now() >= deadline {
                let out = std::fs::read_to_string(self.dir.path().join("out")).unwrap_or_default();
                panic!("nx-27017 did not start ({exited:?}):\n{out}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Killing the child must kill the server: no wrapper in between.
        let written = std::fs::read_to_string(self.dir.path().join("pid")).unwrap_or_default();
        if let Ok(pid) = written.trim().parse::<u32>() {
            assert_eq!(
                pid,
                self.child.id(),
                "FLUXDB_TEST_NX27017 must be the server itself (a wrapper script must exec it)"
            );
        }
    }

    fn uri(&self, database: &str) -> String {
        format!("mongodb://127.0.0.1:{}/{database}", self.port)
    }

    /// Kills the server process (by its pid) and reaps it.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Collection `slow`: `fast` documents that match [`SLOW_FILTER`] at once,
/// then one that takes the server `2^letters` steps to refuse.
fn fill_slow(server: &MongoServer, fast: usize, letters: usize) {
    let mut docs: Vec<_> = (0..fast)
        .map(|i| json!({"_id": format!("a{i:03}"), "text": "aaaa"}))
        .collect();
    docs.push(json!({"_id": "z", "text": format!("{}!", "a".repeat(letters))}));
    server.insert_many("slow", docs).expect("fill slow");
}

/// How many letters make counting [`SLOW_FILTER`] take about `target` on
/// this machine: each letter doubles the time, so it measures a count a
/// quarter as long and adds two.
fn letters_for(uri: &str, target: Duration) -> (usize, Duration) {
    let server = MongoServer::connect(uri).expect("the private server");
    let filter: serde_json::Value = serde_json::from_str(SLOW_FILTER).expect("the filter");
    let mut letters = 16;
    loop {
        let _ = server.drop_collection("slow");
        fill_slow(&server, 0, letters);
        let started = Instant::now();
        server.count("slow", &filter).expect("a count");
        let took = started.elapsed();
        if took >= target / 4 || letters >= 40 {
            server.drop_collection("slow").expect("drop slow");
            return (letters + 2, took * 4);
        }
        letters += 1;
    }
}

/// Steps the app until `done`, saying how long the slowest frame took.
#[track_caller]
fn frames_until(harness: &mut App, what: &str, done: impl Fn(&App) -> bool) -> Duration {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut slowest = Duration::ZERO;
    while !done(harness) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        let started = Instant::now();
        harness.step();
        slowest = slowest.max(started.elapsed());
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.step();
    slowest
}

fn busy(harness: &App) -> String {
    harness
        .state()
        .state()
        .status
        .busy
        .clone()
        .unwrap_or_default()
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn cancel_stops_waiting_for_a_slow_count_on_a_server_and_the_app_goes_on() {
    let private = PrivateServer::start();
    let uri = private.uri("cancel");
    let (letters, count_takes) = letters_for(&uri, Duration::from_secs(2));
    // 60 matches, found at once for the first page; the count reads on to
    // the slow document.
    fill_slow(
        &MongoServer::connect(&uri).expect("the private server"),
        60,
        letters,
    );
    let folder = temp_db();
    let mut harness = harness(config(Some(Path::new(&uri)), folder.dir.path()));
    wait_for_label(&mut harness, "1–50 of 61");
    wait_idle(&mut harness);
    set_text(&mut harness, "Filter", SLOW_FILTER);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    wait_for_label(&mut harness, "1–50 of counting…");
    step_until(&mut harness, "the count to run", |h| {
        busy(h).starts_with("counting slow")
    });
    harness.get_by_label("Cancel").click();
    let cancelled = Instant::now();
    harness.run_steps(1);
    wait_for_label(&mut harness, "Cancelled counting slow");
    wait_for_label(&mut harness, "1–50 of ?");
    // The worker is free at once: the next page starts (and then waits
    // for the server, still busy with the count on its side).
    harness.get_by_label("Next ›").click();
    step_until(&mut harness, "the next page to start", |h| {
        busy(h).contains("records from 51")
    });
    let freed_in = cancelled.elapsed();
    assert!(
        freed_in < Duration::from_secs(1) && freed_in < count_takes / 2,
        "the worker waited {freed_in:?} for a count of about {count_takes:?}"
    );
    wait_for_label(&mut harness, "51–60 of 60");
    wait_idle(&mut harness);
    // The cancelled count's late end is no error and changes nothing.
    let state = harness.state().state();
    assert_eq!(state.status.last_error, None);
    assert_eq!(state.range_label(), "51–60 of 60");
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_server_that_goes_away_mid_query_is_an_error_and_the_window_goes_on() {
    let mut private = PrivateServer::start();
    let uri = private.uri("outage");
    // A document the server would take hours to refuse.
    fill_slow(
        &MongoServer::connect(&uri).expect("the private server"),
        0,
        40,
    );
    let folder = temp_db();
    let mut harness = harness(config(Some(Path::new(&uri)), folder.dir.path()));
    wait_for_label(&mut harness, "1–1 of 1");
    wait_idle(&mut harness);
    set_text(&mut harness, "Filter", SLOW_FILTER);
    harness.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    step_until(&mut harness, "the query to run", |h| {
        busy(h).starts_with("querying slow")
    });
    // The query is at the server, which is deep in it: kill the server.
    std::thread::sleep(Duration::from_millis(200));
    private.kill();
    let killed = Instant::now();
    let slowest = frames_until(&mut harness, "the query to fail", |h| {
        h.state().state().status.last_error.is_some()
    });
    let failed_after = killed.elapsed();
    let error = last_error(&harness);
    let place = format!("127.0.0.1:{}", private.port);
    assert!(error.contains(&place), "{error}");
    assert!(
        [
            "the connection failed",
            "connection was lost",
            "cannot reach the server"
        ]
        .iter()
        .any(|said| error.contains(said)),
        "a network error: {error}"
    );
    assert!(error.starts_with("Querying slow"), "{error}");
    // Shown in the status bar and in place of the page.
    let why = harness
        .state()
        .state()
        .status
        .last_error
        .as_ref()
        .map(|report| report.why.clone())
        .unwrap_or_default();
    assert!(harness.query_all_by_label_contains(&why).count() >= 1);
    // The window drew frames all along, none of them waiting on the server.
    assert!(
        slowest < Duration::from_millis(500),
        "a frame took {slowest:?} while the server went away ({failed_after:?})"
    );
    // And the app goes on: a folder opens (the count still waiting for the
    // server is dropped for it) and browses.
    let opening = Instant::now();
    drop_on_window(&mut harness, &folder.path());
    wait_for_label(&mut harness, "1–50 of 120");
    assert!(
        opening.elapsed() < Duration::from_secs(4),
        "the folder waited {:?}",
        opening.elapsed()
    );
    harness.get_by_label("Next ›").click();
    wait_for_label(&mut harness, "51–100 of 120");
}
