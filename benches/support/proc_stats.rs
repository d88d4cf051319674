//! This process's CPU time and memory from /proc, for the benchmarks: on a
//! busy shared machine CPU time says what the wall clock would on a quiet
//! one. Included by each benchmark with `#[path]` (benchmarks are separate
//! crates). Linux only; elsewhere the figures read 0 / none.

/// CPU time of this process so far, every thread, user and system.
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which may itself hold spaces.
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A memory line of /proc/self/status in bytes: "VmRSS" (resident now) or
/// "VmHWM" (the most resident so far).
#[allow(dead_code)]
pub fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| {
        l.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
