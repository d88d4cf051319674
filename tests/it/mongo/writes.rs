//! Writes of several documents on a MongoDB server (one transaction where
//! the server runs them, else one by one saying how far they got) and
//! `fluxdb watch` on a server through its change stream. Ignored unless
//! asked for, as the rest of `mongo.rs`: see tests/mongodb/README.md.
//!
//! nx-27017, the test server, runs transactions, so the transaction path
//! runs against it; the path of a server without them runs too, on a
//! connection told there are none (`without_transactions`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fluxdb::backend::{Backend, copy_collection};
use fluxdb::engine::{FluxDB, ImportOptions};
use fluxdb::mongo::MongoServer;
use mongodb::bson::{Document as BsonDocument, doc};
use serde_json::{Value, json};

use super::{TestDatabase, failed, ok};
use crate::cli::fluxdb;

fn connect(uri: &str) -> MongoServer {
    MongoServer::connect(uri).expect("the test server")
}

/// The `_id`s of a collection, sorted.
fn ids(server: &MongoServer, collection: &str) -> Vec<String> {
    let mut ids: Vec<String> = server
        .find_all(collection)
        .expect("read the collection")
        .iter()
        .filter_map(|doc| doc.get("_id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

/// A unique index on `field` (through the driver: FluxDB makes none).
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
            .keys(doc! {field: 1})
            .options(options)
            .build();
        database
            .collection::<BsonDocument>(collection)
            .create_index(model)
            .await
            .expect("a unique index");
    });
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_server_says_whether_it_runs_transactions_and_an_aborted_one_leaves_nothing() {
    let database = TestDatabase::new("txn");
    let server = connect(&database.uri);
    let supported = server.supports_transactions().expect("the probe");
    eprintln!("the test server runs transactions: {supported}");
    assert!(server.create_collection("t", &[]).expect("create"));
    if supported {
        server.begin_transaction().expect("begin");
        server
            .insert_many("t", vec![json!({"_id": "aborted"})])
            .expect("insert in the transaction");
        assert!(server.in_transaction());
        server.abort_transaction().expect("abort");
        assert!(!server.in_transaction());
        assert_eq!(ids(&server, "t"), Vec::<String>::new());
        server.begin_transaction().expect("begin");
        server
            .insert_many("t", vec![json!({"_id": "kept"})])
            .expect("insert in the transaction");
        server.commit_transaction().expect("commit");
        assert_eq!(ids(&server, "t"), ["kept"]);
    } else {
        let error = server.begin_transaction().err().map(|e| e.to_string());
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("runs no multi-document transactions")),
            "{error:?}"
        );
    }
    // Asking creates nothing.
    assert_eq!(server.list_collections().expect("list"), ["t"]);
    // A connection told there are none says so, and writes without them.
    let one_by_one = connect(&database.uri).without_transactions();
    assert_eq!(one_by_one.supports_transactions().ok(), Some(false));
    let error = one_by_one
        .begin_transaction()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("runs no multi-document transactions (a standalone server)"),
        "{error}"
    );
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn an_insert_of_several_documents_is_all_or_nothing_or_says_how_many_were_stored() {
    let database = TestDatabase::new("insertmany");
    let db = database.path();
    ok(db, &["insert", "c", r#"{"_id": "a", "n": 1}"#]);
    let server = connect(&database.uri);
    // The CLI: `a` again, second of three.
    let line = failed(&fluxdb(
        db,
        &[
            "insert",
            "c",
            r#"[{"_id": "b"}, {"_id": "a"}, {"_id": "c"}]"#,
        ],
    ));
    assert!(line.contains("duplicate key"), "{line}");
    if server.supports_transactions().expect("the probe") {
        assert!(
            line.ends_with("(in one transaction, aborted: nothing was written)"),
            "{line}"
        );
        assert_eq!(ids(&server, "c"), ["a"]);
    } else {
        assert!(
            line.ends_with("; 1 of the 3 documents were stored before it"),
            "{line}"
        );
        assert_eq!(ids(&server, "c"), ["a", "b"]);
        server.delete("c", "b").expect("delete b");
    }
    // Without transactions: in order, up to the refused one, and said.
    let mut one_by_one = connect(&database.uri).without_transactions();
    let docs = vec![
        json!({"_id": "d"}),
        json!({"_id": "a"}),
        json!({"_id": "e"}),
    ];
    let error = Backend::insert_many(&mut one_by_one, "c", docs)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("duplicate key")
            && error.ends_with("; 1 of the 3 documents were stored before it"),
        "{error}"
    );
    assert_eq!(ids(&server, "c"), ["a", "d"]);
}

/// `n` JSON Lines records `r0`…, record `bad_at` with the `_id` "keep".
fn jsonl(dir: &Path, n: usize, bad_at: usize) -> std::path::PathBuf {
    let file = dir.join("records.jsonl");
    let text: String = (0..n)
        .map(|i| {
            let id = if i == bad_at {
                "keep".to_owned()
            } else {
                format!("r{i}")
            };
            format!("{}\n", json!({"_id": id, "n": i}))
        })
        .collect();
    std::fs::write(&file, text).expect("write the file");
    file
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn an_import_refused_in_its_second_batch_leaves_the_collection_as_it_was() {
    let database = TestDatabase::new("import");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    // 1,500 records: the second batch of 1,000 fails at its 201st.
    let file = jsonl(tmp.path(), 1500, 1200);
    ok(
        database.path(),
        &["insert", "c", r#"{"_id": "keep", "n": -1}"#],
    );
    let server = connect(&database.uri);
    let line = failed(&fluxdb(
        database.path(),
        &["import", "c", file.to_str().expect("a UTF-8 path")],
    ));
    assert!(line.contains("duplicate key"), "{line}");
    assert_eq!(ids(&server, "c"), ["keep"]);
    // Without transactions the part of the failed batch stored before the
    // refused record is deleted too.
    let one_by_one = connect(&database.uri).without_transactions();
    let error = one_by_one
        .import_documents("c", &file, ImportOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.contains("200 of the 500 documents were stored before it"),
        "{error}"
    );
    assert_eq!(ids(&server, "c"), ["keep"]);
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_copy_into_a_server_that_stops_part_way_says_exactly_what_it_left() {
    let database = TestDatabase::new("copystop");
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let mut folder = FluxDB::open(tmp.path().join("data")).expect("a folder");
    folder
        .create_collection::<&str>("items", &[])
        .expect("create");
    // `k` repeats at record 1,200: the server's unique index refuses it.
    let docs = (0..1500)
        .map(|i| json!({"_id": format!("i{i:04}"), "k": if i == 1200 { 5 } else { i }}))
        .collect();
    folder.insert_many("items", docs).expect("insert");
    folder.flush().expect("flush");
    let server = connect(&database.uri);
    let transactions = server.supports_transactions().expect("the probe");
    for (mut destination, stored) in [
        (
            connect(&database.uri),
            if transactions { 1000 } else { 1200 },
        ),
        (connect(&database.uri).without_transactions(), 1200),
    ] {
        let _ = server.drop_collection("items");
        assert!(server.create_collection("items", &[]).expect("create"));
        unique_index(&database.uri, "items", "k");
        let error = copy_collection(&folder, &mut destination, "items", &mut |_, _| {})
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("duplicate key"), "{error}");
        assert!(
            error.contains(&format!("({stored} records of it are in MongoDB server")),
            "{error}"
        );
        assert_eq!(
            server.count("items", &json!({})).expect("count"),
            stored as u64
        );
    }
}

/// `fluxdb watch` as a process, its stdout lines gathered as they come.
struct Watcher {
    child: Child,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Watcher {
    fn start(db: &Path, args: &[&str]) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
            .arg("--db")
            .arg(db)
            .arg("watch")
            .args(args)
            .env_remove("FLUXDB_DB")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("fluxdb watch runs");
        let lines = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("its stdout");
        let gathered = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                gathered.lock().expect("the lines").push(line);
            }
        });
        Watcher { child, lines }
    }

    /// The lines printed so far, as JSON.
    fn printed(&self) -> Vec<Value> {
        self.lines
            .lock()
            .expect("the lines")
            .iter()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect()
    }

    /// Waits until `n` lines were printed; returns them.
    #[track_caller]
    fn wait_for(&self, n: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let printed = self.printed();
            if printed.len() >= n {
                return printed;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "waited for {n} lines, got {printed:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal`; returns the exit status and what went to stderr.
    fn stop(mut self, signal: i32) -> (std::process::ExitStatus, String) {
        let pid = i32::try_from(self.child.id()).expect("a pid");
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = self.child.wait().expect("watch ends");
        let mut stderr = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            err.read_to_string(&mut stderr).expect("its stderr");
        }
        (status, stderr)
    }
}

/// The position a watch printed on stderr when it ended.
fn position_in(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|line| line.starts_with("fluxdb: position "))
        .unwrap_or_else(|| panic!("no position in {stderr:?}"));
    line.trim_start_matches("fluxdb: position ")
        .split(' ')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn watch_on_a_server_prints_a_folders_lines_and_goes_on_from_its_position() {
    let database = TestDatabase::new("watch");
    let db = database.path();
    ok(db, &["insert", "people", r#"{"_id": "a", "n": 1}"#]);
    let server = connect(&database.uri);
    let watcher = Watcher::start(db, &["people", r#"{"n": {"$gte": 2}}"#, "--interval", "50"]);
    // Probes until one is printed: the stream is open from then on.
    let started = Instant::now();
    for probe in 0.. {
        if !watcher.printed().is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "watch printed nothing"
        );
        let id = format!("probe-{probe}");
        ok(
            db,
            &[
                "insert",
                "people",
                &json!({"_id": id, "n": 100}).to_string(),
            ],
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let probes = watcher.printed().len();
    assert!(
        watcher.printed().iter().all(|line| line["op"] == "insert"
            && line["_id"]
                .as_str()
                .is_some_and(|id| id.starts_with("probe-"))),
        "{:?}",
        watcher.printed()
    );
    // Each matching write waits for its line, so each line is the write's
    // own (an update's document is the server's after it).
    ok(
        db,
        &[
            "insert",
            "people",
            r#"[{"_id": "b", "n": 2}, {"_id": "c", "n": 1}]"#,
        ],
    );
    ok(db, &["update", "people", "c", r#"{"$set": {"n": 0}}"#]);
    watcher.wait_for(probes + 1);
    ok(db, &["update", "people", "a", r#"{"n": 5}"#]);
    watcher.wait_for(probes + 2);
    let replacement = json!({"_id": "b", "n": 3, "x": "y"});
    server
        .replace("people", "b", replacement.as_object().expect("an object"))
        .expect("replace b");
    watcher.wait_for(probes + 3);
    ok(db, &["delete", "people", "b"]);
    let printed = watcher.wait_for(probes + 4);
    assert_eq!(
        printed[probes..],
        [
            json!({"op": "insert", "_id": "b", "doc": {"_id": "b", "n": 2}}),
            json!({"op": "update", "_id": "a", "doc": {"_id": "a", "n": 5}}),
            json!({"op": "update", "_id": "b", "doc": {"_id": "b", "n": 3, "x": "y"}}),
            json!({"op": "delete", "_id": "b"}),
        ]
    );
    // SIGTERM: exit 0, the position on stderr.
    let (status, stderr) = watcher.stop(libc::SIGTERM);
    assert!(status.success(), "{status}: {stderr}");
    let position = position_in(&stderr);
    // While nobody watches: an insert and an update.
    ok(db, &["insert", "people", r#"{"_id": "d", "n": 7}"#]);
    ok(db, &["update", "people", "a", r#"{"n": 6}"#]);
    let watcher = Watcher::start(db, &["people", "--since", &position, "--interval", "50"]);
    let printed = watcher.wait_for(2);
    assert_eq!(
        printed[..2],
        [
            json!({"op": "insert", "_id": "d", "doc": {"_id": "d", "n": 7}}),
            json!({"op": "update", "_id": "a", "doc": {"_id": "a", "n": 6}}),
        ]
    );
    // Ctrl+C: exit 0 too, having printed nothing else.
    std::thread::sleep(Duration::from_millis(300));
    let lines = watcher.lines.clone();
    let (status, stderr) = watcher.stop(libc::SIGINT);
    assert!(status.success(), "{status}: {stderr}");
    assert_eq!(lines.lock().expect("the lines").len(), 2);
    // A folder's log position means nothing here: one line, exit 1.
    let line = failed(&fluxdb(
        db,
        &["watch", "people", "--since", "00000000ffffffff-0-0-0"],
    ));
    assert!(line.contains("that is a folder's log position"), "{line}");
}
