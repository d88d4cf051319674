//! Shared mode (`OpenOptions::shared`): several handles and processes write
//! one folder, each holding the writer lock only while it writes, each
//! catching up with the others first. Counters incremented by processes at
//! once (some killed with SIGKILL mid-write) add up; a transaction holds
//! the lock to its end; an exclusive holder is named, not waited for.

use std::path::Path;
use std::time::{Duration, Instant};

use fluxdb::Error;
use fluxdb::engine::{Find, FluxDB, OpenOptions};
use serde_json::{Value, json};

use crate::support::{lines_after_marker_until_killed, numbers_after};

const WRITER_ENV: &str = "FLUXDB_SHARED_WRITER_DIR";
const WRITER_NAME_ENV: &str = "FLUXDB_SHARED_WRITER_NAME";

fn shared(dir: &Path) -> FluxDB {
    OpenOptions::new().shared(true).open(dir).unwrap()
}

fn counter(db: &FluxDB, id: &str) -> i64 {
    db.get("counters", id)
        .unwrap()
        .and_then(|doc| doc.get("n").and_then(Value::as_i64))
        .unwrap_or(0)
}

#[test]
fn shared_handles_write_in_turn_and_each_sees_the_others_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = shared(dir.path());
    let mut b = shared(dir.path());
    assert!(a.is_shared() && b.is_shared());

    a.insert("counters", json!({"_id": "x", "n": 0})).unwrap();
    // b never read "x": its write catches up first, so it finds it.
    assert!(
        b.update("counters", "x", &json!({"$inc": {"n": 1}}))
            .unwrap()
    );
    assert!(
        a.update("counters", "x", &json!({"$inc": {"n": 10}}))
            .unwrap()
    );
    assert!(
        b.update("counters", "x", &json!({"$inc": {"n": 100}}))
            .unwrap()
    );
    assert_eq!(counter(&b, "x"), 111);

    // Between writes a handle follows the others by refreshing; the report
    // counts what it caught up on before its own write too.
    assert_eq!(counter(&a, "x"), 10 + 1);
    let refreshed = a.refresh().unwrap();
    assert_eq!(refreshed.advanced, vec![("counters".to_owned(), 2)]);
    assert_eq!(counter(&a, "x"), 111);

    // Collections made, cleared, compacted and dropped by one are found by
    // the other before it writes.
    b.create_collection("made_by_b", &["k"]).unwrap();
    b.insert("made_by_b", json!({"_id": "m1", "k": 1})).unwrap();
    a.insert("made_by_b", json!({"_id": "m2", "k": 2})).unwrap();
    assert_eq!(a.count("made_by_b", &json!({})).unwrap(), 2);
    b.compact("made_by_b").unwrap();
    a.update("made_by_b", "m1", &json!({"$set": {"k": 5}}))
        .unwrap();
    b.refresh().unwrap();
    assert_eq!(
        b.find("made_by_b", &Find::new(json!({"k": 5})))
            .unwrap()
            .len(),
        1,
        "b's index answers what a wrote after b's compaction"
    );
    a.drop_collection("made_by_b").unwrap();
    assert!(b.insert("made_by_b", json!({"_id": "again"})).is_ok());
    assert_eq!(b.count("made_by_b", &json!({})).unwrap(), 1);

    drop((a, b));
    let fresh = FluxDB::open_read_only(dir.path()).unwrap();
    assert_eq!(counter(&fresh, "x"), 111);
    assert_eq!(fresh.count("made_by_b", &json!({})).unwrap(), 1);
}

#[test]
fn a_transaction_holds_the_lock_to_its_end_and_a_busy_writer_waits_then_says_who() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = shared(dir.path());
    let mut b = OpenOptions::new()
        .shared(true)
        .busy_timeout(Duration::from_millis(300))
        .open(dir.path())
        .unwrap();
    a.insert("counters", json!({"_id": "x", "n": 1})).unwrap();

    a.begin_transaction().unwrap();
    a.update("counters", "x", &json!({"$inc": {"n": 1}}))
        .unwrap();
    let started = Instant::now();
    match b.update("counters", "x", &json!({"$inc": {"n": 100}})) {
        Err(Error::Locked { holder, .. }) => {
            assert!(
                holder.contains("shared"),
                "the holder says its mode: {holder}"
            )
        }
        other => panic!("expected a locked error, got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited");
    a.commit().unwrap();
    // The lock is free again: b's write goes on from a's commit.
    assert!(
        b.update("counters", "x", &json!({"$inc": {"n": 100}}))
            .unwrap()
    );
    assert_eq!(counter(&b, "x"), 102);

    // A rolled-back transaction lets the lock go too.
    a.begin_transaction().unwrap();
    a.insert("counters", json!({"_id": "gone"})).unwrap();
    a.rollback().unwrap();
    b.insert("counters", json!({"_id": "y", "n": 0})).unwrap();
    assert!(!b.exists("counters", "gone").unwrap());
}

#[test]
fn an_exclusive_writer_is_named_to_a_shared_one_and_a_shared_one_lets_it_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = shared(dir.path());
    s.insert("c", json!({"_id": "a"})).unwrap();
    // Between writes a shared handle holds no lock: an exclusive one opens.
    let mut exclusive = FluxDB::open(dir.path()).unwrap();
    exclusive.insert("c", json!({"_id": "b"})).unwrap();
    let started = Instant::now();
    match s.insert("c", json!({"_id": "c"})) {
        Err(Error::Locked { holder, .. }) => {
            assert!(holder.contains(&std::process::id().to_string()), "{holder}");
            assert!(!holder.contains("shared"), "{holder}");
        }
        other => panic!("expected a locked error, got {other:?}"),
    }
    // Held while open: not waited for as long as a shared writer's commit.
    assert!(started.elapsed() < Duration::from_secs(3));
    // Nor can a shared handle open while it is held.
    assert!(matches!(
        OpenOptions::new().shared(true).open(dir.path()),
        Err(Error::Locked { .. })
    ));
    drop(exclusive);
    s.insert("c", json!({"_id": "c"})).unwrap();
    assert_eq!(s.count("c", &json!({})).unwrap(), 3);
}

/// The child: increments two counters until killed, each increment one
/// transaction over two collections (a log record names it), printing
/// `ack N` once it committed; every 40th write compacts.
#[test]
fn shared_writer_entry_point() {
    let Ok(dir) = std::env::var(WRITER_ENV) else {
        return; // Only does something when the shared test starts it.
    };
    let name = std::env::var(WRITER_NAME_ENV).unwrap();
    let mut db = OpenOptions::new()
        .shared(true)
        .busy_timeout(Duration::from_secs(30))
        .open(&dir)
        .unwrap();
    for collection in ["log", "counters"] {
        db.create_collection::<&str>(collection, &[]).unwrap();
    }
    for n in 1u64.. {
        let written = (|| -> fluxdb::Result<()> {
            let mut txn = db.transaction()?;
            txn.insert("log", json!({"_id": format!("{name}-{n}")}))?;
            if !txn.update("counters", "total", &json!({"$inc": {"n": 1}}))? {
                txn.insert("counters", json!({"_id": "total", "n": 1}))?;
            }
            txn.commit()?;
            // And one write outside a transaction, its own commit.
            if !db.update("counters", &name, &json!({"$inc": {"n": 1}}))? {
                db.insert("counters", json!({"_id": name, "n": 1}))?;
            }
            if n % 40 == 0 {
                db.compact("log")?;
            }
            Ok(())
        })();
        match written {
            Ok(()) => println!("ack {n}"),
            Err(e) => {
                println!("error {e}");
                return;
            }
        }
    }
}

#[test]
fn processes_writing_at_once_and_killed_mid_write_never_lose_or_repeat_an_increment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap().to_owned();
    let writers = ["w0", "w1", "w2", "w3"];
    let runs: Vec<(String, Vec<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (writers.iter().enumerate())
            .map(|(i, name)| {
                let path = path.clone();
                scope.spawn(move || {
                    let lines = lines_after_marker_until_killed(
                        "shared::shared_writer_entry_point",
                        &[(WRITER_ENV, &path), (WRITER_NAME_ENV, name)],
                        "ack ",
                        Duration::from_millis(1_500 + 400 * i as u64),
                    );
                    (name.to_string(), lines)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let db = FluxDB::open(dir.path()).unwrap();
    let mut acked_total = 0;
    for (name, lines) in &runs {
        let errors: Vec<&String> = lines.iter().filter(|l| l.contains("error ")).collect();
        assert!(errors.is_empty(), "{name} failed: {errors:?}");
        let acked = numbers_after(lines, "ack").max().unwrap_or(0);
        assert!(
            acked >= 5,
            "{name} wrote beside the others ({acked} commits)"
        );
        acked_total += acked;
        // Each acknowledged transaction is there; at most the one in
        // flight when it was killed went further.
        for n in 1..=acked {
            assert!(db.exists("log", &format!("{name}-{n}")).unwrap());
        }
        assert!(!db.exists("log", &format!("{name}-{}", acked + 2)).unwrap());
        let own = counter(&db, name) as u64;
        assert!(
            (acked..=acked + 1).contains(&own),
            "{name}: {own} vs {acked} acked"
        );
    }
    let logged = db.count("log", &json!({})).unwrap() as u64;
    // The counter and the log were written in one transaction each time:
    // they agree exactly, whoever was killed where.
    assert_eq!(counter(&db, "total") as u64, logged);
    let killed = runs.len() as u64;
    assert!(
        (acked_total..=acked_total + killed).contains(&logged),
        "{logged} logged, {acked_total} acknowledged"
    );
    assert!(db.verify(None).unwrap().is_ok());
}
