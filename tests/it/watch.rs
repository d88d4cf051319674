//! `fluxdb watch` beside writer processes that insert, update, delete, run
//! transactions over two collections (some rolled back), compact, change
//! compression and get SIGKILLed: replaying what it printed onto the state
//! it started from gives the folder's final state, every change once, in
//! commit order, and nothing of a rolled-back or torn write.
//!
//! The writers are this test binary run as a child
//! (`watch_writer_entry_point`, selected by an environment variable), as in
//! `crash.rs`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fluxdb::engine::{Compression, Find, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::support::lines_until_killed;

const WRITER_ENV: &str = "FLUXDB_WATCH_WRITER_DIR";
const SEED_ENV: &str = "FLUXDB_WATCH_WRITER_SEED";
/// A writer compacts or recompresses `c` once in this many writes: rarely
/// enough that the watcher looks between two of them (a follower that
/// sleeps through two rewrites with writes between can only compare).
const WRITES_PER_REWRITE: u64 = 150;

/// The records of `c` by `_id`, as a fresh read-only open sees them.
fn records(dir: &Path) -> BTreeMap<String, Value> {
    let db = OpenOptions::new().read_only(true).open(dir).unwrap();
    db.find("c", &Find::all())
        .unwrap()
        .into_iter()
        .map(|doc| (doc["_id"].as_str().unwrap().to_owned(), Value::Object(doc)))
        .collect()
}

/// The highest `seq` written so far: every write of a writer stamps the
/// next one, so the order of the printed versions is the commit order.
fn last_seq(db: &FluxDB) -> u64 {
    ["c", "d"]
        .iter()
        .flat_map(|name| db.find(name, &Find::all()).unwrap_or_default())
        .filter_map(|doc| doc.get("seq").and_then(Value::as_u64))
        .max()
        .unwrap_or(0)
}

/// The child: writes until killed, committing each write on its own
/// (`flush_size(0)`) or as part of a transaction.
#[test]
fn watch_writer_entry_point() {
    let Ok(dir) = std::env::var(WRITER_ENV) else {
        return; // Only does something when the watch test starts it.
    };
    let mut state: u64 = std::env::var(SEED_ENV).unwrap().parse().unwrap();
    let mut next = |below: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % below
    };
    let mut db = OpenOptions::new().flush_size(0).open(&dir).unwrap();
    let mut seq = last_seq(&db);
    let mut ids: Vec<String> = db
        .find("c", &Find::all())
        .unwrap()
        .iter()
        .map(|doc| doc["_id"].as_str().unwrap().to_owned())
        .collect();
    let generation = next(1 << 30);
    let mut made = 0u64;
    let mut new_id = |ids: &mut Vec<String>| {
        made += 1;
        let id = format!("g{generation}-{made}");
        ids.push(id.clone());
        id
    };
    for write in 1u64.. {
        seq += 1;
        let pick = |ids: &Vec<String>, i: u64| ids[i as usize % ids.len().max(1)].clone();
        match next(12) {
            _ if write % WRITES_PER_REWRITE == 0 => {
                match next(3) {
                    0 => db.compact("c").unwrap(),
                    1 => db.set_compression("c", Compression::Lz4).unwrap(),
                    _ => db.set_compression("c", Compression::None).unwrap(),
                };
                println!("rewrote");
            }
            0..=3 => {
                let id = new_id(&mut ids);
                db.insert("c", json!({"_id": id, "seq": seq, "n": next(100)}))
                    .unwrap();
            }
            4..=6 if !ids.is_empty() => {
                let id = pick(&ids, next(1 << 20));
                db.update("c", &id, &json!({"$set": {"seq": seq}, "$inc": {"n": 1}}))
                    .unwrap();
            }
            7 if !ids.is_empty() => {
                let id = ids.swap_remove(next(ids.len() as u64) as usize);
                db.delete("c", &id).unwrap();
            }
            8 => {
                let docs = (0..20)
                    .map(|k| json!({"_id": new_id(&mut ids), "seq": seq + k, "n": k}))
                    .collect();
                seq += 19;
                db.insert_many("c", docs).unwrap();
            }
            9 | 10 => {
                // One commit over both collections.
                let mut txn = db.transaction().unwrap();
                let id = new_id(&mut ids);
                txn.insert("c", json!({"_id": id, "seq": seq, "n": 0}))
                    .unwrap();
                txn.insert("d", json!({"seq": seq})).unwrap();
                if ids.len() > 1 {
                    seq += 1;
                    let other = pick(&ids, next(1 << 20));
                    if other != id {
                        txn.update("c", &other, &json!({"$set": {"seq": seq}}))
                            .unwrap();
                    }
                }
                txn.commit().unwrap();
            }
            _ => {
                // Rolled back: never printed.
                db.begin_transaction().unwrap();
                db.insert("c", json!({"_id": format!("rolledback-{seq}"), "seq": seq}))
                    .unwrap();
                if let Some(id) = ids.first() {
                    db.update("c", id, &json!({"$set": {"rolledback": true}}))
                        .unwrap();
                }
                db.rollback().unwrap();
            }
        }
    }
}

/// Applies one printed line to the model, checking that it fits (an
/// insert of a record not there, an update or delete of one there) and
/// that versions come in commit order.
fn apply(model: &mut BTreeMap<String, Value>, last_seq: &mut u64, line: &str) {
    let change: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
    let id = change["_id"].as_str().unwrap_or_default().to_owned();
    assert!(!line.contains("rolledback"), "a rolled-back write: {line}");
    match change["op"].as_str() {
        Some("insert") => {
            assert!(!model.contains_key(&id), "insert of a record there: {line}");
            model.insert(id, change["doc"].clone());
        }
        Some("update") => {
            assert!(
                model.contains_key(&id),
                "update of a record not there: {line}"
            );
            model.insert(id, change["doc"].clone());
        }
        Some("delete") => {
            assert!(
                model.remove(&id).is_some(),
                "delete of a record not there: {line}"
            );
            return;
        }
        _ => panic!("the writers neither clear, restore nor drop: {line}"),
    }
    let seq = change["doc"]["seq"].as_u64().unwrap();
    if seq == 0 {
        return; // A probe, before the writers.
    }
    assert!(
        seq > *last_seq,
        "out of commit order ({seq} after {last_seq}): {line}"
    );
    *last_seq = seq;
}

#[test]
fn watch_prints_every_committed_change_once_in_order_beside_killed_writers() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut db = FluxDB::open(dir.path()).unwrap();
        db.create_collection("c", &["n"]).unwrap();
        db.create_collection("d", &[] as &[&str]).unwrap();
        let docs = (0..100)
            .map(|i| json!({"_id": format!("start-{i}"), "seq": 0, "n": i}))
            .collect();
        db.insert_many("c", docs).unwrap();
    }
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .arg("--db")
        .arg(dir.path())
        .args(["watch", "c", "--interval", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let printed = Arc::new(Mutex::new(Vec::<String>::new()));
    let reader = {
        let printed = printed.clone();
        let stdout = watcher.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                printed.lock().unwrap().push(line);
            }
        })
    };

    // Probes until the watcher prints one: those before it were in the
    // state it started from.
    let mut model = records(dir.path());
    let started = Instant::now();
    for probe in 0.. {
        let id = format!("probe-{probe}");
        if printed
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.contains("\"probe-"))
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "watch printed nothing"
        );
        let mut db = FluxDB::open(dir.path()).unwrap();
        db.insert("c", json!({"_id": id, "seq": 0, "n": -1}))
            .unwrap();
        db.close().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    let first_printed = {
        let printed = printed.lock().unwrap();
        let first: Value = serde_json::from_str(&printed[0]).unwrap();
        let id = first["_id"].as_str().unwrap().to_owned();
        id.trim_start_matches("probe-").parse::<u64>().unwrap()
    };
    for probe in 0..first_printed {
        let id = format!("probe-{probe}");
        model.insert(id.clone(), json!({"_id": id, "seq": 0, "n": -1}));
    }

    let mut rewrites = 0;
    for (generation, run_ms) in [(1u64, 900u64), (2, 400), (3, 1100), (4, 650)] {
        let seed = (0x9e37_79b9 * generation + 7).to_string();
        let dir = dir.path().to_str().unwrap();
        let lines = lines_until_killed(
            "watch::watch_writer_entry_point",
            &[(WRITER_ENV, dir), (SEED_ENV, &seed)],
            Duration::from_millis(run_ms),
        );
        rewrites += lines.iter().filter(|line| line.contains("rewrote")).count();
    }

    let expected = records(dir.path());
    let mut last_seq = 0;
    let mut applied = 0;
    let waited = Instant::now();
    loop {
        let lines: Vec<String> = printed.lock().unwrap()[applied..].to_vec();
        for line in &lines {
            apply(&mut model, &mut last_seq, line);
        }
        applied += lines.len();
        if model == expected || waited.elapsed() > Duration::from_secs(30) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGTERM: watch ends its look and exits 0.
    let pid = i32::try_from(watcher.id()).unwrap();
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = watcher.wait().unwrap();
    reader.join().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut watcher.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(status.success(), "{status}: {stderr}");
    if model != expected {
        // What differs, so a rare failure can be understood from its log.
        let differing: Vec<String> = expected
            .keys()
            .chain(model.keys())
            .filter(|id| model.get(*id) != expected.get(*id))
            .take(10)
            .map(|id| {
                format!(
                    "{id}: printed {:?}, folder {:?}",
                    model.get(id),
                    expected.get(id)
                )
            })
            .collect();
        let printed = printed.lock().unwrap();
        panic!(
            "replaying {applied} printed changes does not give the folder: {} records against {}; \
             first differences: {differing:#?}; last lines printed: {:#?}; watch said: {stderr}",
            model.len(),
            expected.len(),
            &printed[printed.len().saturating_sub(10)..],
        );
    }
    assert!(applied > 200, "only {applied} changes printed");
    assert!(rewrites > 0, "no writer compacted while watched");
}

#[test]
fn watch_since_a_position_from_info_prints_what_changed_meanwhile_then_follows() {
    use crate::cli::fluxdb;
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        fluxdb(dir.path(), &["insert", "c", r#"{"_id": "a", "v": 1}"#]).code,
        0
    );
    let info: Value = serde_json::from_str(&fluxdb(dir.path(), &["info", "c"]).stdout).unwrap();
    let position = info["log_position"]
        .as_str()
        .expect("a log position")
        .to_owned();
    // While nobody watched: an update, an insert, a delete.
    let writes: [&[&str]; 3] = [
        &["update", "c", "a", r#"{"v": 2}"#],
        &["insert", "c", r#"{"_id": "b", "v": 1}"#],
        &["delete", "c", "a"],
    ];
    for args in writes {
        assert_eq!(fluxdb(dir.path(), args).code, 0, "{args:?}");
    }
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_fluxdb"))
        .arg("--db")
        .arg(dir.path())
        .args(["watch", "c", "--interval", "20", "--since", &position])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watcher.stdout.take().unwrap()).lines();
    let mut next = || -> Value { serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap() };
    assert_eq!(
        next(),
        json!({"op": "update", "_id": "a", "doc": {"_id": "a", "v": 2}})
    );
    assert_eq!(
        next(),
        json!({"op": "insert", "_id": "b", "doc": {"_id": "b", "v": 1}})
    );
    assert_eq!(next(), json!({"op": "delete", "_id": "a"}));
    // ...and then goes on following.
    assert_eq!(
        fluxdb(dir.path(), &["insert", "c", r#"{"_id": "z"}"#]).code,
        0
    );
    assert_eq!(
        next(),
        json!({"op": "insert", "_id": "z", "doc": {"_id": "z"}})
    );
    watcher.kill().unwrap();
    watcher.wait().unwrap();

    // A position that names nothing is one clear line and exit 1.
    let bad = fluxdb(dir.path(), &["watch", "c", "--since", "nonsense"]);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("position"), "{}", bad.stderr);
    assert_eq!(bad.stderr.trim().lines().count(), 1);
}
