//! Explain, as a person reads it: the index lookups a filter made (each
//! constraint as written, with its records), what was left to read, how
//! the result was ordered; and a pipeline's stages, each with its records
//! in and out, checked against counts made here another way.

use fluxdb::engine::{Find, FluxDB, SortMethod};
use serde_json::{Value, json};

const PEOPLE: u64 = 1_000;

fn people(indexed: &[&str]) -> (tempfile::TempDir, FluxDB) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = FluxDB::open(dir.path()).unwrap();
    db.create_collection("people", indexed).unwrap();
    let docs = (0..PEOPLE).map(person).collect();
    db.insert_many("people", docs).unwrap();
    (dir, db)
}

const CITIES: [&str; 5] = ["Oslo", "Lyon", "Lima", "Kyiv", "Pune"];

fn person(i: u64) -> Value {
    json!({
        "_id": format!("p{i}"),
        "age": 20 + i % 50,
        "city": CITIES[(i % 5) as usize],
        "tags": (0..i % 4).map(|t| format!("t{t}")).collect::<Vec<_>>(),
    })
}

#[test]
fn a_find_names_each_lookup_what_it_left_and_how_it_sorted() {
    let (_dir, db) = people(&["age", "city"]);
    let filter = json!({"age": {"$gte": 60}, "city": "Oslo"});
    let query = Find::new(filter.clone()).sort(json!({"_id": 1})).limit(5);
    let explain = db.explain("people", &query).unwrap();

    let by_age = (0..PEOPLE).filter(|i| 20 + i % 50 >= 60).count() as u64;
    let in_oslo = (0..PEOPLE).filter(|i| i % 5 == 0).count() as u64;
    let both = (0..PEOPLE)
        .filter(|i| 20 + i % 50 >= 60 && i % 5 == 0)
        .count() as u64;
    let mut lookups: Vec<(String, String, u64)> = explain
        .lookups
        .iter()
        .map(|l| (l.field.clone(), l.constraint.clone(), l.records))
        .collect();
    lookups.sort();
    assert_eq!(
        lookups,
        [
            ("age".to_owned(), "age ≥ 60".to_owned(), by_age),
            ("city".to_owned(), "city = \"Oslo\"".to_owned(), in_oslo),
        ]
    );
    // The most selective lookup comes first and names the index.
    assert_eq!(explain.lookups[0].records, by_age.min(in_oslo));
    assert_eq!(explain.candidates, Some(both));
    assert_eq!(explain.examined as u64, both);
    assert_eq!(explain.returned, 5);
    assert_eq!(explain.sort, SortMethod::TopInMemory);

    // A sort on an indexed field with a limit reads the index in order.
    let ordered = Find::new(json!({})).sort(json!({"age": -1})).limit(3);
    let explain = db.explain("people", &ordered).unwrap();
    assert_eq!(explain.sort, SortMethod::Index);
    assert_eq!(explain.index.as_deref(), Some("age"));
    assert!(explain.lookups.is_empty());

    // No index: a scan, no lookups; JSON keeps the figures.
    let scan = db
        .explain("people", &Find::new(json!({"tags": "t2"})))
        .unwrap();
    assert_eq!((scan.index.clone(), scan.candidates), (None, None));
    assert_eq!(scan.sort, SortMethod::None);
    let json = serde_json::to_value(&scan).unwrap();
    assert_eq!(json["sort"], "none");
    assert!(json["time_ms"].as_f64().is_some(), "{json}");
}

/// The pipeline the stage tests run, and the counts each stage must show:
/// (stage, records in, records out), worked out from the data directly.
fn pipeline_and_truth() -> (Value, Vec<(&'static str, u64, u64)>) {
    let pipeline = json!([
        {"$match": {"age": {"$lt": 30}}},
        {"$unwind": "$tags"},
        {"$group": {"_id": "$tags", "n": {"$sum": 1}}},
        {"$sort": {"n": -1}},
        {"$limit": 2}
    ]);
    let young: Vec<u64> = (0..PEOPLE).filter(|i| 20 + i % 50 < 30).collect();
    let unwound: u64 = young.iter().map(|i| i % 4).sum();
    let groups = young
        .iter()
        .flat_map(|i| 0..i % 4)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as u64;
    let truth = vec![
        ("$match", PEOPLE, young.len() as u64),
        ("$unwind", young.len() as u64, unwound),
        ("$group", unwound, groups),
        // The $limit is met after two: the $sort hands on no more.
        ("$sort", groups, 2),
        ("$limit", 2, 2),
    ];
    (pipeline, truth)
}

fn stage_counts(db: &FluxDB, pipeline: &Value) -> (Vec<(String, u64, u64)>, Vec<Value>) {
    let (docs, explain) = db.aggregate_explained("people", pipeline, None).unwrap();
    assert_eq!(explain.returned, docs.len());
    assert_eq!(explain.total, PEOPLE as usize);
    let stage_time: std::time::Duration = explain.stages.iter().map(|s| s.time).sum();
    assert!(stage_time + explain.read_time <= explain.time + std::time::Duration::from_micros(5));
    let counts = explain
        .stages
        .iter()
        .map(|s| (s.stage.clone(), s.input, s.output))
        .collect();
    (counts, docs.into_iter().map(Value::Object).collect())
}

#[test]
fn each_stage_reports_its_records_in_and_out() {
    let (pipeline, truth) = pipeline_and_truth();
    let truth: Vec<(String, u64, u64)> = truth
        .into_iter()
        .map(|(s, i, o)| (s.to_owned(), i, o))
        .collect();

    // Scanned: the $match sees every record.
    let (_dir, scanned) = people(&[]);
    let (counts, result) = stage_counts(&scanned, &pipeline);
    assert_eq!(counts, truth);
    assert_eq!(
        result,
        scanned
            .aggregate("people", &pipeline)
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect::<Vec<_>>()
    );

    // Indexed: the $match is answered by the index on age, and says it
    // examined only what the index gave.
    let (_dir, indexed) = people(&["age"]);
    let (docs, explain) = indexed
        .aggregate_explained("people", &pipeline, None)
        .unwrap();
    assert_eq!(explain.index.as_deref(), Some("age"));
    assert_eq!(explain.lookups[0].constraint, "age < 30");
    let young = truth[0].2;
    assert_eq!((explain.read, explain.stages[0].input), (young, young));
    let rest: Vec<(String, u64, u64)> = explain
        .stages
        .iter()
        .skip(1)
        .map(|s| (s.stage.clone(), s.input, s.output))
        .collect();
    assert_eq!(rest, truth[1..]);
    assert_eq!(docs.len(), 2);
}
