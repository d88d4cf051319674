//! Kill -9 in the middle of commits: every acknowledged transaction is there
//! after reopening, and no transaction is there in part.
//!
//! The test binary runs itself as the child (`child_process_entry_point`,
//! selected by an environment variable), the way sled's crash tests do.
//! The same rounds run on uncompressed and on compressed collections.

use std::collections::BTreeMap;
use std::time::Duration;

use fluxdb::engine::{Compression, Find, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::support::{lines_until_killed, numbers_after};

const CHILD_ENV: &str = "FLUXDB_CRASH_CHILD_DIR";
/// How the child stores collections `a` and `b`: `none`, `lz4`, `zstd:N`,
/// or two of them as `A,B`.
const COMPRESSION_ENV: &str = "FLUXDB_CRASH_COMPRESSION";
const ROUNDS: usize = 40;
/// Set when the database also holds collection `c`, stored with zstd and a
/// dictionary: every transaction updates one of its records, and every 25th
/// is followed by a compaction of it (which trains its dictionary again).
const DICTIONARY_ENV: &str = "FLUXDB_CRASH_DICTIONARY";
/// Records of collection `c`: enough for a rewrite to train a dictionary.
const DICTIONARY_RECORDS: usize = 1_500;

/// Records that transaction `t` inserts into collection `a`.
fn records_of(t: u64) -> u64 {
    t % 4 + 1
}

/// The child: commits transactions until killed, printing `ack T` after
/// each commit returns. Even transactions span two collections (the
/// transaction-log path); every 25th is followed by a compaction.
#[test]
fn child_process_entry_point() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // Only does something when the crash test starts it.
    };
    let mut db = OpenOptions::new()
        .flush_size(0)
        .open(&dir)
        .expect("child opens the database");
    let storage = std::env::var(COMPRESSION_ENV).unwrap_or_else(|_| "none".to_owned());
    let (for_a, for_b) = storage.split_once(',').unwrap_or((&storage, &storage));
    for (name, compression) in [("a", for_a), ("b", for_b)] {
        let compression: Compression = compression.parse().expect("a compression");
        db.create_collection_with::<&str>(name, &[], compression)
            .expect("child creates its collections");
    }
    let with_dictionary = std::env::var(DICTIONARY_ENV).is_ok();
    let mut next = db
        .find("a", &Find::all())
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.get("t").and_then(Value::as_u64))
        .max()
        .map_or(0, |t| t + 1);
    loop {
        let t = next;
        db.begin_transaction().unwrap();
        for i in 0..records_of(t) {
            db.insert(
                "a",
                json!({"t": t, "i": i, "pad": "x".repeat((t % 7 * 40) as usize)}),
            )
            .unwrap();
        }
        if with_dictionary {
            db.update("c", "c0", &json!({"$set": {"t": t}})).unwrap();
        }
        if t % 2 == 0 {
            db.update("b", "counter", &json!({"next": t + 1}))
                .unwrap_or(false)
                .then_some(())
                .map_or_else(
                    || {
                        db.insert("b", json!({"_id": "counter", "next": t + 1}))
                            .map(|_| ())
                    },
                    Ok,
                )
                .unwrap();
        } else {
            db.insert(
                "a",
                json!({"_id": format!("odd-{t}"), "t": t, "i": "marker"}),
            )
            .unwrap();
        }
        db.commit().unwrap();
        println!("\nack {t}");
        next = t + 1;
        if t % 25 == 24 {
            db.compact("a").unwrap();
            if with_dictionary {
                db.compact("c").unwrap();
            }
        }
    }
}

#[test]
fn killed_writers_never_lose_or_split_a_committed_transaction() {
    kill_rounds("none");
}

#[test]
fn killed_writers_of_compressed_collections_never_lose_or_split_a_transaction() {
    kill_rounds("lz4,zstd:3");
}

#[test]
fn killed_writers_of_a_collection_with_a_dictionary_never_lose_or_split_a_transaction() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let mut db = FluxDB::open(&dir).unwrap();
    db.create_collection_with::<&str>("c", &[], Compression::ZSTD)
        .unwrap();
    db.insert_many(
        "c",
        (0..DICTIONARY_RECORDS)
            .map(|i| {
                json!({"_id": format!("c{i}"), "name": format!("record {i}"), "group": i % 9,
                       "note": format!("a note of {} words that repeat in every record", i * 31 % 97)})
            })
            .collect(),
    )
    .unwrap();
    db.compact("c").unwrap();
    assert!(db.collection_info("c").unwrap().dictionary_bytes.is_some());
    drop(db);
    kill_rounds_in(tmp, "zstd:3", true);
}

/// Starts and kills the child `ROUNDS` times, its collections stored as
/// `storage` says, checking the database after each kill.
fn kill_rounds(storage: &str) {
    kill_rounds_in(tempfile::tempdir().unwrap(), storage, false);
}

/// [`kill_rounds`] in the database folder `tmp/db`; `with_dictionary`: it
/// holds collection `c` with a dictionary, which the child updates and
/// compacts.
fn kill_rounds_in(tmp: tempfile::TempDir, storage: &str, with_dictionary: bool) {
    let dir = tmp.path().join("db");
    let mut acked: Option<u64> = None;
    let mut survived: Option<u64> = None;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for round in 0..ROUNDS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(30 + seed % 120);
        let mut envs = vec![
            (CHILD_ENV, dir.to_str().unwrap()),
            (COMPRESSION_ENV, storage),
        ];
        if with_dictionary {
            envs.push((DICTIONARY_ENV, "1"));
        }
        let lines = lines_until_killed("crash::child_process_entry_point", &envs, run_for);
        if let Some(t) = numbers_after(&lines, "ack").last() {
            acked = Some(t);
        }
        // A round may commit one transaction past what it acknowledged (the
        // one in flight when the kill came), on top of what was there.
        let newest_known = acked.max(survived);
        survived = check_consistent(&dir, acked, newest_known.map(|t| t + 1), round);
        if with_dictionary {
            check_dictionary_collection(&dir, survived, round);
        }
    }
    let db = FluxDB::open_read_only(&dir).unwrap();
    let expected: Vec<Compression> = storage
        .split(',')
        .cycle()
        .take(2)
        .map(|c| c.parse().unwrap())
        .collect();
    for (name, expected) in ["a", "b"].into_iter().zip(expected) {
        if db.has_collection(name) {
            let info = db.collection_info(name).unwrap();
            assert_eq!(info.compression, expected, "collection {name}");
        }
    }
    assert!(
        acked.is_some_and(|t| t > 10),
        "the child committed too little to test anything: {acked:?}"
    );
}

/// Collection `c` after a kill: all its records, still with a dictionary,
/// and its record `c0` updated by the newest transaction that survived.
fn check_dictionary_collection(dir: &std::path::Path, last: Option<u64>, round: usize) {
    let db = FluxDB::open_read_only(dir).unwrap();
    let info = db.collection_info("c").unwrap();
    assert_eq!(info.records, DICTIONARY_RECORDS, "round {round}");
    assert!(info.dictionary_bytes.is_some(), "round {round}: {info:?}");
    let all = db.find("c", &Find::all()).unwrap();
    assert_eq!(all.len(), DICTIONARY_RECORDS, "round {round}");
    assert_eq!(all[7]["name"], "record 7", "round {round}");
    let c0 = db.get("c", "c0").unwrap().unwrap();
    assert_eq!(c0.get("t").and_then(Value::as_u64), last, "round {round}");
}

/// Checks the database after a kill and returns the newest transaction in it.
fn check_consistent(
    dir: &std::path::Path,
    acked: Option<u64>,
    at_most: Option<u64>,
    round: usize,
) -> Option<u64> {
    let db = match FluxDB::open(dir) {
        Ok(db) => db,
        Err(e) => panic!("round {round}: reopening failed: {e}"),
    };
    if !db.has_collection("a") {
        assert!(acked.is_none(), "round {round}: collection a lost");
        return None;
    }
    let mut per_txn: BTreeMap<u64, (u64, bool)> = BTreeMap::new();
    for doc in db.find("a", &Find::all()).unwrap() {
        let t = doc["t"].as_u64().unwrap();
        let entry = per_txn.entry(t).or_default();
        if doc["i"] == "marker" {
            entry.1 = true;
        } else {
            entry.0 += 1;
        }
    }
    for (&t, &(count, marker)) in &per_txn {
        assert_eq!(
            count,
            records_of(t),
            "round {round}: transaction {t} is partial"
        );
        assert_eq!(
            marker,
            t % 2 == 1,
            "round {round}: transaction {t} lost its marker"
        );
    }
    let committed: Vec<u64> = per_txn.keys().copied().collect();
    let expected: Vec<u64> = (0..committed.len() as u64).collect();
    assert_eq!(
        committed, expected,
        "round {round}: transactions are not a prefix"
    );
    let last = committed.last().copied();
    if let Some(a) = acked {
        let last =
            last.unwrap_or_else(|| panic!("round {round}: acknowledged {a} but nothing is there"));
        assert!(
            last >= a,
            "round {round}: acknowledged {a}, only {last} survived"
        );
    }
    if let Some(last) = last {
        let bound = at_most.unwrap_or(0);
        assert!(
            last <= bound,
            "round {round}: {last} committed, more than one past {bound}"
        );
    }
    let next = db
        .get("b", "counter")
        .ok()
        .flatten()
        .and_then(|d| d["next"].as_u64());
    let last_even = last.map(|l| l - l % 2);
    assert_eq!(
        next,
        last_even.map(|e| e + 1),
        "round {round}: the two-collection counter disagrees"
    );
    last
}
