//! What each command does: parse its JSON arguments, call the engine, print.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

use crate::Error;
use crate::engine::legacy::{MigrateOptions, MigrateReport};
use crate::engine::{
    Compression, Document, ExportOptions, Find, FluxDB, ImportOptions, OpenOptions, VerifyReport,
};
use crate::interchange::{ColumnType, Format};

use super::args::{Cli, Command};
use super::lines::LineOut;

/// Why a command failed; each becomes one line on stderr and exit 1.
#[derive(Debug)]
pub enum Failure {
    Engine(Error),
    /// A usage-level problem found after parsing (bad JSON, no --db).
    Message(String),
    /// `get` of a missing document.
    NotFound(String),
    /// The reader of our output went away: stop quietly, as `head` expects.
    BrokenPipe,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Engine(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::BrokenPipe
        } else {
            Failure::Message(format!("cannot write output: {e}"))
        }
    }
}

pub(super) type Outcome = Result<(), Failure>;

pub fn run(cli: Cli, out: &mut impl Write) -> Outcome {
    let dir = database_folder(&cli)?;
    if is_read_only(&cli.command) {
        // Verify reports a torn tail itself, with the rest of its findings.
        let warn = !matches!(cli.command, Command::Verify { .. });
        let db = open_read_only(&dir, warn)?;
        read_command(&db, cli.command, out)
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

/// The folder `--db` (or FLUXDB_DB) names.
pub(super) fn database_folder(cli: &Cli) -> Result<std::path::PathBuf, Failure> {
    cli.db.clone().ok_or_else(|| {
        Failure::Message("no database folder: pass --db DIR or set FLUXDB_DB".to_owned())
    })
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

fn read_command(db: &FluxDB, command: Command, out: &mut impl Write) -> Outcome {
    match command {
        Command::Collections { format } => {
            for name in db.list_collections() {
                if format {
                    let info = db.collection_info(&name)?;
                    writeln!(out, "{name}\t{}", info.format)?;
                } else {
                    writeln!(out, "{name}")?;
                }
            }
        }
        Command::Find {
            collection,
            filter,
            sort,
            skip,
            limit,
            project,
        } => {
            let mut find = build_find(filter.as_deref(), sort.as_deref(), skip, limit)?;
            if let Some(project) = project {
                find = find.projection(parse_json("--project", &project)?);
            }
            // Each record goes out as its text is written from the stored
            // bytes: no document is built, nothing is collected. A write
            // error stops the query and is reported as itself.
            let mut lines = LineOut::new(out);
            let found = db.find_json_each(&collection, &find, &mut |line| lines.text(line));
            lines.outcome::<_, Failure>(found)?;
        }
        Command::Aggregate {
            collection,
            pipeline,
        } => {
            for doc in db.aggregate(&collection, &parse_json("PIPELINE", &pipeline)?)? {
                print_document(out, &doc)?;
            }
        }
        // clap keeps --pipeline apart from FILTER, --sort, --skip and --limit.
        Command::Explain {
            collection,
            pipeline: Some(pipeline),
            ..
        } => {
            let pipeline = parse_json("PIPELINE", &pipeline)?;
            let (_, explain) = db.aggregate_explained(&collection, &pipeline, None)?;
            serde_json::to_writer(&mut *out, &explain)
                .map_err(|e| Failure::Message(e.to_string()))?;
            writeln!(out)?;
        }
        Command::Explain {
            collection,
            filter,
            sort,
            skip,
            limit,
            pipeline: None,
        } => {
            let find = build_find(filter.as_deref(), sort.as_deref(), skip, limit)?;
            let explain = db.explain(&collection, &find)?;
            serde_json::to_writer(&mut *out, &explain)
                .map_err(|e| Failure::Message(e.to_string()))?;
            writeln!(out)?;
        }
        Command::Count { collection, filter } => {
            let filter = parse_json_or_empty("FILTER", filter.as_deref())?;
            writeln!(out, "{}", db.count(&collection, &filter)?)?;
        }
        Command::Schema { collection, filter } => {
            let filter = parse_json_or_empty("FILTER", filter.as_deref())?;
            let schema = db.schema(&collection, &filter, None, &mut |_, _| {})?;
            serde_json::to_writer(&mut *out, &schema)
                .map_err(|e| Failure::Message(e.to_string()))?;
            writeln!(out)?;
        }
        Command::Get { collection, id } => match db.get(&collection, &id)? {
            Some(doc) => print_document(out, &doc)?,
            None => {
                return Err(Failure::NotFound(format!(
                    "no document with _id {id:?} in collection {collection:?}"
                )));
            }
        },
        Command::Exists { collection, id } => {
            if !db.has_collection(&collection) {
                return Err(Error::CollectionNotFound(collection).into());
            }
            writeln!(out, "{}", db.exists(&collection, &id)?)?;
        }
        Command::Export {
            collection,
            file,
            format,
            filter,
        } => match transfer_format(format.as_deref(), &file)? {
            None => {
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
            Some(format) => {
                let mut options = ExportOptions::new().format(format);
                if let Some(filter) = filter {
                    options = options.query(Find::new(parse_json("--filter", &filter)?));
                }
                let written = db.export_documents(&collection, &file, &options, &mut |_, _| {})?;
                writeln!(out, "{written}")?;
            }
        },
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
        other => {
            return Err(Failure::Message(format!(
                "internal: {other:?} is not a read command"
            )));
        }
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
        Command::Drop { collection } => writeln!(out, "{}", db.drop_collection(&collection)?)?,
        Command::Clear { collection } => writeln!(out, "{}", db.clear_collection(&collection)?)?,
        Command::Insert { collection, json } => {
            let documents = match json {
                Some(text) => match parse_json("JSON", &text)? {
                    Value::Array(items) => items,
                    single => vec![single],
                },
                None => read_documents_from_stdin()?,
            };
            let ids = db.insert_many(&collection, documents)?;
            db.flush()?;
            for id in ids {
                writeln!(out, "{id}")?;
            }
        }
        Command::Update {
            collection,
            id,
            json,
        } => {
            let update = parse_json("JSON", &json)?;
            writeln!(out, "{}", db.update(&collection, &id, &update)?)?;
        }
        Command::Delete { collection, id } => {
            writeln!(out, "{}", db.delete(&collection, &id)?)?;
        }
        Command::UpdateMany {
            collection,
            filter,
            json,
        } => {
            let filter = parse_json("FILTER", &filter)?;
            let update = parse_json("JSON", &json)?;
            writeln!(out, "{}", db.update_many(&collection, &filter, &update)?)?;
        }
        Command::DeleteMany { collection, filter } => {
            let filter = parse_json("FILTER", &filter)?;
            writeln!(out, "{}", db.delete_many(&collection, &filter)?)?;
        }
        Command::Import {
            collection,
            file,
            format,
            skip_bad,
            csv_type,
        } => match transfer_format(format.as_deref(), &file)? {
            None => {
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
            Some(format) => {
                let mut options = ImportOptions::new().format(format).skip_bad(skip_bad);
                for spec in &csv_type {
                    let (field, type_name) = spec.split_once('=').ok_or_else(|| {
                        Failure::Message(format!("--csv-type {spec:?}: expected FIELD=TYPE"))
                    })?;
                    options = options.csv_type(field.trim(), ColumnType::parse(type_name)?);
                }
                let report = db.import_documents(&collection, &file, options, &mut |_| {})?;
                for skipped in &report.skipped_records {
                    eprintln!("fluxdb: skipped: {skipped}");
                }
                let unlisted = report.skipped - report.skipped_records.len() as u64;
                if unlisted > 0 {
                    eprintln!("fluxdb: skipped {unlisted} more bad records");
                }
                writeln!(out, "{}", report.imported)?;
            }
        },
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
        read => return read_command(db, read, out),
    }
    Ok(())
}

fn build_find(
    filter: Option<&str>,
    sort: Option<&str>,
    skip: usize,
    limit: Option<usize>,
) -> Result<Find, Failure> {
    let mut find = Find::new(parse_json_or_empty("FILTER", filter)?).skip(skip);
    if let Some(sort) = sort {
        find = find.sort(parse_json("--sort", sort)?);
    }
    if let Some(limit) = limit {
        find = find.limit(limit);
    }
    Ok(find)
}

/// The format of an export or import: `None` for fdb (the binary backup
/// of one collection), else an interchange format. From `--format`, else
/// the file's extension; a file without one is fdb.
fn transfer_format(format: Option<&str>, file: &Path) -> Result<Option<Format>, Failure> {
    let name = match format {
        Some(f) => f.trim().to_ascii_lowercase(),
        None => file
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| "fdb".to_owned()),
    };
    if name == "fdb" {
        return Ok(None);
    }
    Format::parse(&name).map(Some).map_err(|_| {
        Failure::Message(format!(
            "{}: format {name:?} is not supported; use fdb, json, jsonl or csv",
            file.display()
        ))
    })
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

pub(super) fn parse_json(what: &str, text: &str) -> Result<Value, Failure> {
    serde_json::from_str(text).map_err(|e| Failure::Message(format!("invalid JSON in {what}: {e}")))
}

fn parse_json_or_empty(what: &str, text: Option<&str>) -> Result<Value, Failure> {
    match text {
        Some(t) => parse_json(what, t),
        None => Ok(Value::Object(Default::default())),
    }
}

/// Stdin holds a JSON array or JSON Lines (any sequence of JSON values).
fn read_documents_from_stdin() -> Result<Vec<Value>, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::Message(format!("cannot read stdin: {e}")))?;
    if text.trim_start().starts_with('[') {
        return match parse_json("stdin", &text)? {
            Value::Array(items) => Ok(items),
            _ => Err(Failure::Message("stdin: expected a JSON array".to_owned())),
        };
    }
    let mut documents = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(line)
            .map_err(|e| Failure::Message(format!("stdin: line {}: invalid JSON: {e}", i + 1)))?;
        documents.push(value);
    }
    Ok(documents)
}

fn print_document(out: &mut impl Write, doc: &Document) -> Outcome {
    serde_json::to_writer(&mut *out, doc).map_err(|e| Failure::Message(e.to_string()))?;
    out.write_all(b"\n")?;
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
