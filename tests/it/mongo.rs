//! The CLI and copy on a real MongoDB wire-protocol server. Each test is
//! ignored unless asked for (`--include-ignored`), and then needs
//! `FLUXDB_TEST_MONGODB_URI` (`mongodb://127.0.0.1:PORT`): see
//! tests/mongodb/README.md. Each test uses a database of its own, so they
//! run in parallel, and drops it at the end.

#![cfg(feature = "mongodb")]

/// Writes of several documents (transactions) and `watch` on a server.
mod writes;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fluxdb::backend::copy_collection;
use fluxdb::engine::{Find, FluxDB};
use fluxdb::mongo::MongoServer;
use serde_json::{Value, json};

use crate::cli::{Run, fluxdb};

/// The server's URI from the environment, without a database.
pub(crate) fn server_uri() -> String {
    let uri = std::env::var("FLUXDB_TEST_MONGODB_URI").unwrap_or_else(|_| {
        panic!("set FLUXDB_TEST_MONGODB_URI=mongodb://HOST:PORT (see tests/mongodb/README.md)")
    });
    uri.trim_end_matches('/').to_owned()
}

/// A database of this test's own on the server, dropped when it goes.
pub(crate) struct TestDatabase {
    pub(crate) uri: String,
}

impl TestDatabase {
    pub(crate) fn new(test: &str) -> TestDatabase {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!("fluxdb_test_{test}_{}_{nanos}", std::process::id());
        TestDatabase {
            uri: format!("{}/{name}", server_uri()),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        Path::new(&self.uri)
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(server) = MongoServer::connect(&self.uri) {
            let _ = server.drop_database();
        }
    }
}

pub(crate) fn ok(db: &Path, args: &[&str]) -> String {
    let run = fluxdb(db, args);
    assert_eq!(run.code, 0, "{args:?} on {}: {}", db.display(), run.stderr);
    run.stdout
}

pub(crate) fn failed(run: &Run) -> String {
    assert_eq!(
        run.code, 1,
        "expected exit 1: {} / {}",
        run.stdout, run.stderr
    );
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stderr: {:?}", run.stderr);
    lines[0].to_owned()
}

const PEOPLE: &str = r#"[
  {"_id": "a", "name": "Ann", "age": 30, "score": 1.5, "tags": ["x", "y"], "address": {"city": "Oslo", "zip": "0150"}},
  {"_id": "b", "name": "Bob", "age": 25, "score": 2.0, "tags": [], "address": {"city": "Bergen"}},
  {"_id": "c", "name": "Cy", "age": 41, "score": null, "big": 9007199254740993, "active": true}
]"#;

/// The same commands on a folder and on a server print the same lines.
#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn every_cli_command_prints_on_a_server_what_it_prints_on_a_folder() {
    let server = TestDatabase::new("commands");
    let tmp = tempfile::tempdir().unwrap();
    let folder = tmp.path().join("data");
    let export_dir = tempfile::tempdir().unwrap();
    let script: Vec<Vec<String>> = vec![
        vec!["create", "people", "--index", "age"],
        vec!["create", "people"],
        vec!["collections"],
        vec!["insert", "people", PEOPLE],
        vec!["find", "people"],
        vec![
            "find",
            "people",
            r#"{"age": {"$gt": 26}}"#,
            "--sort",
            r#"{"age": -1}"#,
        ],
        vec![
            "find",
            "people",
            "{}",
            "--sort",
            r#"{"age": 1}"#,
            "--skip",
            "1",
            "--limit",
            "1",
        ],
        vec![
            "find",
            "people",
            r#"{"_id": "a"}"#,
            "--project",
            r#"{"name": 1}"#,
        ],
        vec!["find", "people", r#"{"address.city": "Oslo"}"#],
        vec!["count", "people"],
        vec!["count", "people", r#"{"tags": "x"}"#],
        vec!["get", "people", "b"],
        vec!["exists", "people", "a"],
        vec!["exists", "people", "zz"],
        vec!["schema", "people"],
        vec!["update", "people", "a", r#"{"age": 31}"#],
        vec![
            "update",
            "people",
            "b",
            r#"{"$inc": {"age": 2}, "$set": {"x": [1, {"y": 2}]}}"#,
        ],
        vec!["update", "people", "nobody", r#"{"age": 1}"#],
        vec!["get", "people", "a"],
        vec!["get", "people", "b"],
        vec![
            "update-many",
            "people",
            r#"{"age": {"$gte": 30}}"#,
            r#"{"$set": {"senior": "yes"}}"#,
        ],
        vec![
            "aggregate",
            "people",
            r#"[{"$match": {"senior": "yes"}}, {"$sort": {"age": 1}}, {"$project": {"name": 1}}]"#,
        ],
        vec!["export", "people", "EXPORT/people.jsonl"],
        vec!["export", "people", "EXPORT/people.csv"],
        vec!["delete", "people", "c"],
        vec!["delete", "people", "c"],
        vec!["delete-many", "people", r#"{"age": {"$lt": 100}}"#],
        vec!["count", "people"],
        vec!["import", "people", "EXPORT/people.jsonl"],
        vec!["find", "people", "{}", "--sort", r#"{"_id": 1}"#],
        vec!["clear", "people"],
        vec!["count", "people"],
        vec!["drop", "people"],
        vec!["drop", "people"],
        vec!["collections"],
    ]
    .into_iter()
    .map(|args| args.into_iter().map(str::to_owned).collect())
    .collect();
    for args in &script {
        let args: Vec<String> = args
            .iter()
            .map(|a| a.replace("EXPORT", &export_dir.path().display().to_string()))
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let on_folder = ok(&folder, &args);
        // The export files of each side are compared, not overwritten.
        let on_server = ok(server.path(), &args);
        assert_eq!(on_server, on_folder, "{args:?}");
        if args[0] == "export" {
            let file = args[2];
            let exported = std::fs::read_to_string(file).unwrap();
            ok(&folder, &args);
            assert_eq!(std::fs::read_to_string(file).unwrap(), exported, "{file}");
        }
    }
    // explain: the same keys, the server's own plan.
    ok(server.path(), &["create", "people", "--index", "age"]);
    ok(server.path(), &["insert", "people", PEOPLE]);
    let explain: Value = serde_json::from_str(&ok(
        server.path(),
        &["explain", "people", r#"{"age": {"$gt": 26}}"#],
    ))
    .unwrap();
    let keys: Vec<&str> = explain
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    // A folder's keys, but `candidates` (the server's plan names its
    // index bounds in its own terms, not as lookups).
    assert_eq!(
        keys,
        [
            "index",
            "index_ordered",
            "examined",
            "returned",
            "total",
            "lookups",
            "sort",
            "time_ms"
        ]
    );
    assert_eq!(explain["total"], json!(3));
    // insert without _id: the server's ObjectId, printed and found as hex.
    let id = ok(server.path(), &["insert", "people", r#"{"name": "Dee"}"#]);
    let id = id.trim();
    assert_eq!(id.len(), 24, "{id}");
    let got: Value = serde_json::from_str(&ok(server.path(), &["get", "people", id])).unwrap();
    assert_eq!(got, json!({"_id": id, "name": "Dee"}));
    assert_eq!(ok(server.path(), &["exists", "people", id]), "true\n");
    // Commands only a folder has: one line, exit 1.
    for args in [
        vec!["compact"],
        vec!["verify"],
        vec!["migrate"],
        vec!["backup", "x.fdbbackup"],
        vec!["restore", "x.fdbbackup"],
        vec!["info"],
        vec!["export", "people", "people.fdb"],
        vec!["explain", "people", "--pipeline", r#"[{"$count": "n"}]"#],
    ] {
        let line = failed(&fluxdb(server.path(), &args));
        assert!(line.contains("has no meaning on"), "{args:?}: {line}");
    }
    // A missing collection reads as on a folder.
    let line = failed(&fluxdb(server.path(), &["find", "nothing"]));
    assert_eq!(line, r#"fluxdb: collection "nothing" does not exist"#);
}

/// folder → server → folder: the same documents (types kept) and indexes.
#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn copy_folder_to_server_to_folder_keeps_documents_and_index_definitions() {
    let server = TestDatabase::new("copy");
    let tmp = tempfile::tempdir().unwrap();
    let (first, second) = (tmp.path().join("first"), tmp.path().join("second"));
    {
        let mut db = FluxDB::open(&first).unwrap();
        db.create_collection("people", &["age", "address.city"])
            .unwrap();
        let mut docs = Vec::new();
        for i in 0..2500_i64 {
            docs.push(json!({
                "_id": format!("p{i:05}"), "age": i % 90, "big": i * 4_000_000_000,
                "score": i as f64 + 0.5, "whole": 2.0, "tags": ["a", i],
                "address": {"city": format!("c{}", i % 7), "geo": [1.5, -2]},
                "note": null, "ok": i % 2 == 0,
            }));
        }
        db.insert_many("people", docs).unwrap();
        db.create_collection("empty_one", &["x"]).unwrap();
        db.close().unwrap();
    }
    let run = fluxdb_copy(&first, server.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "empty_one: 0 records copied, indexes: x\npeople: 2500 records copied, indexes: address.city, age\n"
    );
    let run = fluxdb_copy(server.path(), &second, &["--collection", "people"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "people: 2500 records copied, indexes: address.city, age\n"
    );
    let (a, b) = (
        FluxDB::open_read_only(&first).unwrap(),
        FluxDB::open_read_only(&second).unwrap(),
    );
    let all = Find::new(json!({})).sort(json!({"_id": 1}));
    assert_eq!(
        b.find("people", &all).unwrap(),
        a.find("people", &all).unwrap()
    );
    let mut indexes = b.list_indexes("people").unwrap();
    indexes.sort();
    assert_eq!(indexes, ["address.city", "age"]);
    let text = b
        .find_json("people", &Find::new(json!({"_id": "p00003"})))
        .unwrap();
    assert_eq!(
        text,
        [
            r#"{"_id":"p00003","age":3,"big":12000000000,"score":3.5,"whole":2.0,"tags":["a",3],"address":{"city":"c3","geo":[1.5,-2]},"note":null,"ok":false}"#
        ]
    );
    // A second copy does not merge into what is there.
    let run = fluxdb_copy(&first, server.path(), &["--collection", "people"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("has 2500 records already"),
        "{}",
        run.stderr
    );
}

/// A copy into a folder that fails part-way keeps nothing of it.
#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_copy_into_a_folder_that_fails_keeps_nothing_and_says_how_far_it_got() {
    let server = TestDatabase::new("copyfail");
    let uri = server.uri.clone();
    let mut docs = Vec::new();
    for i in 0..3000 {
        docs.push(json!({"_id": format!("d{i}"), "n": i}));
    }
    // An `_id` longer than a folder takes (1024 bytes); a server keeps it.
    docs.push(json!({"_id": "i".repeat(2000)}));
    docs.push(json!({"_id": "after"}));
    let mut source = MongoServer::connect(&uri).unwrap();
    fluxdb::backend::Backend::insert_many(&mut source, "items", docs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut folder = FluxDB::open(tmp.path().join("into")).unwrap();
    let error = copy_collection(&source, &mut folder, "items", &mut |_, _| {})
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        error.starts_with(r#"copy of collection "items" stopped after "#),
        "{error}"
    );
    assert!(error.contains("of 3002 records"), "{error}");
    assert!(error.contains("_id"), "{error}");
    assert!(
        error.contains("nothing of it was kept in folder"),
        "{error}"
    );
    assert!(!folder.has_collection("items"));
}

fn fluxdb_copy(from: &Path, to: &Path, more: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .arg("copy")
        .arg(from)
        .arg(to)
        .args(more)
        .env_remove("FLUXDB_DB")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// A TCP relay to the server that can be cut: the server "goes away".
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
}

impl Relay {
    fn start(server: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let target = server.to_owned();
        let stop = cut.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if stop.load(Ordering::SeqCst) {
                    // Gone: nothing is accepted any more.
                    return;
                }
                let Ok(upstream) = TcpStream::connect(&target) else {
                    continue;
                };
                pipe(&client, &upstream, stop.clone());
                pipe(&upstream, &client, stop.clone());
            }
        });
        Relay { port, cut }
    }

    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the cut and ends.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// Copies bytes one way until the relay is cut, then closes both ends.
fn pipe(from: &TcpStream, to: &TcpStream, cut: Arc<AtomicBool>) {
    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
    from.set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16384];
        while !cut.load(Ordering::SeqCst) {
            match from.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    if to.write_all(&buffer[..n]).is_err() {
                        break;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        let _ = from.shutdown(Shutdown::Both);
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_server_that_goes_away_mid_query_is_a_clear_error() {
    let database = TestDatabase::new("away");
    let host = server_uri().trim_start_matches("mongodb://").to_owned();
    let host = host.split('/').next().unwrap_or_default().to_owned();
    let mut direct = MongoServer::connect(&database.uri).unwrap();
    let docs: Vec<Value> = (0..5000)
        .map(|i| json!({"_id": format!("r{i}"), "n": i}))
        .collect();
    fluxdb::backend::Backend::insert_many(&mut direct, "rows", docs).unwrap();
    let relay = Relay::start(&host);
    let name = database.uri.rsplit('/').next().unwrap_or_default();
    let through = MongoServer::connect(&format!(
        "mongodb://127.0.0.1:{}/{name}?directConnection=true&serverSelectionTimeoutMS=2000",
        relay.port
    ))
    .unwrap();
    let mut seen = 0;
    let started = Instant::now();
    let result = through.find_json_each("rows", &Find::new(json!({})), &mut |_| {
        seen += 1;
        if seen == 1 {
            relay.cut();
        }
        Ok(())
    });
    let error = result.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(seen < 5000, "the query ended before the cut");
    assert!(error.starts_with("MongoDB server 127.0.0.1:"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
}

#[test]
#[ignore = "needs a MongoDB server: see tests/mongodb/README.md"]
fn a_bad_uri_a_refused_port_and_a_wrong_database_are_one_clear_line_each() {
    // A URI the driver cannot parse.
    let line = failed(&fluxdb(
        Path::new("mongodb://127.0.0.1:notaport/db"),
        &["collections"],
    ));
    assert!(
        line.starts_with("fluxdb: MongoDB URI mongodb://127.0.0.1:notaport/db: "),
        "{line}"
    );
    // The password is never shown.
    let line = failed(&fluxdb(
        Path::new("mongodb://ann:secret@127.0.0.1:notaport/db"),
        &["collections"],
    ));
    assert!(
        !line.contains("secret") && line.contains("ann:****@"),
        "{line}"
    );
    // A database name MongoDB refuses.
    let line = failed(&fluxdb(
        Path::new(&format!("{}/bad.name", server_uri())),
        &["collections"],
    ));
    assert!(line.contains("has the character '.'"), "{line}");
    // A port nothing listens on: refused, said quickly.
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let started = Instant::now();
    let line = failed(&fluxdb(
        Path::new(&format!("mongodb://127.0.0.1:{port}/db")),
        &["collections"],
    ));
    assert!(
        line.contains("cannot reach the server: connection refused"),
        "{line}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    // A database that does not exist: said, with those that do.
    let database = TestDatabase::new("wrongdb");
    ok(database.path(), &["insert", "things", r#"{"_id": "t"}"#]);
    let missing_name = format!("no_such_database_{}", std::process::id());
    let missing = format!("{}/{missing_name}", server_uri());
    let line = failed(&fluxdb(Path::new(&missing), &["find", "things"]));
    assert!(
        line.contains(&format!("database {missing_name:?} does not exist")),
        "{line}"
    );
    assert!(line.contains("databases there: "), "{line}");
    // Asking made a test server such as nx-27017 create it: drop it again.
    if let Ok(server) = MongoServer::connect(&missing) {
        let _ = server.drop_database();
    }
    // A URI without a database, where a command needs one.
    let line = failed(&fluxdb(Path::new(&server_uri()), &["collections"]));
    assert!(line.contains("it names no database"), "{line}");
}
