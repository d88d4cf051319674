//! Replays the saved fuzz inputs (`tests/regressions/<target>/`: every
//! input that once crashed a target, and the seeds) through the same
//! functions the fuzz targets call (`fluxdb::fuzzing`), so CI checks them
//! without cargo-fuzz. A crash found by `fuzz/run.sh` is fixed, then its
//! input is added here.

use std::path::Path;

#[test]
fn every_saved_fuzz_input_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut replayed = 0;
    for (target, run) in fluxdb::fuzzing::TARGETS {
        let dir = root.join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            panic!(
                "no saved inputs for fuzz target {target} in {}",
                dir.display()
            );
        };
        let mut files: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).unwrap();
            let outcome = std::panic::catch_unwind(|| run(&bytes));
            assert!(outcome.is_ok(), "{target}: {} panics", file.display());
            replayed += 1;
        }
    }
    assert!(replayed >= fluxdb::fuzzing::TARGETS.len());
}
