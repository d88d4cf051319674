//! Property tests: any document survives the native format unchanged, and
//! random sequences of operations (with transactions, compaction, index
//! changes and reopening in between) leave the database equal to a simple
//! model.

use fluxdb::Document;
use fluxdb::engine::storage::{BinaryCodec, JsonCodec, RecordCodec};
use fluxdb::engine::{Find, FluxDB, OpenOptions};
use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};

use crate::faults::scratch;

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z_.$]{0,6}", inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = Document> {
    prop::collection::vec(("[a-zA-Z0-9_ ]{1,8}", json_value()), 0..8)
        .prop_map(|fields| fields.into_iter().filter(|(k, _)| k != "_id").collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn every_document_round_trips_through_both_codecs(doc in document()) {
        for codec in [&BinaryCodec as &dyn RecordCodec, &JsonCodec] {
            let mut bytes = Vec::new();
            codec.encode(&doc, &mut bytes).unwrap();
            let back = codec.decode("the-id", &bytes).unwrap();
            let mut expected = Map::new();
            expected.insert("_id".to_owned(), json!("the-id"));
            expected.extend(doc.clone());
            prop_assert_eq!(back, expected);
        }
    }

    #[test]
    fn every_document_reads_back_the_same_after_reopening(
        docs in prop::collection::vec(document(), 1..6)
    ) {
        let tmp = scratch();
        let mut db = FluxDB::open(tmp.path()).unwrap();
        let mut ids = Vec::new();
        for doc in &docs {
            ids.push(db.insert("c", Value::Object(doc.clone())).unwrap());
        }
        db.close().unwrap();
        let db = FluxDB::open(tmp.path()).unwrap();
        for (id, doc) in ids.iter().zip(&docs) {
            let mut expected = Map::new();
            expected.insert("_id".to_owned(), json!(id));
            expected.extend(doc.clone());
            prop_assert_eq!(db.get("c", id).unwrap(), Some(expected));
        }
    }
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u8, i64),
    Update(u8, i64),
    Delete(u8),
    /// Writes in a transaction over two collections, committed or rolled back.
    Transaction(Vec<(bool, u8, i64)>, bool),
    Flush,
    Reopen,
    Compact,
    Index(bool),
    Query(i64),
    /// Flush, then check what a second, read-only handle sees.
    Reader(i64),
    /// Back the database up (`false`) or restore the last backup (`true`).
    Backup(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let id = 0u8..12;
    prop_oneof![
        4 => (id.clone(), -5i64..5).prop_map(|(i, n)| Op::Insert(i, n)),
        3 => (id.clone(), -5i64..5).prop_map(|(i, n)| Op::Update(i, n)),
        2 => id.clone().prop_map(Op::Delete),
        2 => (prop::collection::vec((any::<bool>(), id, -5i64..5), 1..5), any::<bool>())
            .prop_map(|(w, c)| Op::Transaction(w, c)),
        1 => Just(Op::Flush),
        2 => Just(Op::Reopen),
        1 => Just(Op::Compact),
        1 => any::<bool>().prop_map(Op::Index),
        2 => (-5i64..5).prop_map(Op::Query),
        1 => (-5i64..5).prop_map(Op::Reader),
        1 => any::<bool>().prop_map(Op::Backup),
    ]
}

/// Collections as the model holds them: records in insertion order.
#[derive(Debug, Default, Clone, PartialEq)]
struct Model {
    a: Vec<(String, i64)>,
    b: Vec<(String, i64)>,
}

impl Model {
    fn table(&mut self, second: bool) -> &mut Vec<(String, i64)> {
        if second { &mut self.b } else { &mut self.a }
    }

    fn insert(&mut self, second: bool, id: &str, n: i64) -> bool {
        let t = self.table(second);
        if t.iter().any(|(i, _)| i == id) {
            return false;
        }
        t.push((id.to_owned(), n));
        true
    }

    fn update(&mut self, second: bool, id: &str, n: i64) -> bool {
        match self.table(second).iter_mut().find(|(i, _)| i == id) {
            Some(entry) => {
                entry.1 = n;
                true
            }
            None => false,
        }
    }

    fn delete(&mut self, second: bool, id: &str) -> bool {
        let t = self.table(second);
        let before = t.len();
        t.retain(|(i, _)| i != id);
        t.len() != before
    }
}

fn contents(db: &FluxDB, collection: &str) -> Vec<(String, i64)> {
    if !db.has_collection(collection) {
        return Vec::new();
    }
    db.find(collection, &Find::all())
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["_id"].as_str().unwrap().to_owned(),
                d["n"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// Checkpoints after every flush: the persisted `_id` table and indexes
/// are read, merged with what changed since, and rewritten all the time.
fn open(dir: &std::path::Path) -> FluxDB {
    OpenOptions::new()
        .flush_size(256)
        .checkpoint_records(1)
        .open(dir)
        .unwrap()
}

/// Ids of the records with `n >= k`, by an index when there is one.
fn ids_at_least(db: &FluxDB, k: i64) -> Vec<String> {
    let mut found: Vec<String> = db
        .find("a", &Find::new(json!({"n": {"$gte": k}})))
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect();
    found.sort();
    found
}

/// The first three records by `n` then insertion order, as `(id, n)`.
fn lowest_three(db: &FluxDB) -> Vec<(String, i64)> {
    let find = Find::all().sort(json!({"n": 1})).limit(3);
    db.find("a", &find)
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["_id"].as_str().unwrap().to_owned(),
                d["n"].as_i64().unwrap(),
            )
        })
        .collect()
}

impl Model {
    fn ids_at_least(&self, k: i64) -> Vec<String> {
        let mut expected: Vec<String> = self
            .a
            .iter()
            .filter(|(_, n)| *n >= k)
            .map(|(i, _)| i.clone())
            .collect();
        expected.sort();
        expected
    }

    fn lowest_three(&self) -> Vec<(String, i64)> {
        let mut sorted = self.a.clone();
        sorted.sort_by_key(|(_, n)| *n);
        sorted.truncate(3);
        sorted
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_operations_with_reopening_agree_with_a_model(
        ops in prop::collection::vec(op(), 1..40)
    ) {
        let tmp = scratch();
        let dir = tmp.path();
        let mut db = open(dir);
        let mut model = Model::default();
        let backups = tempfile::tempdir().unwrap();
        let backup_file = backups.path().join("db.backup");
        // The model when the last backup was taken, and which of `a`, `b` it held.
        let mut backed_up: Option<(Model, bool, bool)> = None;
        for op in ops {
            match op {
                Op::Insert(i, n) => {
                    let id = format!("id{i}");
                    let expected = model.insert(false, &id, n);
                    let result = db.insert("a", json!({"_id": id, "n": n}));
                    prop_assert_eq!(result.is_ok(), expected);
                }
                Op::Update(i, n) => {
                    let id = format!("id{i}");
                    let expected = model.update(false, &id, n);
                    let changed = if db.has_collection("a") {
                        db.update("a", &id, &json!({"$set": {"n": n}})).unwrap()
                    } else {
                        false
                    };
                    prop_assert_eq!(changed, expected);
                }
                Op::Delete(i) => {
                    let id = format!("id{i}");
                    let expected = model.delete(false, &id);
                    let deleted = db.has_collection("a") && db.delete("a", &id).unwrap();
                    prop_assert_eq!(deleted, expected);
                }
                Op::Transaction(writes, commit) => {
                    let mut tentative = model.clone();
                    db.begin_transaction().unwrap();
                    for (second, i, n) in writes {
                        let id = format!("t{i}");
                        let name = if second { "b" } else { "a" };
                        if tentative.insert(second, &id, n) {
                            db.insert(name, json!({"_id": id, "n": n})).unwrap();
                        } else {
                            tentative.update(second, &id, n);
                            db.update(name, &id, &json!({"n": n})).unwrap();
                        }
                    }
                    if commit {
                        db.commit().unwrap();
                        model = tentative;
                    } else {
                        db.rollback().unwrap();
                    }
                }
                Op::Flush => db.flush().unwrap(),
                Op::Reopen => {
                    db.close().unwrap();
                    db = open(dir);
                }
                Op::Compact => {
                    if db.has_collection("a") {
                        db.compact("a").unwrap();
                    }
                }
                Op::Index(create) => {
                    if db.has_collection("a") {
                        if create {
                            db.create_index("a", "n").unwrap();
                        } else {
                            db.drop_index("a", "n").unwrap();
                        }
                    }
                }
                Op::Query(k) => {
                    if db.has_collection("a") {
                        prop_assert_eq!(ids_at_least(&db, k), model.ids_at_least(k));
                        prop_assert_eq!(lowest_three(&db), model.lowest_three());
                    }
                }
                Op::Backup(false) => {
                    db.flush().unwrap();
                    let _ = std::fs::remove_file(&backup_file);
                    db.backup_database(&backup_file, &mut |_, _| {}).unwrap();
                    backed_up = Some((model.clone(), db.has_collection("a"), db.has_collection("b")));
                }
                Op::Backup(true) => {
                    if let Some((snapshot, had_a, had_b)) = &backed_up {
                        db.restore_database(&backup_file).unwrap();
                        if *had_a {
                            model.a = snapshot.a.clone();
                        }
                        if *had_b {
                            model.b = snapshot.b.clone();
                        }
                    }
                }
                Op::Reader(k) => {
                    db.flush().unwrap();
                    let reader = OpenOptions::new().read_only(true).open(dir).unwrap();
                    prop_assert_eq!(&contents(&reader, "a"), &model.a);
                    prop_assert_eq!(&contents(&reader, "b"), &model.b);
                    if reader.has_collection("a") {
                        prop_assert_eq!(ids_at_least(&reader, k), model.ids_at_least(k));
                        prop_assert_eq!(lowest_three(&reader), model.lowest_three());
                    }
                }
            }
            prop_assert_eq!(&contents(&db, "a"), &model.a);
            prop_assert_eq!(&contents(&db, "b"), &model.b);
        }
        db.close().unwrap();
        let db = open(dir);
        prop_assert_eq!(contents(&db, "a"), model.a);
        prop_assert_eq!(contents(&db, "b"), model.b);
        // Every checkpoint rewritten along the way (mostly copied from the
        // one before) still holds exactly what the records say.
        let verified = db.verify(None).unwrap();
        prop_assert!(verified.is_ok(), "{:?}", verified);
    }
}
