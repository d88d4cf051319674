//! A catalogue of bad input, through the API and the CLI: each one gets a
//! clear error (the right kind, a message naming what is wrong) and leaves
//! the committed data exactly as it was.

use std::path::Path;
use std::process::Command;

use fluxdb::Error;
use fluxdb::engine::storage::codec::{MAX_DEPTH, MAX_DOCUMENT_BYTES};
use fluxdb::engine::{Find, names::MAX_NAME_BYTES};
use fluxdb::engine::{FluxDB, MAX_ID_BYTES, OpenOptions, drop_deep};
use serde_json::{Value, json};

use crate::cli::{fluxdb, fluxdb_with_stdin};
use crate::faults::{copy_tree, scratch, state};

/// `[[[...null...]]]`, `levels` arrays deep, built without recursion.
fn nested(levels: usize) -> Value {
    let mut v = Value::Null;
    for _ in 0..levels {
        v = Value::Array(vec![v]);
    }
    v
}

/// `{key: value}`, built without `json!` (which serializes interpolated
/// values recursively).
fn obj(key: &str, value: Value) -> Value {
    let mut m = serde_json::Map::new();
    m.insert(key.to_owned(), value);
    Value::Object(m)
}

/// `{"a": {"a": ...}}`, `levels` objects deep.
fn nested_objects(levels: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..levels {
        let mut m = serde_json::Map::new();
        m.insert("a".to_owned(), v);
        v = Value::Object(m);
    }
    v
}

fn native_db(dir: &Path) {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection("c", &["n"]).unwrap();
    db.insert_many(
        "c",
        vec![
            json!({"_id": "1", "n": 1, "s": "abc", "a": [1, 2]}),
            json!({"_id": "2", "n": 2, "s": "x"}),
        ],
    )
    .unwrap();
    db.close().unwrap();
}

fn legacy_db(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("c.fdb"), b"").unwrap();
    let mut db = FluxDB::open(dir).unwrap();
    db.insert_many(
        "c",
        vec![
            json!({"_id": "1", "n": 1, "s": "abc"}),
            json!({"_id": "2", "n": 2, "s": "x"}),
        ],
    )
    .unwrap();
    db.close().unwrap();
}

/// What a bad call must fail with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Limit,
    Query,
    Update,
    Pipeline,
    Document,
    Name,
    Io,
    Transaction,
}

fn kind_matches(e: &Error, expect: Expect) -> bool {
    matches!(
        (e, expect),
        (Error::LimitExceeded { .. }, Expect::Limit)
            | (Error::InvalidQuery(_), Expect::Query)
            | (Error::InvalidUpdate(_), Expect::Update)
            | (Error::InvalidPipeline(_), Expect::Pipeline)
            | (Error::InvalidDocument(_), Expect::Document)
            | (Error::InvalidName { .. }, Expect::Name)
            | (Error::Io { .. }, Expect::Io)
            | (Error::Transaction(_), Expect::Transaction)
    )
}

type Case = (
    &'static str,
    Expect,
    &'static str,
    fn(&mut FluxDB) -> fluxdb::Result<()>,
);

/// Bad calls through the API: (what, expected kind, a word the message
/// must hold, the call). Each runs on a fresh copy of a folder, in both
/// formats; the folder must reopen unchanged.
const API_CASES: &[Case] = &[
    ("a number as a document", Expect::Document, "object", |db| {
        db.insert("c", json!(5)).map(drop)
    }),
    ("a number as _id", Expect::Document, "_id", |db| {
        db.insert("c", json!({"_id": 7})).map(drop)
    }),
    ("an empty _id", Expect::Document, "_id", |db| {
        db.insert("c", json!({"_id": ""})).map(drop)
    }),
    ("a duplicate in insert_many", Expect::Name, "", |db| {
        // DuplicateId: checked below by message, kind Name never matches.
        db.insert_many("c", vec![json!({"_id": "9"}), json!({"_id": "1"})])
            .map(drop)
    }),
    ("an _id longer than the limit", Expect::Limit, "_id", |db| {
        db.insert("c", json!({"_id": "i".repeat(MAX_ID_BYTES + 1)}))
            .map(drop)
    }),
    ("a document over 16 MiB", Expect::Limit, "bytes", |db| {
        db.insert("c", json!({"big": "x".repeat(MAX_DOCUMENT_BYTES + 1)}))
            .map(drop)
    }),
    (
        "an update growing a document over 16 MiB",
        Expect::Limit,
        "bytes",
        |db| {
            db.update(
                "c",
                "1",
                &json!({"$set": {"big": "x".repeat(MAX_DOCUMENT_BYTES + 1)}}),
            )
            .map(drop)
        },
    ),
    (
        "a document one level too deep",
        Expect::Limit,
        "depth",
        |db| db.insert("c", obj("deep", nested(MAX_DEPTH + 1))).map(drop),
    ),
    (
        "a document 100,000 levels deep",
        Expect::Limit,
        "depth",
        |db| {
            let mut docs = vec![json!({"ok": 1}), obj("deep", nested(100_000))];
            docs.push(nested_objects(100_000));
            db.insert_many("c", docs).map(drop)
        },
    ),
    (
        "a filter 100,000 levels deep",
        Expect::Query,
        "filter",
        |db| {
            let mut find = Find::new(obj("a", obj("$eq", nested(100_000))));
            let result = db.find("c", &find).map(drop);
            drop_deep(std::mem::take(&mut find.filter));
            result
        },
    ),
    (
        "a count filter 100,000 levels deep",
        Expect::Query,
        "filter",
        |db| {
            let filter = nested_objects(100_000);
            let result = db.count("c", &filter).map(drop);
            drop_deep(filter);
            result
        },
    ),
    ("a sort 100,000 levels deep", Expect::Query, "sort", |db| {
        let mut find = Find::all().sort(obj("n", nested(100_000)));
        let result = db.find("c", &find).map(drop);
        drop_deep(find.sort.take().unwrap_or_default());
        result
    }),
    (
        "a projection 100,000 levels deep",
        Expect::Query,
        "projection",
        |db| {
            let mut find = Find::all().projection(nested_objects(100_000));
            let result = db.find("c", &find).map(drop);
            drop_deep(find.projection.take().unwrap_or_default());
            result
        },
    ),
    (
        "an update 100,000 levels deep",
        Expect::Update,
        "update",
        |db| {
            let update = obj("$set", obj("n", nested(100_000)));
            let result = db.update("c", "1", &update).map(drop);
            drop_deep(update);
            result
        },
    ),
    (
        "a merge update 100,000 levels deep",
        Expect::Update,
        "update",
        |db| {
            let update = obj("n", nested_objects(100_000));
            let result = db.update_many("c", &json!({}), &update).map(drop);
            drop_deep(update);
            result
        },
    ),
    (
        "a pipeline 100,000 levels deep",
        Expect::Pipeline,
        "pipeline",
        |db| {
            let pipeline = Value::Array(vec![obj("$match", obj("a", nested(100_000)))]);
            let result = db.aggregate("c", &pipeline).map(drop);
            drop_deep(pipeline);
            result
        },
    ),
    (
        "a filter that is not an object",
        Expect::Query,
        "object",
        |db| db.find("c", &Find::new(json!([1]))).map(drop),
    ),
    ("an unknown filter operator", Expect::Query, "$foo", |db| {
        db.find("c", &Find::new(json!({"n": {"$foo": 1}})))
            .map(drop)
    }),
    (
        "an unknown top-level operator",
        Expect::Query,
        "$where",
        |db| db.find("c", &Find::new(json!({"$where": "1"}))).map(drop),
    ),
    ("an invalid regex", Expect::Query, "regex", |db| {
        db.find("c", &Find::new(json!({"s": {"$regex": "(unclosed"}})))
            .map(drop)
    }),
    ("a wrong operand type", Expect::Query, "$in", |db| {
        db.find("c", &Find::new(json!({"n": {"$in": 5}}))).map(drop)
    }),
    ("a bad sort direction", Expect::Query, "sort", |db| {
        db.find("c", &Find::all().sort(json!({"n": "up"})))
            .map(drop)
    }),
    ("a mixed projection", Expect::Query, "", |db| {
        db.find("c", &Find::all().projection(json!({"n": 1, "s": 0})))
            .map(drop)
    }),
    (
        "an unknown update operator",
        Expect::Update,
        "$frobnicate",
        |db| {
            db.update("c", "1", &json!({"$frobnicate": {"n": 1}}))
                .map(drop)
        },
    ),
    (
        "an update that is not an object",
        Expect::Update,
        "object",
        |db| db.update("c", "1", &json!("n")).map(drop),
    ),
    ("$inc of a string", Expect::Update, "$inc", |db| {
        db.update("c", "1", &json!({"$inc": {"s": 1}})).map(drop)
    }),
    ("an update changing _id", Expect::Update, "_id", |db| {
        db.update("c", "1", &json!({"$set": {"_id": "other"}}))
            .map(drop)
    }),
    (
        "update_many failing half way",
        Expect::Update,
        "$inc",
        |db| {
            db.update_many("c", &json!({}), &json!({"$inc": {"s": 1}}))
                .map(drop)
        },
    ),
    (
        "an unknown pipeline stage",
        Expect::Pipeline,
        "$bogus",
        |db| db.aggregate("c", &json!([{"$bogus": {}}])).map(drop),
    ),
    (
        "a pipeline that is not an array",
        Expect::Pipeline,
        "array",
        |db| db.aggregate("c", &json!({"$match": {}})).map(drop),
    ),
    (
        "a collection name with a slash",
        Expect::Name,
        "not allowed",
        |db| db.insert("a/b", json!({})).map(drop),
    ),
    (
        "a collection name leaving the folder",
        Expect::Name,
        "",
        |db| db.create_collection::<&str>("../x", &[]).map(drop),
    ),
    ("a hidden collection name", Expect::Name, "dot", |db| {
        db.create_collection::<&str>(".hidden", &[]).map(drop)
    }),
    ("a backslash in a name", Expect::Name, "not allowed", |db| {
        db.create_collection::<&str>("a\\b", &[]).map(drop)
    }),
    ("an empty name", Expect::Name, "empty", |db| {
        db.create_collection::<&str>("", &[]).map(drop)
    }),
    ("a name over the limit", Expect::Name, "longer", |db| {
        db.create_collection::<&str>(&"n".repeat(MAX_NAME_BYTES + 1), &[])
            .map(drop)
    }),
    ("importing under a bad name", Expect::Name, "", |db| {
        db.import_collection("x/../../y", "whatever.fdb").map(drop)
    }),
    (
        "an index on a path with empty parts",
        Expect::Query,
        "field path",
        |db| db.create_index("c", "a..b").map(drop),
    ),
    (
        "an index on an operator",
        Expect::Query,
        "field path",
        |db| db.create_index("c", "$n").map(drop),
    ),
    (
        "importing a file that is not a backup",
        Expect::Io,
        "",
        |db| {
            // Written by the case runner: plain text named like a backup.
            db.import_collection("c", db.path().join("not-a-backup.fdb.txt"))
                .map(drop)
        },
    ),
    (
        "a megabyte update that is not an object",
        Expect::Update,
        "(cut)",
        |db| db.update("c", "1", &json!("u".repeat(1 << 20))).map(drop),
    ),
    ("a megabyte sort direction", Expect::Query, "(cut)", |db| {
        db.find("c", &Find::all().sort(json!({"n": "d".repeat(1 << 20)})))
            .map(drop)
    }),
    ("a megabyte invalid regex", Expect::Query, "(cut)", |db| {
        let pattern = format!("({}", "r".repeat(1 << 20));
        db.find("c", &Find::new(json!({"s": {"$regex": pattern}})))
            .map(drop)
    }),
    (
        "a megabyte pipeline stage",
        Expect::Pipeline,
        "(cut)",
        |db| {
            db.aggregate("c", &json!([{"$limit": "l".repeat(1 << 20)}]))
                .map(drop)
        },
    ),
    ("a megabyte collection name", Expect::Name, "longer", |db| {
        db.insert(&"n".repeat(1 << 20), json!({})).map(drop)
    }),
    (
        "commit without a transaction",
        Expect::Transaction,
        "no transaction",
        |db| db.commit(),
    ),
];

#[test]
fn bad_calls_fail_clearly_and_change_nothing() {
    for (setup, format) in [
        (native_db as fn(&Path), "native"),
        (legacy_db as fn(&Path), "legacy"),
    ] {
        let base = scratch();
        let base_dir = base.path().join("db");
        setup(&base_dir);
        std::fs::write(base_dir.join("not-a-backup.fdb.txt"), "hello").unwrap();
        let before = state(&base_dir);
        for (what, expect, needle, call) in API_CASES {
            let run = scratch();
            let dir = run.path().join("db");
            copy_tree(&base_dir, &dir);
            let mut db = OpenOptions::new().open(&dir).unwrap();
            eprintln!("case {format}: {what}");
            let err = match call(&mut db) {
                Ok(()) => panic!("{format}: {what}: accepted"),
                Err(e) => e,
            };
            let message = err.to_string();
            let kind_ok = match what {
                s if s.contains("duplicate") => matches!(err, Error::DuplicateId { .. }),
                s if s.contains("not a backup") => matches!(err, Error::Corrupt { .. }),
                _ => kind_matches(&err, *expect),
            };
            assert!(kind_ok, "{format}: {what}: wrong kind of error: {err:?}");
            assert!(
                message.contains(needle),
                "{format}: {what}: {message:?} does not mention {needle:?}"
            );
            assert!(message.len() < 600, "{format}: {what}: message too long");
            db.close().unwrap();
            assert_eq!(state(&dir), before, "{format}: {what}: changed the data");
        }
    }
}

#[test]
fn the_deepest_allowed_document_is_stored_in_both_formats() {
    for setup in [native_db as fn(&Path), legacy_db] {
        let tmp = scratch();
        let dir = tmp.path().join("db");
        setup(&dir);
        let mut db = FluxDB::open(&dir).unwrap();
        let mut doc = obj("_id", json!("deep"));
        doc["d"] = nested(MAX_DEPTH);
        db.insert("c", doc).unwrap();
        db.close().unwrap();
        let db = FluxDB::open(&dir).unwrap();
        assert!(db.get("c", "deep").unwrap().is_some());
    }
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in walk(dir) {
        let name = entry.strip_prefix(dir).unwrap().display().to_string();
        if name != ".fluxdb.lock" {
            out.push((name, std::fs::read(&entry).unwrap()));
        }
    }
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn assert_one_line_failure(what: &str, run: &crate::cli::Run, code: i32, needle: &str) {
    assert_eq!(
        run.code, code,
        "{what}: exit {} ({}{})",
        run.code, run.stdout, run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{what}: {}", run.stderr);
    assert!(
        run.stderr.to_lowercase().contains(&needle.to_lowercase()),
        "{what}: stderr {:?} lacks {needle:?}",
        run.stderr
    );
    if code == 1 {
        assert_eq!(
            run.stderr.trim_end().lines().count(),
            1,
            "{what}: {}",
            run.stderr
        );
    }
}

#[test]
fn bad_command_lines_fail_clearly_and_change_nothing() {
    let tmp = scratch();
    let dir = tmp.path().join("db");
    native_db(&dir);
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_filter = format!("{{\"a\": {}1{}}}", "[".repeat(200), "]".repeat(200));
    let long_name = "n".repeat(MAX_NAME_BYTES + 1);
    let cases: Vec<(&str, Vec<&str>, i32, &str)> = vec![
        ("broken JSON", vec!["insert", "c", r#"{"a": "#], 1, "JSON"),
        ("broken filter", vec!["find", "c", "{n: 1}"], 1, "JSON"),
        ("a number document", vec!["insert", "c", "5"], 1, "object"),
        (
            "an unknown operator",
            vec!["find", "c", r#"{"n": {"$foo": 1}}"#],
            1,
            "$foo",
        ),
        (
            "an invalid regex",
            vec!["count", "c", r#"{"s": {"$regex": "("}}"#],
            1,
            "regex",
        ),
        (
            "a wrong update",
            vec!["update", "c", "1", r#"{"$inc": {"s": 1}}"#],
            1,
            "$inc",
        ),
        (
            "a bad pipeline",
            vec!["aggregate", "c", r#"[{"$nope": 1}]"#],
            1,
            "$nope",
        ),
        (
            "a filter nested past the parser",
            vec!["find", "c", &deep_filter],
            1,
            "JSON",
        ),
        ("a name with a slash", vec!["insert", "a/b", "{}"], 1, "a/b"),
        ("a name with a dot first", vec!["create", ".x"], 1, "dot"),
        ("a long name", vec!["create", &long_name], 1, "longer"),
        ("a missing collection", vec!["find", "nope"], 1, "nope"),
        (
            "a non-number limit",
            vec!["find", "c", "--limit", "x"],
            2,
            "limit",
        ),
        ("an unknown command", vec!["frobnicate"], 2, "frobnicate"),
        (
            "importing a missing file",
            vec!["import", "c", "/nonexistent/x.fdb"],
            1,
            "x.fdb",
        ),
    ];
    let before = snapshot(&dir);
    for (what, args, code, needle) in &cases {
        let run = fluxdb(&dir, args);
        assert_one_line_failure(what, &run, *code, needle);
        assert_eq!(snapshot(&dir), before, "{what}: changed the folder");
    }
    // Through stdin: JSON too deep for an argument, broken JSON Lines.
    let run = fluxdb_with_stdin(&dir, &["insert", "c"], Some(&deep_json));
    assert_one_line_failure("JSON 100,000 levels deep", &run, 1, "line 1");
    assert_eq!(snapshot(&dir), before, "deep stdin changed the folder");
    let huge = format!("{{\"big\": \"{}\"}}", "h".repeat(MAX_DOCUMENT_BYTES + 10));
    let run = fluxdb_with_stdin(&dir, &["insert", "c"], Some(&huge));
    assert_one_line_failure("a document over the limit on stdin", &run, 1, "limit");
    assert!(run.stderr.len() < 400, "{}", run.stderr.len());
    assert_eq!(snapshot(&dir), before, "a huge document changed the folder");
    let run = fluxdb_with_stdin(&dir, &["insert", "c"], Some("{\"a\": 1}\n{\"b\": \n"));
    assert_one_line_failure("broken JSON Lines on stdin", &run, 1, "line");
    assert_eq!(snapshot(&dir), before, "broken stdin changed the folder");
}

#[test]
fn invalid_utf8_is_refused_with_a_clear_error() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = scratch();
    let dir = tmp.path().join("db");
    native_db(&dir);
    let before = snapshot(&dir);
    let bad = std::ffi::OsStr::from_bytes(b"{\"a\": \"\xff\xfe\"}");
    let out = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .arg("--db")
        .arg(&dir)
        .args([
            std::ffi::OsStr::new("insert"),
            std::ffi::OsStr::new("c"),
            bad,
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("UTF-8"), "{stderr}");
    // Invalid UTF-8 inside a file to import.
    let file = tmp.path().join("bad.jsonl");
    std::fs::write(&file, b"{\"a\": \"\xff\"}\n").unwrap();
    let reader = fluxdb::interchange::DocumentReader::open(
        &file,
        fluxdb::interchange::Format::JsonLines,
        Default::default(),
    )
    .unwrap()
    .next_document();
    match reader {
        Some(Err(Error::ImportLine { line: 1, .. })) => {}
        other => panic!("invalid UTF-8 in JSON Lines: {other:?}"),
    }
    // A file in the folder whose name is not UTF-8 is not a collection.
    std::fs::write(dir.join(std::ffi::OsStr::from_bytes(b"\xff.fdb")), b"").unwrap();
    let db = FluxDB::open(&dir).unwrap();
    assert_eq!(db.list_collections(), ["c"]);
    drop(db);
    std::fs::remove_file(dir.join(std::ffi::OsStr::from_bytes(b"\xff.fdb"))).unwrap();
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn a_database_path_that_is_a_file_is_an_error() {
    let tmp = scratch();
    let file = tmp.path().join("plain.txt");
    std::fs::write(&file, "x").unwrap();
    for result in [FluxDB::open(&file), FluxDB::open_read_only(&file)] {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        assert!(err.to_string().contains("plain.txt"), "{err}");
    }
    let run = fluxdb(&file, &["collections"]);
    assert_one_line_failure("--db a file", &run, 1, "plain.txt");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}

/// Mounts a tmpfs of `size` at `at`; `None` (with the reason printed) when
/// this process may not mount.
fn mount_tmpfs(at: &Path, size: &str) -> Option<Mount> {
    std::fs::create_dir_all(at).unwrap();
    let out = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(at)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(Mount(at.to_path_buf())),
        Ok(o) => {
            eprintln!(
                "skipping the mounted part: mount failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("skipping the mounted part: no mount command: {e}");
            None
        }
    }
}

struct Mount(std::path::PathBuf);

impl Mount {
    fn remount(&self, options: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_read_only_database_refuses_writes_and_keeps_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    native_db(&dir);
    // Opened read-only: every write is refused, nothing changes.
    let before = snapshot(&dir);
    let mut db = FluxDB::open_read_only(&dir).unwrap();
    let writes: [(&str, fluxdb::Result<()>); 5] = [
        ("insert", db.insert("c", json!({})).map(drop)),
        ("update", db.update("c", "1", &json!({"n": 5})).map(drop)),
        ("create", db.create_collection::<&str>("d", &[]).map(drop)),
        ("compact", db.compact("c").map(drop)),
        ("begin", db.begin_transaction()),
    ];
    for (what, result) in writes {
        let err = result.unwrap_err();
        assert!(matches!(err, Error::ReadOnly { .. }), "{what}: {err:?}");
    }
    drop(db);
    assert_eq!(snapshot(&dir), before);
    let run = fluxdb(&dir, &["count", "c"]);
    assert_eq!(run.stdout.trim(), "2");

    // A folder on a read-only file system.
    let mount_at = tmp.path().join("ro");
    let Some(mount) = mount_tmpfs(&mount_at, "4m") else {
        return;
    };
    let inner = mount_at.join("db");
    native_db(&inner);
    if !mount.remount("ro") {
        eprintln!("skipping the mounted part: remounting read-only failed");
        return;
    }
    let err = FluxDB::open(&inner).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("db"),
        "{err:?}"
    );
    let db = FluxDB::open_read_only(&inner).unwrap();
    assert_eq!(db.count("c", &json!({})).unwrap(), 2);
    drop(db);
    let run = fluxdb(&inner, &["insert", "c", "{}"]);
    assert_one_line_failure("insert on a read-only mount", &run, 1, "read-only");
    let run = fluxdb(&inner, &["find", "c"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 2);
}

#[test]
fn a_full_disk_fails_writes_and_keeps_every_acknowledged_one() {
    let tmp = tempfile::tempdir().unwrap();
    let mount_at = tmp.path().join("small");
    let Some(_mount) = mount_tmpfs(&mount_at, "256k") else {
        // Still a full disk, injected.
        full_disk_by_injection(&tmp.path().join("db"));
        return;
    };
    let dir = mount_at.join("db");
    let mut db = OpenOptions::new().flush_size(0).open(&dir).unwrap();
    let mut acked = Vec::new();
    let err = loop {
        let id = format!("r{}", acked.len());
        match db.insert("c", json!({"_id": id, "pad": "p".repeat(2000)})) {
            Ok(_) => acked.push(id),
            Err(e) => break e,
        }
        assert!(acked.len() < 10_000, "the disk never filled");
    };
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("c.fdb"), "{err}");
    // Compaction needs room for a copy: refused, data intact.
    assert!(db.compact("c").is_err());
    assert!(db.export_collection("c", dir.join("c.backup")).is_err());
    assert!(!dir.join("c.backup").exists() && !dir.join("c.backup.tmp").exists());
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    let ids: Vec<String> = db
        .find("c", &Find::all())
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect();
    // The write that found the disk full stays pending; it may have been
    // written on close only if room came back (it did not).
    assert_eq!(ids, acked);
    full_disk_by_injection(&tmp.path().join("db2"));
}

fn full_disk_by_injection(dir: &Path) {
    use fluxdb::engine::storage::durable::fault::{self, Plan};
    let mut db = OpenOptions::new().flush_size(0).open(dir).unwrap();
    db.insert("c", json!({"_id": "kept"})).unwrap();
    fault::arm(Plan::StopAfterBytes(0));
    let err = db.insert("c", json!({"_id": "retried"})).unwrap_err();
    let err_again = db.flush().unwrap_err();
    fault::disarm();
    assert!(err.to_string().contains("c.fdb"), "{err}");
    assert!(err_again.to_string().contains("c.fdb"), "{err_again}");
    drop(db);
    // Nothing half-written; the failed write stayed pending and the next
    // flush (on close, with room again) wrote it whole.
    let db = FluxDB::open(dir).unwrap();
    assert_eq!(db.count("c", &json!({})).unwrap(), 2);
}

#[test]
fn a_backup_truncated_or_flipped_anywhere_is_refused_and_changes_nothing() {
    let tmp = scratch();
    let dir = tmp.path().join("db");
    native_db(&dir);
    let backup = tmp.path().join("c.fdb");
    FluxDB::open(&dir)
        .unwrap()
        .export_collection("c", &backup)
        .unwrap();
    let whole = std::fs::read(&backup).unwrap();
    let mut db = FluxDB::open(&dir).unwrap();
    db.insert("other", json!({"_id": "o"})).unwrap();
    db.flush().unwrap();
    let before = db.find("other", &Find::all()).unwrap();
    let bad = tmp.path().join("bad.fdb");
    for at in 0..whole.len() {
        for variant in [&whole[..at], &flipped(&whole, at)[..]] {
            std::fs::write(&bad, variant).unwrap();
            let result = db.import_collection("other", &bad);
            assert!(result.is_err(), "damage at {at} was imported");
            assert_eq!(db.find("other", &Find::all()).unwrap(), before);
        }
    }
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    assert_eq!(db.find("other", &Find::all()).unwrap(), before);
}

fn flipped(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    copy[at] ^= 0x20;
    copy
}

#[test]
fn legacy_files_and_the_transaction_log_damaged_anywhere_open_or_fail_cleanly() {
    let tmp = scratch();
    let dir = tmp.path().join("db");
    legacy_db(&dir);
    let whole = std::fs::read(dir.join("c.fdb")).unwrap();
    for at in 0..whole.len() {
        for variant in [&whole[..at], &flipped(&whole, at)[..]] {
            std::fs::write(dir.join("c.fdb"), variant).unwrap();
            // Python's format has no checksums: a flip may change a value,
            // but opening and reading must work or fail with an error.
            if let Ok(db) = FluxDB::open_read_only(&dir) {
                let _ = db.find("c", &Find::all());
            }
        }
    }
    let tmp = scratch();
    let dir = tmp.path().join("db");
    native_db(&dir);
    let mut db = FluxDB::open(&dir).unwrap();
    db.begin_transaction().unwrap();
    db.insert("c", json!({"_id": "t1"})).unwrap();
    db.insert("d", json!({"_id": "t2"})).unwrap();
    db.commit().unwrap();
    drop(db);
    let log = std::fs::read(dir.join("transactions.log")).unwrap();
    for at in 0..log.len() {
        let copy = scratch();
        let copy_dir = copy.path().join("db");
        copy_tree(&dir, &copy_dir);
        std::fs::write(copy_dir.join("transactions.log"), &log[..at]).unwrap();
        match FluxDB::open(&copy_dir) {
            // Without the record both parts are gone, never one.
            Ok(db) => assert_eq!(
                db.get("c", "t1").unwrap().is_some(),
                db.get("d", "t2").map(|d| d.is_some()).unwrap_or(false),
                "log cut at {at}"
            ),
            Err(e) => assert!(matches!(e, Error::Corrupt { .. }), "log cut at {at}: {e}"),
        }
    }
}

#[test]
fn exporting_over_a_file_of_the_database_is_refused() {
    for setup in [native_db as fn(&Path), legacy_db] {
        let tmp = scratch();
        let dir = tmp.path().join("db");
        setup(&dir);
        let mut db = FluxDB::open(&dir).unwrap();
        db.insert("d", json!({"_id": "keep"})).unwrap();
        db.close().unwrap();
        let before = state(&dir);
        let db = FluxDB::open(&dir).unwrap();
        // Its own file, another collection's, a new collection-to-be, the log.
        for target in ["c.fdb", "d.fdb", "backup.fdb", "transactions.log"] {
            let err = db.export_collection("c", dir.join(target)).unwrap_err();
            assert!(
                err.to_string().contains("database folder"),
                "{target}: {err}"
            );
        }
        for target in ["c.fdb", "d.fdb"] {
            let options =
                fluxdb::engine::ExportOptions::new().format(fluxdb::interchange::Format::JsonLines);
            let err = db
                .export_documents("c", dir.join(target), &options, &mut |_, _| {})
                .unwrap_err();
            assert!(err.to_string().contains("database folder"), "{err}");
            let err = db
                .backup_database(dir.join(target), &mut |_, _| {})
                .unwrap_err();
            assert!(err.to_string().contains("database folder"), "{err}");
        }
        // Through another spelling of the same folder.
        let sneaky = dir.join("indexes").join("..").join("d.fdb");
        assert!(db.export_collection("c", &sneaky).is_err());
        drop(db);
        let run = fluxdb(&dir, &["export", "c", dir.join("d.fdb").to_str().unwrap()]);
        assert_one_line_failure("export over d.fdb", &run, 1, "database folder");
        assert_eq!(state(&dir), before);
        // Anywhere else is fine.
        let db = FluxDB::open(&dir).unwrap();
        assert!(db.export_collection("c", tmp.path().join("c.fdb")).unwrap());
    }
}

#[test]
fn bad_files_to_import_or_restore_fail_clearly_and_change_nothing() {
    let tmp = scratch();
    let dir = tmp.path().join("db");
    native_db(&dir);
    let files: [(&str, &[u8], &str); 6] = [
        ("broken.jsonl", b"{\"_id\": \"n1\"}\n{\"a\": \n", "line 2"),
        ("array.json", b"[{\"a\": 1}, 5]", "line 1"),
        ("badutf8.jsonl", b"{\"a\": \"\xff\"}\n", "line 1"),
        ("deep.jsonl", &[b'['; 5000], "line 1"),
        ("dup.jsonl", b"{\"_id\": \"1\"}\n", "line 1"),
        ("badutf8.csv", b"a\n\xff\xfe\n", "line 2"),
    ];
    let before = snapshot(&dir);
    for (name, bytes, needle) in files {
        let file = tmp.path().join(name);
        std::fs::write(&file, bytes).unwrap();
        let run = fluxdb(&dir, &["import", "c", file.to_str().unwrap()]);
        assert_one_line_failure(name, &run, 1, needle);
        assert!(run.stderr.contains(name), "{name}: {}", run.stderr);
        assert_eq!(snapshot(&dir), before, "{name}: changed the folder");
    }
    // Not a backup, a collection file, a truncated backup.
    let backup = tmp.path().join("all.fdbbackup");
    let run = fluxdb(&dir, &["backup", backup.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let whole = std::fs::read(&backup).unwrap();
    let before = snapshot(&dir);
    let bad = tmp.path().join("bad.fdbbackup");
    for (what, bytes) in [
        ("text", b"hello".to_vec()),
        (
            "a collection file",
            std::fs::read(dir.join("c.fdb")).unwrap(),
        ),
        ("a truncated backup", whole[..whole.len() - 3].to_vec()),
    ] {
        std::fs::write(&bad, bytes).unwrap();
        let run = fluxdb(&dir, &["restore", bad.to_str().unwrap()]);
        assert_one_line_failure(what, &run, 1, "bad.fdbbackup");
        assert_eq!(snapshot(&dir), before, "{what}: changed the folder");
    }
}
