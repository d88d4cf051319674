//! The `fluxdb` binary: stdout, stderr and exit codes as the README's command-line section says.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn fluxdb(db: &Path, args: &[&str]) -> Run {
    fluxdb_with_stdin(db, args, None)
}

pub fn fluxdb_with_stdin(db: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("FLUXDB_DB")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the fluxdb binary runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).unwrap(),
        stderr: String::from_utf8(stderr).unwrap(),
    }
}

fn ok(db: &Path, args: &[&str]) -> String {
    let run = fluxdb(db, args);
    assert_eq!(run.code, 0, "{args:?} failed: {}", run.stderr);
    assert!(
        run.stderr.is_empty(),
        "{args:?} wrote to stderr: {}",
        run.stderr
    );
    run.stdout
}

fn fails(db: &Path, args: &[&str], code: i32, needle: &str) {
    let run = fluxdb(db, args);
    assert_eq!(run.code, code, "{args:?}: {}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(needle),
        "{args:?}: stderr {:?} lacks {needle:?}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    assert_eq!(
        run.stderr.trim_end().lines().count(),
        1,
        "one line: {:?}",
        run.stderr
    );
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn create_insert_find_count_get_exists_update_delete() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("data");
    assert_eq!(
        ok(&db, &["create", "users", "--index", "age,status"]),
        "true\n"
    );
    assert_eq!(ok(&db, &["create", "users"]), "false\n");
    let id = ok(
        &db,
        &[
            "insert",
            "users",
            r#"{"name": "Alice", "age": 30, "status": "active"}"#,
        ],
    );
    let id = id.trim();
    assert_eq!(id.len(), 36);
    let ids = ok(
        &db,
        &[
            "insert",
            "users",
            r#"[{"name": "Bob", "age": 25}, {"name": "Cy", "age": 19}]"#,
        ],
    );
    assert_eq!(ids.lines().count(), 2);
    assert_eq!(ok(&db, &["collections"]), "users\n");
    assert_eq!(ok(&db, &["count", "users"]), "3\n");
    assert_eq!(
        ok(&db, &["count", "users", r#"{"age": {"$gt": 20}}"#]),
        "2\n"
    );

    let found = lines(&ok(
        &db,
        &[
            "find",
            "users",
            r#"{"age": {"$gt": 20}}"#,
            "--sort",
            r#"{"age": 1}"#,
        ],
    ));
    assert_eq!(
        found.iter().map(|d| d["name"].clone()).collect::<Vec<_>>(),
        [json!("Bob"), json!("Alice")]
    );
    let first_line = ok(&db, &["find", "users", "--limit", "1"]);
    assert!(
        first_line.starts_with(&format!("{{\"_id\":\"{id}\",\"name\":\"Alice\"")),
        "{first_line}"
    );
    assert_eq!(lines(&ok(&db, &["find", "users", "--skip", "2"])).len(), 1);

    let got = lines(&ok(&db, &["get", "users", id]));
    assert_eq!(got[0]["age"], 30);
    assert_eq!(ok(&db, &["exists", "users", id]), "true\n");
    assert_eq!(ok(&db, &["exists", "users", "nope"]), "false\n");
    assert_eq!(
        ok(&db, &["update", "users", id, r#"{"status": "inactive"}"#]),
        "true\n"
    );
    assert_eq!(
        ok(&db, &["update", "users", "nope", r#"{"status": "x"}"#]),
        "false\n"
    );
    assert_eq!(
        lines(&ok(&db, &["get", "users", id]))[0]["status"],
        "inactive"
    );
    assert_eq!(ok(&db, &["delete", "users", id]), "true\n");
    assert_eq!(ok(&db, &["delete", "users", id]), "false\n");
    fails(&db, &["get", "users", id], 1, "no document");
    assert_eq!(ok(&db, &["clear", "users"]), "true\n");
    assert_eq!(ok(&db, &["count", "users"]), "0\n");
    assert_eq!(ok(&db, &["drop", "users"]), "true\n");
    assert_eq!(ok(&db, &["drop", "users"]), "false\n");
    assert_eq!(ok(&db, &["clear", "users"]), "false\n");
}

#[test]
fn insert_reads_a_json_array_or_json_lines_from_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path();
    let run = fluxdb_with_stdin(db, &["insert", "t"], Some("[{\"a\": 1}, {\"a\": 2}]"));
    assert_eq!(
        (run.code, run.stdout.lines().count()),
        (0, 2),
        "{}",
        run.stderr
    );
    let run = fluxdb_with_stdin(db, &["insert", "t"], Some("{\"a\": 3}\n\n{\"a\": 4}\n"));
    assert_eq!(
        (run.code, run.stdout.lines().count()),
        (0, 2),
        "{}",
        run.stderr
    );
    assert_eq!(ok(db, &["count", "t"]), "4\n");
    let run = fluxdb_with_stdin(db, &["insert", "t"], Some("{\"a\": 5}\n{\"a\": \n"));
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("line 2"), "{}", run.stderr);
    assert_eq!(
        ok(db, &["count", "t"]),
        "4\n",
        "nothing of a failed call is inserted"
    );
}

#[test]
fn failures_exit_1_with_one_clear_line() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path();
    ok(db, &["insert", "t", r#"{"_id": "x"}"#]);
    fails(
        db,
        &["find", "missing"],
        1,
        "collection \"missing\" does not exist",
    );
    fails(db, &["count", "missing"], 1, "does not exist");
    fails(db, &["exists", "missing", "x"], 1, "does not exist");
    fails(db, &["find", "t", "{not json"], 1, "invalid JSON in FILTER");
    fails(db, &["find", "t", "[1]"], 1, "invalid query");
    fails(
        db,
        &["insert", "t", r#"{"_id": "x"}"#],
        1,
        "duplicate _id \"x\"",
    );
    fails(
        db,
        &["insert", "../evil", "{}"],
        1,
        "invalid collection name",
    );
    fails(db, &["import", "t", "nothing-here.fdb"], 1, "no such file");
    fails(db, &["export", "t", "out.xml"], 1, "not supported");
    fails(
        &tmp.path().join("absent"),
        &["collections"],
        1,
        "no such database folder",
    );
}

#[test]
fn usage_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let run = fluxdb(tmp.path(), &["frobnicate"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = fluxdb(tmp.path(), &["find"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = fluxdb(tmp.path(), &["find", "t", "--limit", "many"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let out = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .arg("collections")
        .env_remove("FLUXDB_DB")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--db"));
}

#[test]
fn the_database_folder_can_come_from_fluxdb_db() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .args(["create", "t"])
        .env("FLUXDB_DB", tmp.path())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "true\n");
    assert!(tmp.path().join("t.fdb").exists());
}

#[test]
fn export_and_import_round_trip_through_the_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let backup = tmp.path().join("users.fdb");
    let backup = backup.to_str().unwrap();
    ok(&db, &["create", "users", "--index", "age"]);
    ok(
        &db,
        &[
            "insert",
            "users",
            r#"[{"name": "A", "age": 1}, {"name": "B", "age": 2.5, "tags": ["x"]}]"#,
        ],
    );
    let before = ok(&db, &["find", "users"]);
    assert_eq!(ok(&db, &["export", "users", backup]), "2\n");
    ok(&db, &["clear", "users"]);
    assert_eq!(ok(&db, &["import", "users", backup]), "2\n");
    assert_eq!(ok(&db, &["find", "users"]), before);
    assert_eq!(
        ok(&db, &["import", "copy", backup, "--format", "fdb"]),
        "2\n"
    );
    assert_eq!(ok(&db, &["find", "copy"]), before);
}

#[test]
fn reads_work_while_another_process_holds_the_writer_lock() {
    let tmp = tempfile::tempdir().unwrap();
    ok(tmp.path(), &["insert", "t", r#"{"a": 1}"#]);
    let _writer = fluxdb::engine::FluxDB::open(tmp.path()).unwrap();
    assert_eq!(ok(tmp.path(), &["count", "t"]), "1\n");
    fails(
        tmp.path(),
        &["insert", "t", "{}"],
        1,
        "locked by another writer",
    );
}

#[test]
fn compact_reports_reclaimed_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path();
    let id = ok(db, &["insert", "t", r#"{"v": 1}"#]);
    for i in 0..5 {
        ok(db, &["update", "t", id.trim(), &format!(r#"{{"v": {i}}}"#)]);
    }
    let report = ok(db, &["compact", "t"]);
    assert!(
        report.starts_with("t: ") && report.contains("reclaimed"),
        "{report}"
    );
    assert_eq!(lines(&ok(db, &["find", "t"]))[0]["v"], 4);
}

#[test]
fn help_has_an_example_per_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .args(["find", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Example: fluxdb --db data find"));
}

#[test]
fn update_many_delete_many_aggregate_explain_and_projection() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path();
    ok(db, &["create", "p", "--index", "category"]);
    ok(
        db,
        &[
            "insert",
            "p",
            r#"[{"category": "books", "n": 1}, {"category": "games", "n": 2}, {"category": "books", "n": 3}]"#,
        ],
    );
    assert_eq!(
        ok(
            db,
            &[
                "update-many",
                "p",
                r#"{"category": "books"}"#,
                r#"{"$inc": {"n": 10}}"#
            ]
        ),
        "2\n"
    );
    let grouped = lines(&ok(
        db,
        &[
            "aggregate",
            "p",
            r#"[{"$group": {"_id": "$category", "count": {"$count": 1}}}]"#,
        ],
    ));
    assert_eq!(
        grouped,
        [
            json!({"_id": "books", "count": 2}),
            json!({"_id": "games", "count": 1})
        ]
    );
    let explain: Value =
        serde_json::from_str(&ok(db, &["explain", "p", r#"{"category": "games"}"#])).unwrap();
    assert_eq!(
        (
            explain["index"].clone(),
            explain["examined"].clone(),
            explain["returned"].clone()
        ),
        (json!("category"), json!(1), json!(1))
    );
    let explain: Value = serde_json::from_str(&ok(db, &["explain", "p", r#"{"n": 2}"#])).unwrap();
    assert_eq!(explain["index"], Value::Null);
    let explain: Value = serde_json::from_str(&ok(
        db,
        &[
            "explain",
            "p",
            "--pipeline",
            r#"[{"$match": {"category": "books"}}, {"$count": "n"}]"#,
        ],
    ))
    .unwrap();
    let stages: Vec<(Value, Value, Value)> = explain["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["stage"].clone(), s["input"].clone(), s["output"].clone()))
        .collect();
    assert_eq!(
        stages,
        [
            (json!("$match"), json!(2), json!(2)),
            (json!("$count"), json!(2), json!(1))
        ]
    );
    assert_eq!(explain["index"], json!("category"));
    let projected = lines(&ok(
        db,
        &["find", "p", "--project", r#"{"n": 1, "_id": 0}"#],
    ));
    assert_eq!(
        projected,
        [json!({"n": 11}), json!({"n": 2}), json!({"n": 13})]
    );
    assert_eq!(
        ok(db, &["delete-many", "p", r#"{"n": {"$gt": 10}}"#]),
        "2\n"
    );
    assert_eq!(ok(db, &["count", "p"]), "1\n");
    fails(db, &["aggregate", "p", r#"[{"$nope": 1}]"#], 1, "$nope");
    fails(
        db,
        &["update-many", "p", "{}", r#"{"$inc": {"category": 1}}"#],
        1,
        "invalid update",
    );
}

#[test]
fn create_compress_and_info_show_the_codec_and_its_ratio() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path();
    assert_eq!(ok(db, &["create", "c", "--compress", "zstd:9"]), "true\n");
    let docs: Vec<Value> = (0..200)
        .map(|i| json!({"name": format!("user {i}"), "city": "Lyon", "note": "the same words again"}))
        .collect();
    ok(db, &["insert", "c", &Value::Array(docs).to_string()]);
    let info: Value = serde_json::from_str(&ok(db, &["info", "c"])).unwrap();
    assert_eq!(info["compression"], "zstd:9");
    assert!(info["compression_ratio"].as_f64().unwrap() > 3.0, "{info}");

    let out = ok(db, &["compress", "c", "--codec", "lz4"]);
    assert!(out.starts_with("c: lz4, "), "{out}");
    let info: Value = serde_json::from_str(&ok(db, &["info", "c"])).unwrap();
    assert_eq!(info["compression"], "lz4");
    assert_eq!(ok(db, &["count", "c"]), "200\n");
    let out = ok(db, &["compress", "c", "--codec", "none"]);
    assert!(out.starts_with("c: none, "), "{out}");
    let info: Value = serde_json::from_str(&ok(db, &["info", "c"])).unwrap();
    assert_eq!(info["compression"], "none");
    assert_eq!(info["compression_ratio"], Value::Null);
    assert_eq!(ok(db, &["count", "c"]), "200\n");

    fails(
        db,
        &["create", "d", "--compress", "gzip"],
        1,
        "unknown compression \"gzip\"",
    );
    fails(
        db,
        &["compress", "c", "--codec", "zstd:99"],
        1,
        "zstd level 99",
    );
    fails(db, &["compress", "missing", "--codec", "lz4"], 1, "missing");
}

#[test]
fn find_stops_quietly_when_the_reader_goes_away() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path();
    let docs: String = (0..50_000)
        .map(|i| format!("{{\"i\": {i}, \"text\": \"{}\"}}\n", "x".repeat(100)))
        .collect();
    let run = fluxdb_with_stdin(db, &["insert", "c"], Some(&docs));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut child = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .args(["--db", db.to_str().unwrap(), "find", "c"])
        .env_remove("FLUXDB_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first line, as `head -1` does, then close the pipe.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
    assert!(
        first.starts_with(b"{\"_id\":"),
        "{}",
        String::from_utf8_lossy(&first)
    );
    drop(stdout);
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "a closed pipe is not a failure"
    );
    assert!(
        output.stderr.is_empty(),
        "nothing on stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
