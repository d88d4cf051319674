//! Kill -9 while checkpoints are written: after reopening, every committed
//! step is there, and every indexed answer equals what a scan of the
//! records gives, whether the checkpoint that survived is the new one, the
//! old one, or none.
//!
//! The child commits a step (inserts, an update of an indexed field, a
//! delete) as one transaction and writes the checkpoints after every step,
//! over a collection large enough that writing one takes a while; every
//! tenth step it compacts, which writes a checkpoint of the new file.

use std::time::Duration;

use fluxdb::engine::{Find, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::support::{lines_until_killed, numbers_after};

const CHILD_ENV: &str = "FLUXDB_CHECKPOINT_CRASH_DIR";
const ROUNDS: usize = 32;
/// Records loaded before the first round: a checkpoint of them takes long
/// enough that kills land inside its writing.
const PRELOADED: usize = 20_000;
const PER_STEP: usize = 20;

fn step_docs(t: u64) -> Vec<Value> {
    (0..PER_STEP as u64)
        .map(|j| json!({"_id": format!("t{t}-{j}"), "t": t, "k": (t * 7 + j) % 13, "n": t * 100 + j}))
        .collect()
}

/// One step, as one transaction: its records, then `t{t-1}-0` moves to
/// `k` 99 and `t{t-2}-1` is deleted.
fn step(db: &mut FluxDB, t: u64) {
    db.begin_transaction().unwrap();
    db.insert_many("p", step_docs(t)).unwrap();
    if t > 0 {
        db.update("p", &format!("t{}-0", t - 1), &json!({"$set": {"k": 99}}))
            .unwrap();
    }
    if t > 1 {
        db.delete("p", &format!("t{}-1", t - 2)).unwrap();
    }
    db.commit().unwrap();
}

/// What the collection holds after steps `0..=last`, in natural order:
/// `(id, k, n)` of the step records (the preloaded ones are checked apart).
fn model(last: Option<u64>) -> Vec<(String, u64, u64)> {
    let Some(last) = last else {
        return Vec::new();
    };
    let mut records = Vec::new();
    for t in 0..=last {
        for doc in step_docs(t) {
            let id = doc["_id"].as_str().unwrap().to_owned();
            let mut k = doc["k"].as_u64().unwrap();
            if doc["_id"] == format!("t{t}-0") && t < last {
                k = 99;
            }
            if doc["_id"] == format!("t{t}-1") && t + 1 < last {
                continue;
            }
            records.push((id, k, doc["n"].as_u64().unwrap()));
        }
    }
    records
}

#[test]
fn child_process_entry_point() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Only does something when the crash test starts it.
    };
    let mut db = OpenOptions::new()
        .flush_size(0)
        .open(&dir)
        .expect("child opens the database");
    let mut next = last_step(&db).map_or(0, |t| t + 1);
    loop {
        step(&mut db, next);
        println!("\nack {next}");
        if next % 10 == 9 {
            db.compact("p").unwrap();
        }
        db.write_checkpoints().unwrap();
        next += 1;
    }
}

fn last_step(db: &FluxDB) -> Option<u64> {
    let newest = Find::new(json!({"t": {"$gte": 0}}))
        .sort(json!({"n": -1}))
        .limit(1);
    db.find("p", &newest)
        .unwrap()
        .first()
        .and_then(|d| d["t"].as_u64())
}

fn ids(docs: Vec<fluxdb::Document>) -> Vec<String> {
    let mut ids: Vec<String> = docs
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Everything after a kill, through `db`: the steps form a prefix that
/// holds what was acknowledged, and the indexes agree with the records.
fn check(db: &FluxDB, acked: Option<u64>, round: usize) -> Option<u64> {
    let last = last_step(db);
    if let Some(acked) = acked {
        assert!(
            last >= Some(acked),
            "round {round}: acknowledged {acked}, found {last:?}"
        );
    }
    let expected = model(last);
    let found: Vec<(String, u64, u64)> = db
        .find("p", &Find::new(json!({"t": {"$gte": 0}})))
        .unwrap()
        .iter()
        .map(|d| {
            let id = d["_id"].as_str().unwrap().to_owned();
            (id, d["k"].as_u64().unwrap(), d["n"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(found, expected, "round {round}: records");
    assert_eq!(
        db.count("p", &json!({})).unwrap(),
        PRELOADED + expected.len(),
        "round {round}"
    );
    for k in (0..13).chain([99]) {
        let mut want: Vec<String> = expected
            .iter()
            .filter(|r| r.1 == k)
            .map(|r| r.0.clone())
            .collect();
        want.sort();
        let by_index = ids(db
            .find("p", &Find::new(json!({"k": k, "t": {"$gte": 0}})))
            .unwrap());
        assert_eq!(by_index, want, "round {round}: k = {k}");
    }
    let newest = Find::new(json!({"t": {"$gte": 0}}))
        .sort(json!({"n": -1}))
        .limit(5);
    let newest: Vec<u64> = db
        .find("p", &newest)
        .unwrap()
        .iter()
        .map(|d| d["n"].as_u64().unwrap())
        .collect();
    let mut want: Vec<u64> = expected.iter().map(|r| r.2).collect();
    want.sort_unstable_by(|a, b| b.cmp(a));
    want.truncate(5);
    assert_eq!(newest, want, "round {round}: sort by n");
    last
}

#[test]
fn killed_checkpoint_writes_lose_nothing_and_never_mislead_an_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    {
        let mut db = FluxDB::open(&dir).unwrap();
        db.create_collection("p", &["k", "n"]).unwrap();
        let preload = (0..PRELOADED)
            .map(|i| json!({"_id": format!("pre{i}"), "k": i % 13, "note": "preloaded"}))
            .collect();
        db.insert_many("p", preload).unwrap();
        db.close().unwrap();
    }
    let checkpoint = dir.join("indexes").join("p.checkpoint");
    let mut acked: Option<u64> = None;
    let mut torn_writes = 0;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for round in 0..ROUNDS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(80 + seed % 200);
        let envs = [(CHILD_ENV, dir.to_str().unwrap())];
        let lines = lines_until_killed(
            "crash_checkpoint::child_process_entry_point",
            &envs,
            run_for,
        );
        if let Some(t) = numbers_after(&lines, "ack").last() {
            acked = Some(t);
        }
        if dir.join("indexes").join("p.checkpoint.tmp").exists() {
            torn_writes += 1;
        }
        // A reader first (it uses what it finds, checking chunks lazily),
        // then a writer (which checks the whole checkpoint before use).
        let reader = OpenOptions::new().read_only(true).open(&dir).unwrap();
        let seen = check(&reader, acked, round);
        drop(reader);
        let writer = FluxDB::open(&dir).unwrap();
        assert_eq!(check(&writer, acked, round), seen, "round {round}");
        let verified = writer.verify(None).unwrap();
        assert!(verified.is_ok(), "round {round}: {verified:?}");
        drop(writer);
        assert!(
            checkpoint.exists(),
            "round {round}: no checkpoint after a writer closed"
        );
    }
    assert!(
        acked.is_some_and(|t| t >= 10),
        "the child did too little: {acked:?}"
    );
    assert!(
        torn_writes > 0,
        "no kill landed while a checkpoint was written"
    );
}
