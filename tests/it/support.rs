//! Helpers shared by the integration tests.

use std::path::Path;

use fluxdb::Document;
use serde_json::Value;

pub fn doc(v: Value) -> Document {
    match v {
        Value::Object(m) => m,
        other => panic!("test document must be an object, got {other}"),
    }
}

pub fn names(docs: &[Document]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            d.get("name")
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_owned()
        })
        .collect()
}

pub fn fdb_path(dir: &Path, collection: &str) -> std::path::PathBuf {
    dir.join(format!("{collection}.fdb"))
}

/// Runs the test `entry` of this test binary as a child process with
/// `envs` (the crash tests' children loop over writes and print what they
/// acknowledged), kills it with SIGKILL after `run_for`, and returns every
/// line it printed before it died.
pub fn lines_until_killed(
    entry: &str,
    envs: &[(&str, &str)],
    run_for: std::time::Duration,
) -> Vec<String> {
    run_then_kill(entry, envs, run_for, None)
}

/// [`lines_until_killed`] with `run_for` counted from the child's first
/// line containing `marker` (its first acknowledged write, say) rather
/// than its start, for tests that need some work done before the kill
/// whatever the machine's load (starting a process can take longer than
/// the run). Crash tests keep the other: a kill while the child still
/// opens its folder is part of what they test.
pub fn lines_after_marker_until_killed(
    entry: &str,
    envs: &[(&str, &str)],
    marker: &str,
    run_for: std::time::Duration,
) -> Vec<String> {
    run_then_kill(entry, envs, run_for, Some(marker))
}

fn run_then_kill(
    entry: &str,
    envs: &[(&str, &str)],
    run_for: std::time::Duration,
    from_marker: Option<&str>,
) -> Vec<String> {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([entry, "--exact", "--nocapture", "--test-threads=1"])
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (marked, started) = mpsc::channel();
    let marker = from_marker.map(str::to_owned);
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        let mut seen = false;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if !seen && marker.as_deref().is_some_and(|m| line.contains(m)) {
                seen = true;
                let _ = marked.send(());
            }
            lines.push(line);
        }
        lines
    });
    if from_marker.is_some() {
        let _ = started.recv_timeout(std::time::Duration::from_secs(30));
    }
    std::thread::sleep(run_for);
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    reader.join().unwrap()
}

/// The numbers `N` of the lines saying "`word` N" (the test harness may
/// print its "test ... " prefix on the same line).
pub fn numbers_after<'a>(lines: &'a [String], word: &'a str) -> impl Iterator<Item = u64> + 'a {
    let marker = format!("{word} ");
    lines.iter().filter_map(move |line| {
        let (_, n) = line.rsplit_once(&marker)?;
        n.trim().parse::<u64>().ok()
    })
}
