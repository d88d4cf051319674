//! `fluxdb copy SOURCE DEST [--collection NAME]…`: collections with their
//! documents and index definitions from one database to another, each a
//! folder or a MongoDB URI. Progress goes to stderr; stdout gets one line
//! per collection copied.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use super::failure::{Failure, Outcome};
use crate::backend::{Location, copy_collection};
use crate::connect::{Role, open_backend};

/// How often progress is written to stderr.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);

pub(super) fn copy(
    source: &Path,
    destination: &Path,
    collections: &[String],
    out: &mut impl Write,
) -> Outcome {
    let (from, to) = (Location::parse(source), Location::parse(destination));
    if from == to {
        return Err(Failure::Message(
            "the source and the destination are the same database".to_owned(),
        ));
    }
    let source = open_backend(&from, Role::Source)?;
    let mut destination = open_backend(&to, Role::Destination)?;
    let names = if collections.is_empty() {
        source.list_collections()?
    } else {
        collections.to_vec()
    };
    for name in names {
        let mut last = Instant::now();
        let mut progress = |done: u64, total: u64| {
            if last.elapsed() >= PROGRESS_EVERY {
                last = Instant::now();
                eprintln!("fluxdb: copying {name}: {done} of {total} records");
            }
        };
        let report = copy_collection(source.as_ref(), destination.as_mut(), &name, &mut progress)?;
        for note in &report.not_copied {
            eprintln!("fluxdb: {name}: index {note}");
        }
        let indexes = if report.indexes.is_empty() {
            String::new()
        } else {
            format!(", indexes: {}", report.indexes.join(", "))
        };
        writeln!(out, "{name}: {} records copied{indexes}", report.records)?;
        out.flush()?;
    }
    Ok(())
}
