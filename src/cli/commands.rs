//! The commands on a folder: those only a folder has (backup, verify,
//! compact…) here, the rest through `common.rs`, which a server shares.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::backend::Location;
use crate::engine::legacy::{MigrateOptions, MigrateReport};
use crate::engine::{Compression, FluxDB, OpenOptions, VerifyReport};

use super::args::{Cli, Command};
use super::common::run_common;
use super::failure::{Failure, Outcome};
use super::parse::transfer_format;
use super::server;

pub fn run(cli: Cli, out: &mut impl Write) -> Outcome {
    let dir = match database_location(&cli)? {
        Location::Server(uri) => return server::run(&uri, cli.command, out),
        Location::Folder(dir) => dir,
    };
    if is_read_only(&cli.command) {
        // Verify reports a torn tail itself, with the rest of its findings.
        let warn = !matches!(cli.command, Command::Verify { .. });
        let mut db = open_read_only(&dir, warn)?;
        read_command(&mut db, cli.command, out)
    } else {
        // Shared: a write waits for Studio's or a program's commit (up to
        // the busy timeout) instead of failing while they have it open.
        let mut db = OpenOptions::new().shared(true).open(&dir)?;
        warn_about_recovery(&db);
        write_command(&mut db, cli.command, out)?;
        db.close()?;
        Ok(())
    }
}

/// The folder or server `--db` (or FLUXDB_DB) names.
pub(super) fn database_location(cli: &Cli) -> Result<Location, Failure> {
    cli.db.as_deref().map(Location::parse).ok_or_else(|| {
        Failure::Message(
            "no database: pass --db DIR (a folder) or --db mongodb://HOST:PORT/DATABASE, or set FLUXDB_DB"
                .to_owned(),
        )
    })
}

/// The folder `--db` (or FLUXDB_DB) names, for a command only a folder
/// has (`what`): a server there is an error that says so.
pub(super) fn database_folder(cli: &Cli, what: &str) -> Result<PathBuf, Failure> {
    match database_location(cli)? {
        Location::Folder(dir) => Ok(dir),
        Location::Server(_) => Err(server::folder_only(what)),
    }
}

/// Commands that only read open the folder without the writer lock, so they
/// work while Studio or another program has it open.
fn is_read_only(command: &Command) -> bool {
    matches!(
        command,
        Command::Collections { .. }
            | Command::Find { .. }
            | Command::Count { .. }
            | Command::Schema { .. }
            | Command::Get { .. }
            | Command::Exists { .. }
            | Command::Export { .. }
            | Command::Aggregate { .. }
            | Command::Explain { .. }
            | Command::Backup { .. }
            | Command::Verify { .. }
            | Command::Info { .. }
    )
}

pub(super) fn open_read_only(dir: &Path, warn: bool) -> Result<FluxDB, Failure> {
    if !dir.is_dir() {
        return Err(Failure::Message(format!(
            "{}: no such database folder",
            dir.display()
        )));
    }
    let db = FluxDB::open_read_only(dir)?;
    if warn {
        warn_about_recovery(&db);
    }
    Ok(db)
}

fn warn_about_recovery(db: &FluxDB) {
    for note in db.recovery_report() {
        eprintln!("fluxdb: warning: {note}");
    }
}

fn read_command(db: &mut FluxDB, command: Command, out: &mut impl Write) -> Outcome {
    match command {
        Command::Collections { format: true } => {
            for name in db.list_collections() {
                let info = db.collection_info(&name)?;
                writeln!(out, "{name}\t{}", info.format)?;
            }
        }
        Command::Export {
            collection,
            file,
            format,
            filter,
        } if transfer_format(format.as_deref(), &file)?.is_none() => {
            if filter.is_some() {
                return Err(Failure::Message(
                    "--filter works with the json, jsonl and csv formats, not fdb".to_owned(),
                ));
            }
            if !db.export_collection(&collection, &file)? {
                return Err(Error::CollectionNotFound(collection).into());
            }
            writeln!(out, "{}", db.collection_info(&collection)?.records)?;
        }
        Command::Backup { file } => {
            let report = db.backup_database(&file, &mut |_, _| {})?;
            writeln!(
                out,
                "backed up {} collections ({} records) to {} ({} bytes)",
                report.collections.len(),
                report.records,
                file.display(),
                report.bytes
            )?;
        }
        Command::Verify { collection } => {
            let report = db.verify(collection.as_deref())?;
            print_verify_report(out, &report)?;
            if !report.is_ok() {
                return Err(Failure::Message(format!(
                    "verify found {} problems (listed on stdout)",
                    report.problem_count()
                )));
            }
        }
        Command::Info { collection } => {
            let names = match collection {
                Some(name) => vec![name],
                None => db.list_collections(),
            };
            for name in names {
                serde_json::to_writer(&mut *out, &db.collection_info(&name)?)
                    .map_err(|e| Failure::Message(e.to_string()))?;
                writeln!(out)?;
            }
        }
        other => return run_common(db, other, out),
    }
    Ok(())
}

fn write_command(db: &mut FluxDB, command: Command, out: &mut impl Write) -> Outcome {
    match command {
        Command::Create {
            collection,
            index,
            compress,
        } => {
            let compression: Compression = compress.parse()?;
            writeln!(
                out,
                "{}",
                db.create_collection_with(&collection, &index, compression)?
            )?;
        }
        Command::Compress { collection, codec } => {
            let compression: Compression = codec.parse()?;
            let report = db.set_compression(&collection, compression)?;
            writeln!(
                out,
                "{collection}: {compression}, {} -> {} bytes",
                report.bytes_before, report.bytes_after
            )?;
        }
        Command::Import {
            collection,
            file,
            format,
            skip_bad,
            csv_type,
        } if transfer_format(format.as_deref(), &file)?.is_none() => {
            if skip_bad || !csv_type.is_empty() {
                return Err(Failure::Message(
                    "--skip-bad and --csv-type work with the json, jsonl and csv formats, not fdb"
                        .to_owned(),
                ));
            }
            if !db.import_collection(&collection, &file)? {
                return Err(Failure::Message(format!(
                    "{}: no such file",
                    file.display()
                )));
            }
            writeln!(out, "{}", db.collection_info(&collection)?.records)?;
        }
        Command::Compact { collection } => {
            let names = match collection {
                Some(name) => vec![name],
                None => db.list_collections(),
            };
            for name in names {
                let report = db.compact(&name)?;
                writeln!(
                    out,
                    "{name}: {} -> {} bytes ({} reclaimed)",
                    report.bytes_before,
                    report.bytes_after,
                    report.bytes_before.saturating_sub(report.bytes_after)
                )?;
            }
        }
        Command::Restore { file } => {
            let report = db.restore_database(&file)?;
            writeln!(
                out,
                "restored {} collections ({} records) from {}: {}",
                report.collections.len(),
                report.records,
                file.display(),
                report.collections.join(", ")
            )?;
            if !report.untouched.is_empty() {
                writeln!(
                    out,
                    "left as they were (not in the backup): {}",
                    report.untouched.join(", ")
                )?;
            }
        }
        Command::Migrate { infer_types } => {
            let report = db.migrate(MigrateOptions { infer_types })?;
            print_migration(out, &report)?;
        }
        other => return run_common(db, other, out),
    }
    Ok(())
}

/// One line per collection checked, then one per problem.
fn print_verify_report(out: &mut impl Write, report: &VerifyReport) -> Outcome {
    for check in &report.collections {
        let status = if check.is_ok() { "ok" } else { "DAMAGED" };
        writeln!(
            out,
            "{}: {status} ({} records, {} entries, {} indexes checked)",
            check.name, check.records, check.entries, check.indexes
        )?;
        if let Some(note) = &check.note {
            writeln!(out, "{}: note: {note}", check.name)?;
        }
        for problem in &check.problems {
            writeln!(out, "{problem}")?;
        }
        if check.unlisted_problems > 0 {
            writeln!(
                out,
                "{}: {} more problems not listed",
                check.name, check.unlisted_problems
            )?;
        }
    }
    Ok(())
}

/// One line per migrated collection, then where the old files are.
fn print_migration(out: &mut impl Write, report: &MigrateReport) -> Outcome {
    if report.collections.is_empty() {
        writeln!(out, "no Python FluxDB 0.1 collections to migrate")?;
    }
    for c in &report.collections {
        let indexed = if c.indexed_fields.is_empty() {
            String::new()
        } else {
            format!(", indexed on {}", c.indexed_fields.join(", "))
        };
        writeln!(
            out,
            "{}: {} records, python-0.1 -> native{indexed}",
            c.name, c.records
        )?;
    }
    if let Some(dir) = &report.backup_dir {
        writeln!(out, "the old files are kept in {}", dir.display())?;
    }
    Ok(())
}
