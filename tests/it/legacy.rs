//! Folders written by the Python FluxDB 0.1 library: read exactly as the
//! library reads them, queried with the number-versus-text rule, written in
//! place byte for byte as the format description says, crash safe, and
//! migrated to the native format.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use fluxdb::Document;
use fluxdb::engine::legacy::{MigrateOptions, parse_index_file, read_collection, write_index_file};
use fluxdb::engine::{Find, FluxDB, OpenOptions, StorageFormat};
use serde_json::{Value, json};

use crate::support::{lines_until_killed, numbers_after};

use crate::cli::fluxdb;

fn fixture_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/legacy-v0.1"
    ))
}

fn expected(folder: &str) -> Value {
    let path = fixture_dir().join(format!("{folder}.expected.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A writable copy of a fixture folder at `<tmp>/db`.
fn copy_fixture(folder: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    copy_tree(&fixture_dir().join(folder), &db);
    (tmp, db)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
            let mut perms = std::fs::metadata(&target).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&target, perms).unwrap();
        }
    }
}

/// Every file of a folder tree with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(snapshot(&path));
        } else if path.file_name().and_then(|n| n.to_str()) != Some(".fluxdb.lock")
            && !path.ends_with("transactions.log")
        {
            files.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    files.sort();
    files
}

/// A document's fields in order, every value as text.
fn text_pairs(doc: &Document) -> Vec<(String, String)> {
    doc.iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k.clone(), s.clone()),
            other => panic!("field {k} is {other}, not text"),
        })
        .collect()
}

fn expected_pairs(record: &Value) -> Vec<(String, String)> {
    record
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

fn expected_records(folder: &str, collection: &str) -> Vec<Vec<(String, String)>> {
    expected(folder)["records"][collection]
        .as_array()
        .unwrap()
        .iter()
        .map(expected_pairs)
        .collect()
}

fn find_pairs(db: &FluxDB, collection: &str, find: &Find) -> Vec<Vec<(String, String)>> {
    db.find(collection, find)
        .unwrap()
        .iter()
        .map(text_pairs)
        .collect()
}

fn field<'a>(record: &'a [(String, String)], name: &str) -> &'a str {
    record
        .iter()
        .find(|(k, _)| k == name)
        .map_or("", |(_, v)| v.as_str())
}

/// A record encoded straight from the format description (not the codec):
/// u32 BE length, the id NUL-padded to 36 bytes, u32 field count, then
/// each field as u32 key length, key, u32 value length, value.
fn spec_record(id: &str, fields: &[(String, String)]) -> Vec<u8> {
    let mut body = id.as_bytes()[..id.len().min(36)].to_vec();
    body.resize(36, 0);
    body.extend((fields.len() as u32).to_be_bytes());
    for (key, value) in fields {
        body.extend((key.len() as u32).to_be_bytes());
        body.extend(key.as_bytes());
        body.extend((value.len() as u32).to_be_bytes());
        body.extend(value.as_bytes());
    }
    let mut record = (body.len() as u32).to_be_bytes().to_vec();
    record.extend(body);
    record
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An index as `[(field, [(value text, [ids])])]`, in the pickle's dict order.
type IndexContent = Vec<(String, Vec<(String, Vec<String>)>)>;

/// `{field: {text: [ids]}}` as the index should hold it, built by hand.
fn index_by_hand(fields: &[&str], records: &[Vec<(String, String)>]) -> IndexContent {
    fields
        .iter()
        .map(|f| {
            let mut values: Vec<(String, Vec<String>)> = Vec::new();
            for record in records {
                let text = field(record, f).to_owned();
                let id = field(record, "_id").to_owned();
                match values.iter_mut().find(|(v, _)| *v == text) {
                    Some((_, ids)) => ids.push(id),
                    None => values.push((text, vec![id])),
                }
            }
            (f.to_string(), values)
        })
        .collect()
}

fn index_on_disk(path: &Path) -> IndexContent {
    let index = parse_index_file(&std::fs::read(path).unwrap()).unwrap();
    index
        .fields
        .into_iter()
        .zip(index.entries)
        .map(|(f, entries)| (f, entries.into_iter().map(|e| (e.value, e.ids)).collect()))
        .collect()
}

#[test]
fn every_fixture_collection_reads_exactly_as_the_python_library_returns_it() {
    for folder in ["basic", "torn-tail"] {
        let (_tmp, dir) = copy_fixture(folder);
        let before = snapshot(&dir);
        let expected = expected(folder);
        let db = FluxDB::open(&dir).unwrap();
        let names: Vec<String> = expected["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(db.list_collections(), names, "{folder}");
        for name in &names {
            let records = find_pairs(&db, name, &Find::all());
            assert_eq!(records, expected_records(folder, name), "{folder}/{name}");
            let texts: Vec<String> = db
                .find(name, &Find::all())
                .unwrap()
                .iter()
                .map(|d| serde_json::to_string(d).unwrap())
                .collect();
            assert_eq!(db.find_json(name, &Find::all()).unwrap(), texts);
            let info = db.collection_info(name).unwrap();
            assert_eq!(info.format, StorageFormat::Legacy);
            assert_eq!(info.records, records.len());
            assert_eq!(info.dead_bytes, 0);
            assert_eq!(
                info.file_bytes,
                std::fs::metadata(dir.join(format!("{name}.fdb")))
                    .unwrap()
                    .len()
            );
            let indexed: Vec<String> = expected["indexed_fields"][name]
                .as_array()
                .map(|a| a.iter().map(|f| f.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            assert_eq!(info.indexed_fields, indexed, "{folder}/{name}");
            for record in &records {
                let id = field(record, "_id");
                let got = db.get(name, id).unwrap().unwrap();
                assert_eq!(&text_pairs(&got), record);
                assert!(db.exists(name, id).unwrap());
            }
        }
        // The torn-tail folder reports its dropped tail; the whole one nothing.
        let notes = db.recovery_report();
        if folder == "torn-tail" {
            assert_eq!(notes.len(), 1, "{notes:?}");
            assert_eq!(notes[0].collection, "users");
            assert_eq!(
                (notes[0].dropped.offset, notes[0].dropped.bytes),
                (8196, 70)
            );
        } else {
            assert!(notes.is_empty(), "{notes:?}");
        }
        drop(db);
        // Reading changes no file.
        assert_eq!(snapshot(&dir), before, "{folder}");
    }
}

#[test]
fn a_read_only_open_of_a_python_folder_reads_the_same_and_writes_nothing() {
    let (_tmp, dir) = copy_fixture("torn-tail");
    let before = snapshot(&dir);
    let db = FluxDB::open_read_only(&dir).unwrap();
    assert_eq!(
        find_pairs(&db, "users", &Find::all()),
        expected_records("torn-tail", "users")
    );
    assert_eq!(db.recovery_report().len(), 1);
    drop(db);
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn documented_queries_compare_numeric_text_as_numbers() {
    let (_tmp, dir) = copy_fixture("basic");
    let db = FluxDB::open(&dir).unwrap();
    let users = expected_records("basic", "users");
    let age = |r: &Vec<(String, String)>| field(r, "age").parse::<f64>().unwrap();

    let over_20: Vec<_> = users.iter().filter(|r| age(r) > 20.0).cloned().collect();
    let found = find_pairs(&db, "users", &Find::new(json!({"age": {"$gt": 20}})));
    assert_eq!(found, over_20);
    assert!(found.len() > 40 && found.len() < users.len());
    assert_eq!(
        db.count("users", &json!({"age": {"$gt": 20}})).unwrap(),
        over_20.len()
    );

    let forty_one: Vec<_> = users
        .iter()
        .filter(|r| field(r, "age") == "41")
        .cloned()
        .collect();
    assert_eq!(forty_one.len(), 3);
    assert_eq!(
        find_pairs(&db, "users", &Find::new(json!({"age": 41}))),
        forty_one
    );
    assert_eq!(
        find_pairs(&db, "users", &Find::new(json!({"age": "41"}))),
        forty_one
    );

    let young: Vec<_> = users
        .iter()
        .filter(|r| [18.0, 19.0].contains(&age(r)))
        .cloned()
        .collect();
    assert_eq!(
        find_pairs(&db, "users", &Find::new(json!({"age": {"$in": [18, 19]}}))),
        young
    );

    let range = json!({"age": {"$gte": 30, "$lt": 40}, "status": "inactive"});
    let in_range: Vec<_> = users
        .iter()
        .filter(|r| (30.0..40.0).contains(&age(r)) && field(r, "status") == "inactive")
        .cloned()
        .collect();
    assert_eq!(find_pairs(&db, "users", &Find::new(range)), in_range);

    // Sorting orders numeric text as numbers ("9" before "10"), each key
    // with its own direction.
    let sorted = find_pairs(
        &db,
        "users",
        &Find::all().sort(json!({"age": -1, "name": 1})),
    );
    assert_eq!(sorted.len(), users.len());
    for pair in sorted.windows(2) {
        let (a, b) = (age(&pair[0]), age(&pair[1]));
        assert!(a >= b, "{a} before {b}");
        if a == b {
            assert!(field(&pair[0], "name") <= field(&pair[1], "name"));
        }
    }
    let cheapest = find_pairs(
        &db,
        "products",
        &Find::all().sort(json!({"price": 1})).limit(1),
    );
    let min_price = expected_records("basic", "products")
        .iter()
        .map(|r| field(r, "price").parse::<f64>().unwrap())
        .fold(f64::INFINITY, f64::min);
    assert_eq!(
        field(&cheapest[0], "price").parse::<f64>().unwrap(),
        min_price
    );
    assert_eq!(
        db.count("products", &json!({"sale": "True"})).unwrap(),
        expected_records("basic", "products")
            .iter()
            .filter(|r| field(r, "sale") == "True")
            .count()
    );
}

#[test]
fn writes_give_the_bytes_the_format_description_gives() {
    let (_tmp, dir) = copy_fixture("basic");
    let users_file = dir.join("users.fdb");
    let users_index = dir.join("indexes/users.idx");
    let original = std::fs::read(&users_file).unwrap();
    let mut users = expected_records("basic", "users");
    let mut db = OpenOptions::new().flush_size(0).open(&dir).unwrap();

    // An insert appends one record: the caller's fields in order, each
    // value as Python's str() gives it, then `_id` (a generated id).
    let id = db
        .insert(
            "users",
            json!({"name": "Eve", "age": 30, "score": 1e16, "ok": true, "none": null,
                   "tags": [1, "a", 2.5], "addr": {"k": 1, "s": "it's"}, "half": 1.5}),
        )
        .unwrap();
    let eve = pairs(&[
        ("name", "Eve"),
        ("age", "30"),
        ("score", "1e+16"),
        ("ok", "True"),
        ("none", "None"),
        ("tags", "[1, 'a', 2.5]"),
        ("addr", "{'k': 1, 's': \"it's\"}"),
        ("half", "1.5"),
        ("_id", &id),
    ]);
    let mut expected_file = original.clone();
    expected_file.extend(spec_record(&id, &eve));
    assert_eq!(std::fs::read(&users_file).unwrap(), expected_file);
    let mut eve_as_read = vec![("_id".to_string(), id.clone())];
    eve_as_read.extend(eve[..eve.len() - 1].iter().cloned());
    users.push(eve_as_read);
    assert_eq!(
        index_on_disk(&users_index),
        index_by_hand(&["age", "status"], &users)
    );

    // A caller-chosen `_id` stays where the caller put it.
    db.insert("products", json!({"sku": "X1", "_id": "mine", "price": 2}))
        .unwrap();
    let products = std::fs::read(dir.join("products.fdb")).unwrap();
    let mine = spec_record(
        "mine",
        &pairs(&[("sku", "X1"), ("_id", "mine"), ("price", "2")]),
    );
    assert!(products.ends_with(&mine));
    assert!(!dir.join("indexes/products.idx").exists());

    // An update rewrites every record as Python does: `_id` first, then
    // the fields in the order Python's dict holds them.
    let first_id = field(&users[0], "_id").to_owned();
    assert!(
        db.update("users", &first_id, &json!({"age": 31, "city": "Oslo"}))
            .unwrap()
    );
    users[0] = users[0]
        .iter()
        .map(|(k, v)| match k.as_str() {
            "age" => (k.clone(), "31".to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    users[0].push(("city".to_string(), "Oslo".to_string()));
    let rewritten: Vec<u8> = users
        .iter()
        .flat_map(|r| spec_record(field(r, "_id"), r))
        .collect();
    assert_eq!(std::fs::read(&users_file).unwrap(), rewritten);
    assert_eq!(
        index_on_disk(&users_index),
        index_by_hand(&["age", "status"], &users)
    );

    // A delete rewrites the rest and takes the id out of the index.
    let gone = field(&users[3], "_id").to_owned();
    assert!(db.delete("users", &gone).unwrap());
    users.remove(3);
    let rewritten: Vec<u8> = users
        .iter()
        .flat_map(|r| spec_record(field(r, "_id"), r))
        .collect();
    assert_eq!(std::fs::read(&users_file).unwrap(), rewritten);
    assert_eq!(
        index_on_disk(&users_index),
        index_by_hand(&["age", "status"], &users)
    );
    // The index file is the one CPython's pickle writes for these records.
    assert_eq!(
        std::fs::read(&users_index).unwrap(),
        write_index_file(
            &["age".to_string(), "status".to_string()],
            &read_collection(&rewritten).records
        )
        .unwrap()
    );

    // Reopened, the folder reads back the same; no temporary file is left.
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    assert_eq!(find_pairs(&db, "users", &Find::all()), users);
    let leftovers: Vec<_> = snapshot(&dir)
        .into_iter()
        .filter(|(p, _)| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn indexes_over_python_text_answer_like_a_scan_and_follow_every_write() {
    let (_tmp, dir) = copy_fixture("basic");
    let mut db = FluxDB::open(&dir).unwrap();
    let mut users = expected_records("basic", "users");
    let with_status = |users: &[Vec<(String, String)>], status: &str| -> Vec<_> {
        users
            .iter()
            .filter(|r| field(r, "status") == status)
            .cloned()
            .collect()
    };
    let active = Find::new(json!({"status": "active"}));
    assert_eq!(
        db.explain("users", &active).unwrap().index.as_deref(),
        Some("status")
    );
    assert_eq!(
        find_pairs(&db, "users", &active),
        with_status(&users, "active")
    );

    // Many inserts, then most of them deleted (the engine renumbers its
    // slots), an update: indexed answers stay those of a scan.
    let ids = db
        .insert_many(
            "users",
            (0..300)
                .map(|i| {
                    let status = ["active", "x"][i % 2];
                    json!({"name": format!("n{i}"), "age": i % 50, "status": status})
                })
                .collect(),
        )
        .unwrap();
    for (i, id) in ids.iter().enumerate() {
        let mut record = vec![("_id".to_string(), id.clone())];
        record.extend(pairs(&[
            ("name", &format!("n{i}")),
            ("age", &(i % 50).to_string()),
            ("status", ["active", "x"][i % 2]),
        ]));
        users.push(record);
    }
    for id in ids.iter().take(250) {
        assert!(db.delete("users", id).unwrap());
    }
    db.flush().unwrap();
    users.retain(|r| !ids[..250].iter().any(|id| field(r, "_id") == id));
    let first = field(&users[0], "_id").to_owned();
    db.update("users", &first, &json!({"status": "x"})).unwrap();
    users[0] = users[0]
        .iter()
        .map(|(k, v)| match k.as_str() {
            "status" => (k.clone(), "x".to_string()),
            _ => (k.clone(), v.clone()),
        })
        .collect();
    assert_eq!(
        find_pairs(&db, "users", &active),
        with_status(&users, "active")
    );
    assert_eq!(
        find_pairs(&db, "users", &Find::new(json!({"status": "x"}))),
        with_status(&users, "x")
    );
    assert_eq!(find_pairs(&db, "users", &Find::all()), users);

    // Indexing another field rewrites the pickle with it; dropping every
    // index leaves `{}`, which the Python library reads as no index.
    assert!(db.create_index("users", "name").unwrap());
    assert_eq!(
        index_on_disk(&dir.join("indexes/users.idx")),
        index_by_hand(&["age", "status", "name"], &users)
    );
    let by_name = Find::new(json!({"name": "n260"}));
    assert_eq!(
        db.explain("users", &by_name).unwrap().index.as_deref(),
        Some("name")
    );
    assert_eq!(find_pairs(&db, "users", &by_name).len(), 1);
    for f in ["age", "status", "name"] {
        assert!(db.drop_index("users", f).unwrap());
    }
    assert_eq!(index_on_disk(&dir.join("indexes/users.idx")), vec![]);
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    assert!(
        db.collection_info("users")
            .unwrap()
            .indexed_fields
            .is_empty()
    );
    assert_eq!(find_pairs(&db, "users", &Find::all()), users);
}

/// Reads a collection file the way the Python library does and checks that
/// its index file is exactly `pickle.dumps(index, protocol=5)` of the index
/// the library would build from those records.
const PYTHON_CHECK: &str = r#"
import pickle, struct, sys
folder, name = sys.argv[1], sys.argv[2]
data = open(f"{folder}/{name}.fdb", "rb").read()
records, off = [], 0
while off + 4 <= len(data):
    n = struct.unpack("!I", data[off:off + 4])[0]
    if off + 4 + n > len(data):
        sys.exit("torn record")
    body, off = data[off + 4:off + 4 + n], off + 4 + n
    record = {"_id": body[:36].rstrip(b"\0").decode("utf-8", errors="ignore")}
    count, p = struct.unpack("!I", body[36:40])[0], 40
    for _ in range(count):
        kl = struct.unpack("!I", body[p:p + 4])[0]
        key = body[p + 4:p + 4 + kl].decode("utf-8", errors="ignore")
        p += 4 + kl
        vl = struct.unpack("!I", body[p:p + 4])[0]
        record[key] = body[p + 4:p + 4 + vl].decode("utf-8", errors="ignore")
        p += 4 + vl
    records.append(record)
stored = open(f"{folder}/indexes/{name}.idx", "rb").read()
index = {field: {} for field in pickle.loads(stored)}
for record in records:
    for field in index:
        index[field].setdefault(str(record.get(field, "")), []).append(record["_id"])
assert pickle.dumps(index, protocol=5) == stored, "index file differs"
print(len(records))
"#;

#[test]
fn cpython_reads_our_writes_as_its_own() {
    let Ok(probe) = Command::new("python3").arg("--version").output() else {
        eprintln!("python3 is not installed: the CPython cross-check is skipped");
        return;
    };
    assert!(probe.status.success());
    let (_tmp, dir) = copy_fixture("basic");
    let mut db = FluxDB::open(&dir).unwrap();
    let ids = db
        .insert_many(
            "users",
            vec![
                json!({"name": "Eve", "age": 30, "status": "new", "tags": [1, "a"], "x": {"k": null}}),
                json!({"_id": "short", "age": 1e16, "status": true}),
            ],
        )
        .unwrap();
    let bob = field(&expected_records("basic", "users")[1], "_id").to_owned();
    db.update("users", &bob, &json!({"age": 42.0, "status": "moved"}))
        .unwrap();
    db.delete("users", &ids[1]).unwrap();
    db.create_collection("cities", &["country"]).unwrap();
    db.insert("cities", json!({"country": "NO", "name": "Oslo"}))
        .unwrap();
    db.close().unwrap();
    for (name, count) in [("users", "56"), ("cities", "1")] {
        let run = Command::new("python3")
            .args(["-c", PYTHON_CHECK])
            .arg(&dir)
            .arg(name)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{name}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), count, "{name}");
    }
}

#[test]
fn create_clear_drop_import_and_export_keep_the_folder_in_the_python_format() {
    let (tmp, dir) = copy_fixture("basic");
    let mut db = FluxDB::open(&dir).unwrap();

    // A new collection in a Python folder is a Python one: an empty file
    // and, with indexed fields, an index of empty dicts.
    assert!(
        db.create_collection("cities", &["country", "size"])
            .unwrap()
    );
    assert!(!db.create_collection("cities", &["country"]).unwrap());
    assert_eq!(std::fs::read(dir.join("cities.fdb")).unwrap(), b"");
    assert_eq!(
        index_on_disk(&dir.join("indexes/cities.idx")),
        [
            ("country".to_string(), vec![]),
            ("size".to_string(), vec![])
        ]
    );
    assert_eq!(
        db.collection_info("cities").unwrap().format,
        StorageFormat::Legacy
    );
    // So is one an insert creates.
    db.insert("notes", json!({"text": "hi"})).unwrap();
    db.flush().unwrap();
    assert_eq!(
        db.collection_info("notes").unwrap().format,
        StorageFormat::Legacy
    );
    assert_eq!(
        read_collection(&std::fs::read(dir.join("notes.fdb")).unwrap())
            .records
            .len(),
        1
    );

    // Export writes the collection file as it is (Python's export copies
    // it); import takes such a file and rebuilds the index.
    let export = tmp.path().join("users-export.fdb");
    assert!(db.export_collection("users", &export).unwrap());
    assert_eq!(
        std::fs::read(&export).unwrap(),
        std::fs::read(dir.join("users.fdb")).unwrap()
    );
    assert!(db.import_collection("cities", &export).unwrap());
    assert_eq!(db.count("cities", &json!({})).unwrap(), 55);
    assert_eq!(
        std::fs::read(dir.join("cities.fdb")).unwrap(),
        std::fs::read(&export).unwrap()
    );
    let cities = expected_records("basic", "users");
    assert_eq!(
        index_on_disk(&dir.join("indexes/cities.idx")),
        index_by_hand(&["country", "size"], &cities)
    );
    // A damaged file is refused before anything changes.
    let torn = fixture_dir().join("torn-tail/users.fdb");
    let err = db.import_collection("cities", &torn).unwrap_err();
    assert!(err.to_string().contains("incomplete record"), "{err}");
    assert_eq!(db.count("cities", &json!({})).unwrap(), 55);

    // Clear keeps the index definitions, with no entries.
    assert!(db.clear_collection("users").unwrap());
    assert_eq!(std::fs::read(dir.join("users.fdb")).unwrap(), b"");
    assert_eq!(
        index_on_disk(&dir.join("indexes/users.idx")),
        [("age".to_string(), vec![]), ("status".to_string(), vec![])]
    );
    assert_eq!(db.count("users", &json!({})).unwrap(), 0);

    // Drop removes the file and its index.
    assert!(db.drop_collection("empty").unwrap());
    assert!(!dir.join("empty.fdb").exists());
    assert!(!dir.join("indexes/empty.idx").exists());
    assert!(!db.drop_collection("empty").unwrap());
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    assert_eq!(
        db.list_collections(),
        ["cities", "notes", "products", "txn", "users"]
    );
}

#[test]
fn transactions_over_python_collections_are_all_or_nothing() {
    let (_tmp, dir) = copy_fixture("basic");
    let before = snapshot(&dir);
    let mut db = FluxDB::open(&dir).unwrap();
    db.begin_transaction().unwrap();
    db.insert("txn", json!({"step": 3})).unwrap();
    db.insert("products", json!({"sku": "T"})).unwrap();
    db.rollback().unwrap();
    db.flush().unwrap();
    assert_eq!(snapshot(&dir), before);

    let mut tx = db.transaction().unwrap();
    tx.insert("txn", json!({"step": 3})).unwrap();
    tx.insert("products", json!({"sku": "T"})).unwrap();
    let first = field(&expected_records("basic", "users")[0], "_id").to_owned();
    tx.delete("users", &first).unwrap();
    tx.commit().unwrap();
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    assert_eq!(db.count("txn", &json!({})).unwrap(), 3);
    assert_eq!(db.count("products", &json!({"sku": "T"})).unwrap(), 1);
    assert!(!db.exists("users", &first).unwrap());
}

#[test]
fn the_first_write_to_a_torn_file_keeps_a_backup_and_repairs_it() {
    let (_tmp, dir) = copy_fixture("torn-tail");
    let torn = std::fs::read(dir.join("users.fdb")).unwrap();
    let mut db = FluxDB::open(&dir).unwrap();
    db.insert("users", json!({"name": "New"})).unwrap();
    db.close().unwrap();
    assert_eq!(std::fs::read(dir.join("users.fdb.bak")).unwrap(), torn);
    let db = FluxDB::open(&dir).unwrap();
    assert!(db.recovery_report().is_empty());
    assert_eq!(db.count("users", &json!({})).unwrap(), 55);
    let report = read_collection(&std::fs::read(dir.join("users.fdb")).unwrap());
    assert!(report.torn_tail.is_none());
}

fn migrated_records(db: &FluxDB, name: &str) -> Vec<Document> {
    db.find(name, &Find::all()).unwrap()
}

#[test]
fn migrate_keeps_ids_order_field_order_and_text_and_backs_up_the_old_files() {
    let (_tmp, dir) = copy_fixture("basic");
    let originals = snapshot(&dir);
    let mut db = FluxDB::open(&dir).unwrap();
    let report = db.migrate(MigrateOptions::default()).unwrap();
    let names = ["empty", "products", "txn", "users"];
    let migrated: Vec<&str> = report.collections.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(migrated, names);
    let backup = report.backup_dir.clone().unwrap();
    assert_eq!(backup, dir.join("python-0.1-backup"));
    for (path, bytes) in &originals {
        let relative = path.strip_prefix(&dir).unwrap();
        assert_eq!(
            &std::fs::read(backup.join(relative)).unwrap(),
            bytes,
            "{relative:?}"
        );
    }
    drop(db);
    let db = FluxDB::open(&dir).unwrap();
    for name in names {
        let info = db.collection_info(name).unwrap();
        assert_eq!(info.format, StorageFormat::Native, "{name}");
        let records: Vec<_> = migrated_records(&db, name).iter().map(text_pairs).collect();
        assert_eq!(records, expected_records("basic", name), "{name}");
    }
    assert_eq!(
        db.collection_info("users").unwrap().indexed_fields,
        ["age", "status"]
    );
    assert_eq!(
        db.collection_info("empty").unwrap().indexed_fields,
        ["name"]
    );
    assert!(!dir.join("indexes/users.idx").exists());
    // Values are text: a number matches none of them now.
    assert_eq!(db.count("users", &json!({"age": {"$gt": 20}})).unwrap(), 0);
    drop(db);
    // A second migrate finds nothing to do.
    let mut db = FluxDB::open(&dir).unwrap();
    assert_eq!(
        db.migrate(MigrateOptions::default())
            .unwrap()
            .collections
            .len(),
        0
    );
}

#[test]
fn migrate_with_type_inference_turns_python_text_back_into_values() {
    let (_tmp, dir) = copy_fixture("basic");
    let mut db = FluxDB::open(&dir).unwrap();
    db.migrate(MigrateOptions { infer_types: true }).unwrap();
    let users = migrated_records(&db, "users");
    let text = expected_records("basic", "users");
    assert_eq!(users.len(), text.len());
    for (doc, record) in users.iter().zip(&text) {
        let keys: Vec<&str> = doc.keys().map(String::as_str).collect();
        let expected_keys: Vec<&str> = record.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, expected_keys);
        assert_eq!(doc["_id"], json!(field(record, "_id")));
        assert!(doc["age"].is_u64(), "{doc:?}");
        assert_eq!(
            doc["age"],
            json!(field(record, "age").parse::<u64>().unwrap())
        );
    }
    let by_extra = |text: &str| {
        let i = text_of(&expected_records("basic", "users"), "extra", text);
        users[i]["extra"].clone()
    };
    assert_eq!(by_extra("None"), Value::Null);
    assert_eq!(by_extra("True"), json!(true));
    assert_eq!(by_extra("1e+16"), json!(1e16));
    assert_eq!(by_extra("-210"), json!(-210));
    assert_eq!(by_extra(""), json!(""));
    assert_eq!(by_extra("line1\nline2"), json!("line1\nline2"));
    assert_eq!(
        by_extra("{'city': 'Oslo', 'zip': '0042'}"),
        json!({"city": "Oslo", "zip": "0042"})
    );
    assert_eq!(users[0]["score"], json!(82.13));
    // Typed values answer typed queries.
    let over_20 = text
        .iter()
        .filter(|r| field(r, "age").parse::<f64>().unwrap() > 20.0)
        .count();
    assert_eq!(
        db.count("users", &json!({"age": {"$gt": 20}})).unwrap(),
        over_20
    );
    let products = migrated_records(&db, "products");
    assert_eq!(products.last().unwrap()["_id"], json!("custom-id-1"));
    assert_eq!(products.last().unwrap()["price"], json!(5));
}

/// The index of the first record whose `field` holds `text`.
fn text_of(records: &[Vec<(String, String)>], name: &str, text: &str) -> usize {
    records
        .iter()
        .position(|r| r.iter().any(|(k, v)| k == name && v == text))
        .unwrap_or_else(|| panic!("no record with {name} = {text:?}"))
}

#[test]
fn the_cli_shows_formats_queries_python_folders_and_migrates_them() {
    let (_tmp, dir) = copy_fixture("torn-tail");
    let run = fluxdb(&dir, &["collections", "--format"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "empty\tpython-0.1\nproducts\tpython-0.1\ntxn\tpython-0.1\nusers\tpython-0.1\n"
    );
    assert!(
        run.stderr.contains("users"),
        "the torn tail is reported: {}",
        run.stderr
    );

    let run = fluxdb(&dir, &["count", "users", r#"{"age": {"$gt": 70}}"#]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let over_70 = expected_records("torn-tail", "users")
        .iter()
        .filter(|r| field(r, "age").parse::<f64>().unwrap() > 70.0)
        .count();
    assert_eq!(run.stdout.trim(), over_70.to_string());

    let run = fluxdb(&dir, &["migrate", "--infer-types"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("users: 54 records"), "{}", run.stdout);
    assert!(run.stdout.contains("python-0.1-backup"), "{}", run.stdout);
    let run = fluxdb(&dir, &["collections", "--format"]);
    assert_eq!(
        run.stdout,
        "empty\tnative\nproducts\tnative\ntxn\tnative\nusers\tnative\n"
    );
    let run = fluxdb(&dir, &["count", "users", r#"{"age": {"$gt": 70}}"#]);
    assert_eq!(run.stdout.trim(), over_70.to_string());
    // The torn file's backup holds its bytes whole, torn tail included.
    assert_eq!(
        std::fs::read(dir.join("python-0.1-backup/users.fdb")).unwrap(),
        std::fs::read(fixture_dir().join("torn-tail/users.fdb")).unwrap()
    );
}

const CRASH_CHILD_ENV: &str = "FLUXDB_LEGACY_CRASH_CHILD_DIR";
const CRASH_ROUNDS: usize = 24;

/// The child: rewrites two Python collections in a loop, each step a
/// transaction over both ("log" gets record `n`, "meta" the counter `n`),
/// every third step followed by a standalone rewrite of "log". It prints
/// `will N` before and `ack N` after each commit.
#[test]
fn crash_child_entry_point() {
    let Ok(dir) = std::env::var(CRASH_CHILD_ENV) else {
        return; // Only does something when the crash test starts it.
    };
    let mut db = OpenOptions::new()
        .flush_size(0)
        .open(&dir)
        .expect("child opens the database");
    let mut next = db
        .get("meta", "counter")
        .unwrap()
        .and_then(|d| d["n"].as_str().and_then(|n| n.parse::<u64>().ok()))
        .map_or(0, |n| n + 1);
    loop {
        let n = next;
        println!("\nwill {n}");
        db.begin_transaction().unwrap();
        db.insert(
            "log",
            json!({"_id": format!("r{n}"), "n": n, "pad": "x".repeat((n % 5 * 30) as usize)}),
        )
        .unwrap();
        if !db.update("meta", "counter", &json!({"n": n})).unwrap() {
            db.insert("meta", json!({"_id": "counter", "n": n}))
                .unwrap();
        }
        db.commit().unwrap();
        println!("\nack {n}");
        if n.is_multiple_of(3) {
            db.update("log", &format!("r{n}"), &json!({"touched": "yes"}))
                .unwrap();
            println!("\ntouched {n}");
        }
        next = n + 1;
    }
}

/// The records `0..=last` of "log" that the child's steps leave.
fn log_is_prefix(records: &[Vec<(String, String)>], round: usize) -> Option<u64> {
    for (i, record) in records.iter().enumerate() {
        assert_eq!(
            field(record, "_id"),
            format!("r{i}"),
            "round {round}: log has a gap"
        );
    }
    records.len().checked_sub(1).map(|n| n as u64)
}

#[test]
fn killing_a_writer_leaves_each_python_file_old_or_new_never_torn() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    copy_tree(&fixture_dir().join("basic"), &dir);
    {
        let mut db = FluxDB::open(&dir).unwrap();
        db.create_collection("log", &["n"]).unwrap();
        db.create_collection::<&str>("meta", &[]).unwrap();
        assert_eq!(
            db.collection_info("log").unwrap().format,
            StorageFormat::Legacy
        );
    }
    let mut announced: BTreeSet<u64> = BTreeSet::new();
    let mut acked: Option<u64> = None;
    // The newest state the last check found (a round may commit one step
    // past its last ack: the one in flight when the kill came).
    let mut survived: Option<u64> = None;
    let mut touched: BTreeSet<u64> = BTreeSet::new();
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let started = std::time::Instant::now();
    for round in 0..CRASH_ROUNDS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let lines = lines_until_killed(
            "legacy::crash_child_entry_point",
            &[(CRASH_CHILD_ENV, dir.to_str().unwrap())],
            Duration::from_millis(40 + seed % 160),
        );
        announced.extend(numbers_after(&lines, "will"));
        if let Some(n) = numbers_after(&lines, "ack").last() {
            acked = Some(n);
        }
        touched.extend(numbers_after(&lines, "touched"));

        // Before any recovery: each file is a whole file of an announced state.
        for name in ["log", "meta"] {
            let bytes = std::fs::read(dir.join(format!("{name}.fdb"))).unwrap();
            let report = read_collection(&bytes);
            assert!(
                report.torn_tail.is_none(),
                "round {round}: {name}.fdb is torn"
            );
            assert!(
                report.skipped.is_empty(),
                "round {round}: {name}.fdb has bad records"
            );
        }
        let raw = read_collection(&std::fs::read(dir.join("log.fdb")).unwrap());
        let raw_log: Vec<Vec<(String, String)>> =
            raw.records.iter().map(|r| r.python_fields()).collect();
        if let Some(last) = log_is_prefix(&raw_log, round) {
            assert!(
                announced.contains(&last),
                "round {round}: state {last} never announced"
            );
        }

        // After recovery: committed transactions are whole, none is lost.
        let db = FluxDB::open(&dir).unwrap();
        let log = find_pairs(&db, "log", &Find::all());
        let last = log_is_prefix(&log, round);
        let counter = db
            .get("meta", "counter")
            .unwrap()
            .map(|d| d["n"].as_str().unwrap().parse::<u64>().unwrap());
        assert_eq!(counter, last, "round {round}: log and meta disagree");
        if let Some(acked) = acked {
            let last = last.unwrap_or_else(|| panic!("round {round}: acked {acked}, log empty"));
            assert!(
                last >= acked,
                "round {round}: acked {acked}, only {last} survived"
            );
        }
        if let Some(known) = acked.max(survived) {
            let last = last.unwrap_or(0);
            assert!(
                last <= known + 1,
                "round {round}: {last} is past {known} + 1"
            );
        }
        survived = last;
        for n in &touched {
            if (*n as usize) < log.len() {
                assert_eq!(
                    field(&log[*n as usize], "touched"),
                    "yes",
                    "round {round}: touch {n} lost"
                );
            }
        }
        let records = read_collection(&std::fs::read(dir.join("log.fdb")).unwrap()).records;
        assert_eq!(
            std::fs::read(dir.join("indexes/log.idx")).unwrap(),
            write_index_file(&["n".to_string()], &records).unwrap(),
            "round {round}: the index disagrees with the records"
        );
        drop(db);
        let leftovers: Vec<_> = snapshot(&dir)
            .into_iter()
            .filter(|(p, _)| p.to_string_lossy().ends_with(".tmp"))
            .map(|(p, _)| p)
            .collect();
        assert!(leftovers.is_empty(), "round {round}: {leftovers:?}");
    }
    assert!(
        acked.is_some_and(|n| n >= 10),
        "the child committed too little to test anything: {acked:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
}

/// The schema of a Python 0.1 collection, which stores every value as
/// text: each field is all `string`, counted over every record, and
/// through a filter with the number-versus-text rule.
#[test]
fn the_schema_of_a_legacy_collection_counts_its_text_values() {
    let (_tmp, dir) = copy_fixture("basic");
    let db = OpenOptions::new().read_only(true).open(&dir).unwrap();
    let records = expected("basic")["records"]["products"]
        .as_array()
        .unwrap()
        .clone();
    let schema = db
        .schema("products", &json!({}), None, &mut |_, _| {})
        .unwrap();
    assert_eq!(schema.records, records.len());
    let price = schema.fields.iter().find(|f| f.path == "price").unwrap();
    assert_eq!(price.count, records.len());
    assert_eq!(
        Value::Object(price.types.clone()),
        json!({"string": records.len()})
    );
    let distinct: BTreeSet<&str> = records
        .iter()
        .map(|r| r["price"].as_str().unwrap())
        .collect();
    assert_eq!(price.distinct, Some(distinct.len()));
    let cheap = records
        .iter()
        .filter(|r| r["price"].as_str().unwrap().parse::<f64>().unwrap() < 300.0)
        .count();
    assert!(cheap > 0 && cheap < records.len());
    let filtered = db
        .schema(
            "products",
            &json!({"price": {"$lt": 300}}),
            None,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(filtered.records, cheap);
}
