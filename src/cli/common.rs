//! The commands a folder and a MongoDB server both have, written once over
//! the [`Backend`] seam: what they print is the same on either.

use std::io::Write;

use serde_json::Value;

use super::args::Command;
use super::failure::{Failure, Outcome};
use super::lines::LineOut;
use super::parse::{
    build_find, parse_json, parse_json_or_empty, print_document, read_documents_from_stdin,
    transfer_format,
};
use crate::Error;
use crate::backend::Backend;
use crate::engine::{ExportOptions, Find, ImportOptions};
use crate::interchange::ColumnType;

/// Runs `command` on `db`; commands only one kind of database has are
/// the caller's to run (an `fdb` export or import here is a server's,
/// which has no such format).
pub(super) fn run_common<W: Write>(db: &mut dyn Backend, command: Command, out: &mut W) -> Outcome {
    match command {
        Command::Collections { .. } => {
            for name in db.list_collections()? {
                writeln!(out, "{name}")?;
            }
        }
        Command::Create {
            collection, index, ..
        } => writeln!(out, "{}", db.create_collection(&collection, &index)?)?,
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
            for id in db.insert_many(&collection, documents)? {
                writeln!(out, "{id}")?;
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
            // Each record goes out as its text is written: nothing is
            // collected. A write error stops the query and is reported as
            // itself.
            let mut lines = LineOut::new(out);
            let found = db.find_json_each(&collection, &find, &mut |line| lines.text(line));
            lines.outcome::<_, Failure>(found)?;
        }
        Command::Count { collection, filter } => {
            let filter = parse_json_or_empty("FILTER", filter.as_deref())?;
            writeln!(out, "{}", db.count(&collection, &filter)?)?;
        }
        Command::Schema { collection, filter } => {
            let filter = parse_json_or_empty("FILTER", filter.as_deref())?;
            let schema = db.schema(&collection, &filter)?;
            write_json_line(out, &schema)?;
        }
        Command::Get { collection, id } => match db.get(&collection, &id)? {
            Some(doc) => print_document(out, &doc)?,
            None => {
                return Err(Failure::NotFound(format!(
                    "no document with _id {id:?} in collection {collection:?}"
                )));
            }
        },
        Command::Exists { collection, id } => writeln!(out, "{}", db.exists(&collection, &id)?)?,
        Command::Update {
            collection,
            id,
            json,
        } => {
            let update = parse_json("JSON", &json)?;
            writeln!(out, "{}", db.update(&collection, &id, &update)?)?;
        }
        Command::Delete { collection, id } => writeln!(out, "{}", db.delete(&collection, &id)?)?,
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
            write_json_line(out, &db.explain_pipeline(&collection, &pipeline)?)?;
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
            write_json_line(out, &db.explain(&collection, &find)?)?;
        }
        Command::Export {
            collection,
            file,
            format,
            filter,
        } => {
            let Some(format) = transfer_format(format.as_deref(), &file)? else {
                return Err(fdb_on(db.place(), "export"));
            };
            let mut options = ExportOptions::new().format(format);
            if let Some(filter) = filter {
                options = options.query(Find::new(parse_json("--filter", &filter)?));
            }
            writeln!(
                out,
                "{}",
                db.export_documents(&collection, &file, &options)?
            )?;
        }
        Command::Import {
            collection,
            file,
            format,
            skip_bad,
            csv_type,
        } => {
            let Some(format) = transfer_format(format.as_deref(), &file)? else {
                return Err(fdb_on(db.place(), "import"));
            };
            let mut options = ImportOptions::new().format(format).skip_bad(skip_bad);
            for spec in &csv_type {
                let (field, type_name) = spec.split_once('=').ok_or_else(|| {
                    Failure::Message(format!("--csv-type {spec:?}: expected FIELD=TYPE"))
                })?;
                options = options.csv_type(field.trim(), ColumnType::parse(type_name)?);
            }
            let report = db.import_documents(&collection, &file, options)?;
            for skipped in &report.skipped_records {
                eprintln!("fluxdb: skipped: {skipped}");
            }
            let unlisted = report.skipped - report.skipped_records.len() as u64;
            if unlisted > 0 {
                eprintln!("fluxdb: skipped {unlisted} more bad records");
            }
            writeln!(out, "{}", report.imported)?;
        }
        other => {
            return Err(Failure::Message(format!(
                "internal: {other:?} is a command of one kind of database only"
            )));
        }
    }
    Ok(())
}

fn write_json_line(out: &mut impl Write, value: &impl serde::Serialize) -> Outcome {
    serde_json::to_writer(&mut *out, value).map_err(|e| Failure::Message(e.to_string()))?;
    writeln!(out)?;
    Ok(())
}

/// The `fdb` format (a folder's collection backup) where it does not exist.
fn fdb_on(place: String, what: &str) -> Failure {
    Failure::Engine(Error::Unsupported {
        what: format!(
            "{what} in the fdb format (a folder's collection backup; use json, jsonl or csv)"
        ),
        place,
    })
}
