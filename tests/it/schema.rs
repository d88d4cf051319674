//! `FluxDB::schema` and `fluxdb schema`: exact figures over every matching
//! record, checked against a truth computed here another way (each record
//! flattened into (path, value) pairs first), through a filter, cancelled,
//! and printed by the CLI.

use std::collections::{BTreeMap, BTreeSet};

use fluxdb::Error;
use fluxdb::engine::schema::SchemaBuilder;
use fluxdb::engine::{CancelToken, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::cli::fluxdb;

/// Records with mixed types, nesting, arrays of objects, nulls and gaps.
fn record(i: u64) -> Value {
    let mut doc = json!({"_id": format!("r{i:04}"), "n": i % 7});
    let d = doc.as_object_mut().unwrap();
    match i % 5 {
        0 => d.insert("age".into(), json!(20 + i % 40)),
        1 => d.insert("age".into(), json!(format!("{}", 20 + i % 40))),
        2 => d.insert("age".into(), json!(null)),
        3 => d.insert("age".into(), json!(20.5 + (i % 3) as f64)),
        _ => None,
    };
    if !i.is_multiple_of(3) {
        d.insert(
            "tags".into(),
            json!((0..i % 4).map(|k| format!("t{k}")).collect::<Vec<_>>()),
        );
    }
    if i % 4 == 1 {
        d.insert(
            "items".into(),
            json!([{"sku": format!("s{}", i % 9), "qty": i % 3}, {"sku": i.is_multiple_of(2)}]),
        );
    }
    if i % 6 == 2 {
        let city = ["Oslo", "Lyon", "Pune"][i as usize % 3];
        let lat = i as f64 / 10.0;
        d.insert("addr".into(), json!({"city": city, "geo": {"lat": lat}}));
    }
    doc
}

/// Every (path, value) of a record, `[]` for array elements.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    out.push((prefix.to_owned(), value.clone()));
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                flatten(&format!("{prefix}[]"), v, out);
            }
        }
        _ => {}
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_i64() || n.is_u64() => "int",
        Value::Number(_) => "double",
        Value::String(_) => "string",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
    }
}

/// Per path: records holding it, values per type, and each scalar's count
/// by its JSON text.
type PathTruth = (
    usize,
    BTreeMap<&'static str, usize>,
    BTreeMap<String, usize>,
);

/// The truth, per path.
fn truth(docs: &[Value]) -> BTreeMap<String, PathTruth> {
    let mut paths = BTreeMap::new();
    for doc in docs {
        let mut pairs = Vec::new();
        for (k, v) in doc.as_object().unwrap() {
            flatten(k, v, &mut pairs);
        }
        let mut seen = BTreeSet::new();
        for (path, value) in pairs {
            let entry = paths
                .entry(path.clone())
                .or_insert_with(|| (0, BTreeMap::new(), BTreeMap::new()));
            if seen.insert(path) {
                entry.0 += 1;
            }
            *entry.1.entry(type_name(&value)).or_insert(0) += 1;
            if !value.is_object() && !value.is_array() {
                *entry.2.entry(value.to_string()).or_insert(0) += 1;
            }
        }
    }
    paths
}

fn check_against_truth(db: &FluxDB, filter: Value, docs: &[Value]) {
    let schema = db.schema("c", &filter, None, &mut |_, _| {}).unwrap();
    assert_eq!(schema.records, docs.len());
    let truth = truth(docs);
    let listed: BTreeSet<&str> = schema.fields.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(listed, truth.keys().map(String::as_str).collect());
    for field in &schema.fields {
        let (count, types, values) = &truth[&field.path];
        assert_eq!(field.count, *count, "{}", field.path);
        let got: BTreeMap<&str, usize> = field
            .types
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_u64().unwrap() as usize))
            .collect();
        let want: BTreeMap<&str, usize> = types.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(got, want, "{}", field.path);
        assert_eq!(field.distinct, Some(values.len()), "{}", field.path);
        let best = values.values().max().copied().unwrap_or(0);
        if let Some(top) = field.top.first() {
            assert_eq!(top.count, best, "{}", field.path);
            assert_eq!(values[&top.value.to_string()], top.count, "{}", field.path);
        }
        assert!(field.top.len() <= 10 && field.top.windows(2).all(|w| w[0].count >= w[1].count));
    }
    let age = schema.fields.iter().find(|f| f.path == "age").unwrap();
    let numbers: Vec<f64> = docs.iter().filter_map(|d| d["age"].as_f64()).collect();
    let strings: Vec<&str> = docs.iter().filter_map(|d| d["age"].as_str()).collect();
    let min = numbers.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(age.min.as_ref().and_then(Value::as_f64), Some(min));
    assert_eq!(
        age.max.as_ref().and_then(Value::as_str),
        strings.iter().max().copied()
    );
}

#[test]
fn the_schema_is_exact_over_every_record_and_through_a_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = OpenOptions::new().open(dir.path()).unwrap();
    // Enough records for the two-thread analysis (one reads, one analyses).
    let docs: Vec<Value> = (0..20_000).map(record).collect();
    db.insert_many("c", docs.clone()).unwrap();
    db.flush().unwrap();
    check_against_truth(&db, json!({}), &docs);
    // The same result, order and ties included, as one builder fed here.
    let mut builder = SchemaBuilder::new();
    for doc in &docs {
        builder.add(doc.as_object().unwrap());
    }
    let schema = db.schema("c", &json!({}), None, &mut |_, _| {}).unwrap();
    assert_eq!(schema, builder.finish("c"));
    let filtered: Vec<Value> = docs
        .iter()
        .filter(|d| d["n"] == json!(3))
        .cloned()
        .collect();
    check_against_truth(&db, json!({"n": 3}), &filtered);

    let cancel = CancelToken::new();
    cancel.cancel();
    assert!(matches!(
        db.schema("c", &json!({}), Some(&cancel), &mut |_, _| {}),
        Err(Error::Cancelled)
    ));
    assert!(matches!(
        db.schema("nope", &json!({}), None, &mut |_, _| {}),
        Err(Error::CollectionNotFound(_))
    ));
    let mut reports = Vec::new();
    db.schema("c", &json!({}), None, &mut |read, total| {
        reports.push((read, total))
    })
    .unwrap();
    assert_eq!(reports.last(), Some(&(20_000, 20_000)));
}

#[test]
fn a_huge_value_and_a_deep_path_stay_bounded_and_the_cli_prints_one_object() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut db = OpenOptions::new().open(dir.path()).unwrap();
        let mut deep = json!("bottom");
        for _ in 0..90 {
            deep = json!({"d": deep});
        }
        db.insert(
            "c",
            json!({"_id": "big", "text": "x".repeat(8 << 20), "deep": deep}),
        )
        .unwrap();
        db.insert("c", json!({"_id": "small", "text": "y"}))
            .unwrap();
    }
    let run = fluxdb(dir.path(), &["schema", "c"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 1);
    let schema: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(schema["collection"], "c");
    assert_eq!(schema["records"], 2);
    let fields = schema["fields"].as_array().unwrap();
    let text = fields.iter().find(|f| f["path"] == "text").unwrap();
    assert_eq!(text["distinct"], 2);
    assert!(
        text["top"].to_string().len() < 1_000,
        "the 8 MB value is counted, not listed whole"
    );
    let deepest = fields
        .iter()
        .map(|f| f["path"].as_str().unwrap().len())
        .max()
        .unwrap();
    assert_eq!(deepest, "deep".len() + 90 * ".d".len());
    let filtered = fluxdb(dir.path(), &["schema", "c", r#"{"_id": "small"}"#]);
    let schema: Value = serde_json::from_str(&filtered.stdout).unwrap();
    assert_eq!(schema["records"], 1);
    let bad = fluxdb(dir.path(), &["schema", "c", "{oops"]);
    assert_eq!((bad.code, bad.stderr.lines().count()), (1, 1));
}
