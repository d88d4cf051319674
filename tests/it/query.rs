//! The query language through the engine: indexes give exactly a full scan's
//! answers, explain says what was used, bulk updates, aggregation.

use fluxdb::Error;
use fluxdb::engine::{Find, FluxDB};
use serde_json::{Value, json};

use crate::support::names;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn value(&mut self) -> Value {
        match self.below(9) {
            0 => json!(null),
            1 => json!(self.below(20) as i64 - 5),
            2 => json!((self.below(40) as f64) / 4.0 - 2.0),
            3 => json!(["x", "y", "z", "10", ""][self.below(5) as usize]),
            4 => json!([self.below(10), self.below(10)]),
            5 => json!(self.below(2) == 0),
            6 => json!({"d": self.below(5)}),
            7 => json!(self.below(10)),
            _ => json!(self.below(10) as f64),
        }
    }

    fn document(&mut self, i: usize) -> Value {
        let mut doc = serde_json::Map::new();
        doc.insert("_id".into(), json!(format!("d{i:03}")));
        doc.insert("name".into(), json!(format!("n{i:03}")));
        if self.below(6) != 0 {
            doc.insert("a".into(), self.value());
        }
        doc.insert(
            "b".into(),
            json!(["red", "green", "blue"][self.below(3) as usize]),
        );
        doc.insert("c".into(), json!({"d": self.below(6), "e": self.value()}));
        Value::Object(doc)
    }

    fn filter(&mut self) -> Value {
        let field = ["a", "c.d", "b", "c.e"][self.below(4) as usize];
        let v = self.value();
        let w = self.value();
        let single = match self.below(8) {
            0 => json!({ field: v }),
            1 => json!({ field: {"$gt": v} }),
            2 => json!({ field: {"$gte": v, "$lt": w} }),
            3 => json!({ field: {"$in": [v, w]} }),
            4 => json!({ field: {"$lte": v} }),
            5 => json!({ field: {"$ne": v} }),
            6 => json!({ field: {"$exists": self.below(2) == 0} }),
            _ => json!({ field: {"$nin": [v]} }),
        };
        let color = ["red", "green", "blue"][self.below(3) as usize];
        match self.below(4) {
            0 => json!({"$and": [single, {"b": color}]}),
            1 => json!({"$or": [single, {"c.d": self.below(6)}]}),
            _ => single,
        }
    }
}

/// The same documents in an indexed and an unindexed collection.
fn twin_collections(db: &mut FluxDB, rng: &mut Rng, n: usize) {
    db.create_collection("indexed", &["a", "b", "c.d", "c.e"])
        .unwrap();
    db.create_collection::<&str>("plain", &[]).unwrap();
    let docs: Vec<Value> = (0..n).map(|i| rng.document(i)).collect();
    db.insert_many("indexed", docs.clone()).unwrap();
    db.insert_many("plain", docs).unwrap();
}

fn assert_same_answers(db: &FluxDB, rng: &mut Rng, rounds: usize, when: &str) {
    for round in 0..rounds {
        let filter = rng.filter();
        let mut find = Find::new(filter.clone());
        if rng.below(2) == 0 {
            let key = ["a", "c.d", "b", "name"][rng.below(4) as usize];
            let dir = if rng.below(2) == 0 { 1 } else { -1 };
            find = find.sort(json!({ key: dir, "name": 1 }));
        }
        if rng.below(3) == 0 {
            let key = ["a", "c.d", "b"][rng.below(3) as usize];
            find = find.sort(json!({ key: if rng.below(2) == 0 { 1 } else { -1 } }));
        }
        if rng.below(2) == 0 {
            find = find
                .skip(rng.below(5) as usize)
                .limit(1 + rng.below(15) as usize);
        }
        if rng.below(5) == 0 {
            find = find.projection(json!({"name": 1, "c.d": 1}));
        }
        let indexed = db.find("indexed", &find).unwrap();
        let plain = db.find("plain", &find).unwrap();
        assert_eq!(indexed, plain, "{when}, round {round}: {find:?}");
        // The same answer as text, written from the stored bytes.
        let texts: Vec<String> = indexed
            .iter()
            .map(|d| serde_json::to_string(d).unwrap())
            .collect();
        for collection in ["indexed", "plain"] {
            let json = db.find_json(collection, &find).unwrap();
            assert_eq!(json, texts, "{when}, round {round}: {collection} {find:?}");
            let mut streamed = Vec::new();
            db.find_json_each(collection, &find, &mut |text| {
                streamed.push(text.to_owned());
                Ok(())
            })
            .unwrap();
            assert_eq!(streamed, texts, "{when}, round {round}: {collection} each");
        }
        assert_eq!(
            db.count("indexed", &filter).unwrap(),
            db.count("plain", &filter).unwrap(),
            "{when}, round {round}: count {filter}"
        );
    }
}

#[test]
fn indexed_answers_equal_full_scan_answers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    twin_collections(&mut db, &mut rng, 400);
    assert_same_answers(&db, &mut rng, 300, "after insert");

    // Writes keep the indexes exact: updates, deletes, a rolled-back transaction.
    for _ in 0..60 {
        let filter = rng.filter();
        let update = json!({"$set": {"a": rng.value(), "c.d": rng.below(6)}});
        assert_eq!(
            db.update_many("indexed", &filter, &update).unwrap(),
            db.update_many("plain", &filter, &update).unwrap()
        );
    }
    let filter = rng.filter();
    assert_eq!(
        db.delete_many("indexed", &filter).unwrap(),
        db.delete_many("plain", &filter).unwrap()
    );
    db.begin_transaction().unwrap();
    db.update_many("indexed", &json!({}), &json!({"$set": {"a": 1}}))
        .unwrap();
    db.rollback().unwrap();
    assert_same_answers(&db, &mut rng, 300, "after writes");

    db.compact("indexed").unwrap();
    assert_same_answers(&db, &mut rng, 100, "after compaction");
    drop(db);
    let db = FluxDB::open(tmp.path()).unwrap();
    assert_same_answers(&db, &mut rng, 100, "after reopen");
}

#[test]
fn bulk_inserts_into_built_indexes_answer_like_a_scan() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    twin_collections(&mut db, &mut rng, 40);
    db.warm_indexes("indexed", &fluxdb::engine::CancelToken::new())
        .unwrap();
    // Thousands at once into built indexes: their keys are filed on a
    // second thread while the records are staged.
    let docs: Vec<Value> = (40..5_040).map(|i| rng.document(i)).collect();
    db.insert_many("indexed", docs.clone()).unwrap();
    db.insert_many("plain", docs).unwrap();
    for d in 0..6 {
        let find = Find::new(json!({"c.d": d}));
        assert_eq!(
            db.explain("indexed", &find).unwrap().index.as_deref(),
            Some("c.d")
        );
        assert_eq!(
            db.find("indexed", &find).unwrap(),
            db.find("plain", &find).unwrap()
        );
    }
    assert_same_answers(&db, &mut rng, 40, "after a bulk insert");
    // One that meets a taken `_id` part-way leaves nothing behind.
    let mut clash: Vec<Value> = (6_000..11_000).map(|i| rng.document(i)).collect();
    clash[4_500] = json!({"_id": "clash", "a": 1});
    clash[4_900] = json!({"_id": "clash", "a": 2});
    assert!(matches!(
        db.insert_many("indexed", clash),
        Err(fluxdb::Error::DuplicateId { .. })
    ));
    assert_eq!(db.count("indexed", &json!({})).unwrap(), 5_040);
    assert_same_answers(&db, &mut rng, 40, "after a failed bulk insert");
}

#[test]
fn explain_names_the_index_and_counts_examined_records() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection("users", &["age"]).unwrap();
    db.insert_many(
        "users",
        (0..1000)
            .map(|i| json!({"age": i % 100, "name": format!("u{i}")}))
            .collect(),
    )
    .unwrap();
    let explain = db.explain("users", &Find::new(json!({"age": 42}))).unwrap();
    assert_eq!(explain.index.as_deref(), Some("age"));
    assert_eq!(
        (explain.examined, explain.returned, explain.total),
        (10, 10, 1000)
    );
    let explain = db
        .explain("users", &Find::new(json!({"name": "u7"})))
        .unwrap();
    assert_eq!(explain.index, None);
    assert_eq!(explain.examined, 1000);
    let explain = db
        .explain("users", &Find::new(json!({"age": {"$gte": 95}})))
        .unwrap();
    assert_eq!(
        (explain.index.as_deref(), explain.examined),
        (Some("age"), 50)
    );
    assert_eq!(
        explain.to_string(),
        "index: age, examined 50 of 1000, returned 50"
    );

    // A sort on the indexed field with a limit reads the index in order and stops.
    let (docs, explain) = db
        .find_explained("users", &Find::all().sort(json!({"age": -1})).limit(5))
        .unwrap();
    assert!(explain.index_ordered);
    assert_eq!(explain.examined, 5);
    assert_eq!(names(&docs), ["u99", "u199", "u299", "u399", "u499"]);
}

#[test]
fn create_and_drop_index_on_a_collection_with_data() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.insert_many("t", (0..300).map(|i| json!({"k": i % 7})).collect())
        .unwrap();
    let mut reports = Vec::new();
    assert!(
        db.create_index_with_progress("t", "k", &mut |done, total| reports.push((done, total)))
            .unwrap()
    );
    assert_eq!(reports.last(), Some(&(300, 300)));
    assert!(!db.create_index("t", "k").unwrap());
    assert_eq!(db.list_indexes("t").unwrap(), ["k"]);
    assert_eq!(
        db.explain("t", &Find::new(json!({"k": 3})))
            .unwrap()
            .index
            .as_deref(),
        Some("k")
    );
    drop(db);
    let mut db = FluxDB::open(tmp.path()).unwrap();
    assert_eq!(
        db.list_indexes("t").unwrap(),
        ["k"],
        "index definitions survive reopening"
    );
    let on_disk: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("indexes/t.json")).unwrap()).unwrap();
    assert_eq!(on_disk["indexed_fields"], json!(["k"]));
    assert!(db.drop_index("t", "k").unwrap());
    assert!(!db.drop_index("t", "k").unwrap());
    assert_eq!(
        db.explain("t", &Find::new(json!({"k": 3}))).unwrap().index,
        None
    );
    assert!(matches!(
        db.create_index("t", "$bad").unwrap_err(),
        Error::InvalidQuery(_)
    ));
}

#[test]
fn update_many_and_delete_many_return_counts_and_are_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.insert_many(
        "t",
        vec![
            json!({"name": "a", "n": 1, "s": "x"}),
            json!({"name": "b", "n": 2, "s": "y"}),
            json!({"name": "c", "n": "text", "s": "x"}),
        ],
    )
    .unwrap();
    assert_eq!(
        db.update_many("t", &json!({"s": "x"}), &json!({"$set": {"flag": true}}))
            .unwrap(),
        2
    );
    assert_eq!(db.count("t", &json!({"flag": true})).unwrap(), 2);
    let err = db
        .update_many("t", &json!({}), &json!({"$inc": {"n": 1}}))
        .unwrap_err();
    assert!(matches!(err, Error::InvalidUpdate(_)), "{err}");
    assert_eq!(
        db.count("t", &json!({"n": 2})).unwrap(),
        1,
        "the failed update changed nothing"
    );
    assert_eq!(
        db.update_many("t", &json!({"s": "none"}), &json!({"$set": {"z": 1}}))
            .unwrap(),
        0
    );
    assert_eq!(db.delete_many("t", &json!({"s": "x"})).unwrap(), 2);
    assert_eq!(names(&db.find("t", &Find::all()).unwrap()), ["b"]);
}

#[test]
fn the_seeds_aggregation_example_runs_as_written() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection("products", &["category"]).unwrap();
    db.insert_many(
        "products",
        vec![
            json!({"category": "books", "price": 10}),
            json!({"category": "games", "price": 30}),
            json!({"category": "books", "price": 5.5}),
        ],
    )
    .unwrap();
    let out = db
        .aggregate(
            "products",
            &json!([{"$group": {"_id": "$category", "count": {"$count": 1}}}]),
        )
        .unwrap();
    assert_eq!(
        Value::Array(out.into_iter().map(Value::Object).collect()),
        json!([{"_id": "books", "count": 2}, {"_id": "games", "count": 1}])
    );
    let out = db
        .aggregate(
            "products",
            &json!([
                {"$match": {"category": "books"}},
                {"$group": {"_id": null, "total": {"$sum": "$price"}}}
            ]),
        )
        .unwrap();
    assert_eq!(out[0]["total"], json!(15.5));
    let err = db
        .aggregate("products", &json!([{"$frobnicate": {}}]))
        .unwrap_err();
    assert!(err.to_string().contains("$frobnicate"), "{err}");
}

#[test]
fn bad_queries_are_errors_that_name_the_operator() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.insert("t", json!({"a": 1})).unwrap();
    for (filter, needle) in [
        (json!({"a": {"$bogus": 1}}), "$bogus"),
        (json!({"a": {"$regex": "("}}), "regex"),
        (json!([1]), "object"),
    ] {
        let err = db.find("t", &Find::new(filter.clone())).unwrap_err();
        assert!(matches!(err, Error::InvalidQuery(_)), "{filter}: {err}");
        assert!(err.to_string().contains(needle), "{filter}: {err}");
    }
}

#[test]
fn pages_from_the_far_end_of_a_sort_equal_the_forward_pages() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    // Many ties, so the stable order of equal keys is checked too.
    db.insert_many(
        "t",
        (0..500)
            .map(|i| json!({"_id": format!("r{i:03}"), "k": (i * 7) % 13}))
            .collect(),
    )
    .unwrap();
    let all = db.find("t", &Find::all().sort(json!({"k": -1}))).unwrap();
    for (skip, limit) in [
        (0, 50),
        (240, 20),
        (260, 50),
        (480, 50),
        (499, 5),
        (500, 5),
        (450, 50),
    ] {
        let page = db
            .find(
                "t",
                &Find::all().sort(json!({"k": -1})).skip(skip).limit(limit),
            )
            .unwrap();
        let expected: Vec<_> = all.iter().skip(skip).take(limit).cloned().collect();
        assert_eq!(page, expected, "skip {skip} limit {limit}");
    }
}

#[test]
fn paging_and_counting_do_not_build_indexes_they_cannot_use() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection("t", &["k"]).unwrap();
    db.insert_many("t", (0..100).map(|i| json!({"k": i, "v": i % 3})).collect())
        .unwrap();
    let explain = db.explain("t", &Find::all().skip(10).limit(5)).unwrap();
    assert_eq!(
        (explain.index, explain.examined),
        (None, 5),
        "a page of everything reads only the page"
    );
    assert_eq!(db.count("t", &json!({"v": 1})).unwrap(), 33);
    assert_eq!(db.count("t", &json!({"k": {"$lt": 10}})).unwrap(), 10);
}

/// A collection large enough that a scan takes a while in a test build.
fn large_collection(dir: &std::path::Path, records: usize) -> FluxDB {
    let mut db = FluxDB::open(dir).unwrap();
    db.create_collection("big", &["group"]).unwrap();
    let docs = (0..records)
        .map(|i| json!({"group": i % 100, "name": format!("n{i:06}"), "city": "Oslo"}))
        .collect();
    db.insert_many("big", docs).unwrap();
    db.flush().unwrap();
    db
}

#[test]
fn a_cancelled_token_stops_find_count_and_aggregate_before_they_read() {
    let tmp = tempfile::tempdir().unwrap();
    let db = large_collection(tmp.path(), 20_000);
    let token = fluxdb::interchange::CancelToken::new();
    token.cancel();
    let cancelled = |r: Result<(), Error>| matches!(r, Err(Error::Cancelled));
    // A scan, a sort over everything, index candidates, index order.
    for find in [
        Find::new(json!({"city": "Oslo"})),
        Find::all().sort(json!({"name": -1})).limit(5),
        Find::new(json!({"group": 7})),
        Find::all().sort(json!({"group": 1})).limit(5),
        Find::all().limit(5),
    ] {
        let r = db.find_cancellable("big", &find, &token).map(drop);
        assert!(cancelled(r), "{find:?}");
    }
    let r = db.count_cancellable("big", &json!({"city": "Oslo"}), &token);
    assert!(cancelled(r.map(drop)));
    let group = json!([{"$group": {"_id": "$city", "n": {"$sum": 1}}}]);
    let r = db.aggregate_cancellable("big", &group, &token);
    assert!(cancelled(r.map(drop)));
    // An uncancelled token changes nothing.
    let fresh = fluxdb::interchange::CancelToken::new();
    let (docs, _) = db
        .find_cancellable("big", &Find::new(json!({"group": 7})), &fresh)
        .unwrap();
    assert_eq!(docs.len(), 200);
    assert_eq!(
        db.count_cancellable("big", &json!({"city": "Oslo"}), &fresh)
            .unwrap(),
        20_000
    );
}

#[test]
fn cancelling_during_a_long_scan_stops_it_early() {
    let tmp = tempfile::tempdir().unwrap();
    let db = large_collection(tmp.path(), 200_000);
    let token = fluxdb::interchange::CancelToken::new();
    // Every record passes the filter and the whole-collection sort keeps
    // the scan going to the end unless it is stopped.
    let find = Find::new(json!({"city": "Oslo"})).sort(json!({"name": 1}));
    let started = std::time::Instant::now();
    let full = db.find("big", &find).unwrap().len();
    let full_time = started.elapsed();
    assert_eq!(full, 200_000);
    let canceller = {
        let token = token.clone();
        std::thread::spawn(move || {
            std::thread::sleep(full_time / 10);
            token.cancel();
        })
    };
    let started = std::time::Instant::now();
    let result = db.find_cancellable("big", &find, &token);
    let cancelled_after = started.elapsed();
    canceller.join().unwrap();
    assert!(
        matches!(result, Err(Error::Cancelled)),
        "the scan ran to its end: {:?}",
        result.map(|(docs, _)| docs.len())
    );
    assert!(
        cancelled_after < full_time,
        "cancelled after {cancelled_after:?}, a whole run takes {full_time:?}"
    );
}

#[test]
fn a_sorted_page_past_the_end_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    let docs = (0..10).map(|i| json!({"n": i})).collect();
    db.insert_many("c", docs).unwrap();
    for skip in [10, 11, 20, usize::MAX / 2] {
        let page = db
            .find("c", &Find::all().sort(json!({"n": -1})).skip(skip).limit(5))
            .unwrap();
        assert!(page.is_empty(), "skip {skip}: {page:?}");
    }
    let last = db
        .find("c", &Find::all().sort(json!({"n": -1})).skip(8).limit(5))
        .unwrap();
    let values: Vec<_> = last.iter().map(|d| d["n"].clone()).collect();
    assert_eq!(values, [json!(1), json!(0)]);
}

#[test]
fn an_error_from_the_text_callback_stops_the_query_and_is_returned() {
    let tmp = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(tmp.path()).unwrap();
    db.create_collection("c", &["k"]).unwrap();
    db.insert_many("c", (0..100).map(|i| json!({"k": i % 3, "i": i})).collect())
        .unwrap();
    for find in [
        Find::all(),
        Find::new(json!({"k": 1})),
        Find::new(json!({"i": {"$gte": 10}})).sort(json!({"i": -1})),
    ] {
        let mut seen = 0;
        let err = db
            .find_json_each("c", &find, &mut |_| {
                seen += 1;
                match seen {
                    3 => Err(Error::Cancelled),
                    _ => Ok(()),
                }
            })
            .unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{find:?}: {err}");
        assert_eq!(seen, 3, "{find:?}: no record after the error");
    }
}
