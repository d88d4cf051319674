//! Kill -9 during compaction, Python-format rewrites and backup imports:
//! after reopening, no record is lost and each write is all or nothing.
//! Same harness as `crash.rs`: the test binary runs itself as the child.

use std::path::Path;
use std::time::Duration;

use fluxdb::engine::{Find, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::support::{lines_until_killed, numbers_after};

const CHILD_ENV: &str = "FLUXDB_CRASH_MORE_CHILD";
const ROUNDS: usize = 25;
const RECORDS: u64 = 40;

/// The child: `<mode>:<dir>`; loops until killed, printing `ack N` after
/// each write returned.
#[test]
fn child_process_entry_point() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return; // Only does something when a crash test starts it.
    };
    let (mode, dir) = spec.split_once(':').expect("mode:dir");
    let mut db = OpenOptions::new()
        .flush_size(1 << 20)
        .open(dir)
        .expect("child opens");
    match mode {
        "compact" => {
            let mut k = current_version(&db) + 1;
            loop {
                db.update_many("a", &json!({}), &json!({"$set": {"v": k}}))
                    .unwrap();
                db.flush().unwrap();
                db.compact("a").unwrap();
                println!("\nack {k}");
                k += 1;
            }
        }
        "legacy" => {
            let mut k = legacy_next_step(&db);
            loop {
                legacy_step(&mut db, k);
                db.flush().unwrap();
                println!("\nack {k}");
                k += 1;
            }
        }
        "import" => {
            let mut k = 0u64;
            loop {
                let file = if k.is_multiple_of(2) {
                    "../even.backup"
                } else {
                    "../odd.backup"
                };
                db.import_collection("c", Path::new(dir).join(file))
                    .unwrap();
                println!("\nack {k}");
                k += 1;
            }
        }
        other => panic!("unknown crash mode {other}"),
    }
}

fn current_version(db: &FluxDB) -> u64 {
    db.find("a", &Find::all())
        .unwrap()
        .iter()
        .filter_map(|d| d["v"].as_u64())
        .max()
        .unwrap_or(0)
}

/// Runs the child `ROUNDS` times, killing it after a random moment, and
/// calls `check(last acknowledged, round)` after each kill. Returns how
/// many writes were acknowledged in all.
fn kill_rounds(mode: &str, dir: &Path, mut check: impl FnMut(Option<u64>, usize)) -> usize {
    let mut acked: Option<u64> = None;
    let mut total = 0;
    let mut seed = 0x2545_f491_4f6c_dd1d_u64 ^ mode.len() as u64;
    for round in 0..ROUNDS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let run_for = Duration::from_millis(40 + seed % 140);
        let spec = format!("{mode}:{}", dir.display());
        let lines = lines_until_killed(
            "crash_more::child_process_entry_point",
            &[(CHILD_ENV, spec.as_str())],
            run_for,
        );
        let acks: Vec<u64> = numbers_after(&lines, "ack").collect();
        total += acks.len();
        if let Some(&t) = acks.last() {
            acked = Some(t);
        }
        check(acked, round);
    }
    total
}

#[test]
fn killed_compactions_lose_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    {
        let mut db = FluxDB::open(&dir).unwrap();
        let docs = (0..RECORDS)
            .map(|i| json!({"_id": format!("r{i}"), "v": 0, "pad": "p".repeat(300)}))
            .collect();
        db.insert_many("a", docs).unwrap();
        db.create_index("a", "v").unwrap();
        db.close().unwrap();
    }
    let mut last_seen = 0;
    let acked = kill_rounds("compact", &dir, |acked, round| {
        let db = FluxDB::open(&dir).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let docs = db.find("a", &Find::all()).unwrap();
        assert_eq!(docs.len() as u64, RECORDS, "round {round}: records lost");
        for (i, d) in docs.iter().enumerate() {
            assert_eq!(d["_id"], format!("r{i}"), "round {round}: order changed");
        }
        let versions: Vec<u64> = docs.iter().map(|d| d["v"].as_u64().unwrap()).collect();
        let v = versions[0];
        assert!(
            versions.iter().all(|&x| x == v),
            "round {round}: a flush is split: {versions:?}"
        );
        assert!(
            v >= acked.unwrap_or(0),
            "round {round}: acked {acked:?}, found {v}"
        );
        assert!(
            v >= last_seen,
            "round {round}: went back from {last_seen} to {v}"
        );
        // The index agrees with the records.
        assert_eq!(
            db.count("a", &json!({"v": v})).unwrap() as u64,
            RECORDS,
            "round {round}: index out of step"
        );
        last_seen = v;
    });
    assert!(acked > 5, "too few compactions: {acked}");
}

/// Step `k` of the Python-format child: insert `u{k}`, mark `u{k-1}`,
/// delete `u{k-5}`; each step is one rewrite.
fn legacy_step(db: &mut FluxDB, k: u64) {
    db.insert(
        "users",
        json!({"_id": format!("u{k}"), "name": format!("n{k}"), "step": k}),
    )
    .unwrap();
    if k >= 1 {
        db.update("users", &format!("u{}", k - 1), &json!({"marked": "yes"}))
            .unwrap();
    }
    if k >= 5 {
        db.delete("users", &format!("u{}", k - 5)).unwrap();
    }
}

/// The ids and marks after steps `0..=k`.
fn legacy_model(k: Option<u64>) -> Vec<(String, bool)> {
    let Some(k) = k else {
        return Vec::new();
    };
    (k.saturating_sub(4)..=k)
        .filter(|&i| k < 5 || i > k - 5)
        .map(|i| (format!("u{i}"), i < k))
        .collect()
}

fn legacy_state(db: &FluxDB) -> Vec<(String, bool)> {
    db.find("users", &Find::all())
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["_id"].as_str().unwrap().to_owned(),
                d.get("marked") == Some(&Value::String("yes".into())),
            )
        })
        .collect()
}

/// The step after the newest one in the folder.
fn legacy_next_step(db: &FluxDB) -> u64 {
    db.find("users", &Find::all())
        .unwrap()
        .iter()
        .filter_map(|d| d["_id"].as_str()?.strip_prefix('u')?.parse::<u64>().ok())
        .max()
        .map_or(0, |k| k + 1)
}

#[test]
fn killed_python_format_rewrites_are_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    std::fs::create_dir_all(dir.join("indexes")).unwrap();
    std::fs::write(dir.join("users.fdb"), b"").unwrap();
    {
        let mut db = FluxDB::open(&dir).unwrap();
        db.create_index("users", "name").unwrap();
    }
    // The newest step found after the previous round: a step that was
    // written but killed before its acknowledgement is where the next
    // child starts from, so it is the floor for "one step ahead" too.
    let mut previous: Option<u64> = None;
    let acked = kill_rounds("legacy", &dir, |acked, round| {
        let db = FluxDB::open(&dir).unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert_eq!(
            db.collection_info("users").unwrap().format.to_string(),
            "python-0.1"
        );
        let found = legacy_state(&db);
        let newest = legacy_next_step(&db).checked_sub(1);
        // Whole steps only; never behind what was acknowledged, at most
        // the one in flight ahead.
        assert_eq!(
            found,
            legacy_model(newest),
            "round {round}: a partial rewrite"
        );
        assert!(
            newest >= acked,
            "round {round}: acked {acked:?}, found {newest:?}"
        );
        let base = acked.max(previous);
        assert!(
            newest <= base.map(|a| a + 1).or(Some(0)),
            "round {round}: found {newest:?}, more than one step past acked {acked:?} and the previous round's {previous:?}"
        );
        assert!(
            newest >= previous,
            "round {round}: went back from {previous:?} to {newest:?}"
        );
        previous = newest;
        // The index answers like a scan.
        for (id, _) in &found {
            let name = format!("n{}", &id[1..]);
            assert_eq!(db.count("users", &json!({"name": name})).unwrap(), 1);
        }
    });
    assert!(acked > 5, "too few rewrites: {acked}");
}

#[test]
fn killed_imports_leave_one_whole_backup() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("db");
    let make = |name: &str, prefix: &str, n: u64| -> Vec<Value> {
        let source = tmp.path().join(format!("make-{name}"));
        let mut db = FluxDB::open(&source).unwrap();
        let docs: Vec<Value> = (0..n)
            .map(|i| json!({"_id": format!("{prefix}{i}"), "pad": "q".repeat(500)}))
            .collect();
        db.insert_many("c", docs).unwrap();
        db.export_collection("c", tmp.path().join(format!("{name}.backup")))
            .unwrap();
        db.find("c", &Find::all())
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect()
    };
    let even = make("even", "e", 300);
    let odd = make("odd", "o", 200);
    {
        let mut db = FluxDB::open(&dir).unwrap();
        db.import_collection("c", tmp.path().join("odd.backup"))
            .unwrap();
    }
    let acked = kill_rounds("import", &dir, |_, round| {
        let db = FluxDB::open(&dir).unwrap_or_else(|e| panic!("round {round}: {e}"));
        let found: Vec<Value> = db
            .find("c", &Find::all())
            .unwrap()
            .into_iter()
            .map(Value::Object)
            .collect();
        assert!(
            found == even || found == odd,
            "round {round}: the collection is neither backup ({} records)",
            found.len()
        );
    });
    assert!(acked > 5, "too few imports: {acked}");
}
