//! The command line's grammar, with the help text people read.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Inspect and manage a FluxDB database folder, or a database on a MongoDB
/// server (--db mongodb://HOST:PORT/DATABASE).
///
/// Documents are printed as JSON Lines: one compact object a line, `_id`
/// first. Exit status: 0 on success, 1 when the operation failed, 2 for a
/// usage error.
#[derive(Debug, Parser)]
#[command(name = "fluxdb", version, max_term_width = 100)]
#[command(after_help = "Examples:\n  \
    fluxdb --db data create users --index age,status\n  \
    fluxdb --db data insert users '{\"name\": \"Alice\", \"age\": 30}'\n  \
    fluxdb --db data find users '{\"age\": {\"$gt\": 20}}' --sort '{\"age\": 1}' --limit 10\n  \
    export FLUXDB_DB=data; fluxdb export users users.fdb\n  \
    fluxdb --db mongodb://127.0.0.1:27017/shop find orders '{\"status\": \"open\"}'\n  \
    fluxdb copy data mongodb://127.0.0.1:27017/shop --collection users")]
pub struct Cli {
    /// The database folder, or a MongoDB database as
    /// mongodb://HOST:PORT/DATABASE (or set FLUXDB_DB).
    #[arg(long, env = "FLUXDB_DB", value_name = "DIR|URI", global = true)]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the collections, one name a line, sorted.
    ///
    /// Example: fluxdb --db data collections
    Collections {
        /// Also print each collection's storage format.
        #[arg(long)]
        format: bool,
    },
    /// Create a collection; prints true (created) or false (it existed).
    ///
    /// Example: fluxdb --db data create users --index age,status --compress zstd
    Create {
        collection: String,
        /// Fields to index, comma separated (dot paths allowed).
        #[arg(long, value_delimiter = ',', value_name = "F1,F2")]
        index: Vec<String>,
        /// Store the file compressed: lz4 (fast), zstd (smaller; zstd:LEVEL
        /// from 1 to 22, default 3) or none (the default).
        #[arg(long, value_name = "CODEC", default_value = "none")]
        compress: String,
    },
    /// Delete a collection and its index definitions; prints true or false.
    ///
    /// Example: fluxdb --db data drop users
    Drop { collection: String },
    /// Remove every record, keeping the index definitions; prints true or false.
    ///
    /// Example: fluxdb --db data clear users
    Clear { collection: String },
    /// Insert documents; prints each new _id. Without JSON, reads stdin (a
    /// JSON array or JSON Lines). All documents of one call are inserted
    /// atomically.
    ///
    /// Example: fluxdb --db data insert users '[{"name": "Bob"}, {"name": "Cy"}]'
    Insert {
        collection: String,
        /// An object or an array of objects.
        json: Option<String>,
    },
    /// Print the matching documents as JSON Lines.
    ///
    /// Example: fluxdb --db data find users '{"status": "active"}' --sort '{"age": -1}' --limit 5
    Find {
        collection: String,
        /// The filter (default: {}, every document).
        filter: Option<String>,
        /// Sort, e.g. '{"age": 1, "name": -1}'.
        #[arg(long, value_name = "JSON")]
        sort: Option<String>,
        #[arg(long, value_name = "N", default_value_t = 0)]
        skip: usize,
        /// At most N documents (0: no limit).
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Projection, e.g. '{"name": 1}' or '{"address": 0}'.
        #[arg(long, value_name = "JSON")]
        project: Option<String>,
    },
    /// Print how many documents match.
    ///
    /// Example: fluxdb --db data count users '{"age": {"$gte": 18}}'
    Count {
        collection: String,
        filter: Option<String>,
    },
    /// Print the exact schema of the matching documents (all by default):
    /// each field path with its count, types, min/max, distinct and most
    /// frequent values, as one JSON object.
    ///
    /// Example: fluxdb --db data schema users '{"country": "Norway"}'
    Schema {
        collection: String,
        filter: Option<String>,
    },
    /// Print one document by _id; exit 1 if there is none.
    ///
    /// Example: fluxdb --db data get users 0b9f7c1e-5d1c-4b7e-9a51-3c2d6f1e8a90
    Get { collection: String, id: String },
    /// Print true or false: does a document with this _id exist?
    ///
    /// Example: fluxdb --db data exists users 0b9f7c1e-5d1c-4b7e-9a51-3c2d6f1e8a90
    Exists { collection: String, id: String },
    /// Update one document; prints true or false (no such document).
    ///
    /// A plain object merges its fields; update operators ($set, $inc, ...) apply.
    /// Example: fluxdb --db data update users ID '{"$set": {"status": "inactive"}}'
    Update {
        collection: String,
        id: String,
        json: String,
    },
    /// Delete one document; prints true or false.
    ///
    /// Example: fluxdb --db data delete users ID
    Delete { collection: String, id: String },
    /// Update every matching document; prints how many changed. All or none.
    ///
    /// Example: fluxdb --db data update-many users '{"status": "pending"}' '{"$set": {"status": "active"}}'
    UpdateMany {
        collection: String,
        filter: String,
        json: String,
    },
    /// Delete every matching document; prints how many.
    ///
    /// Example: fluxdb --db data delete-many users '{"age": {"$lt": 18}}'
    DeleteMany { collection: String, filter: String },
    /// Run an aggregation pipeline; prints the result documents as JSON Lines.
    ///
    /// Example: fluxdb --db data aggregate products '[{"$group": {"_id": "$category", "count": {"$count": 1}}}]'
    Aggregate {
        collection: String,
        pipeline: String,
    },
    /// Say how a query is answered, as one JSON object: the index lookups
    /// (each constraint with its records), the records examined and
    /// returned, how the result was sorted and the time. With --pipeline,
    /// how an aggregation is answered: each stage's records in and out and
    /// time.
    ///
    /// Example: fluxdb --db data explain users '{"age": {"$gt": 20}}' --sort '{"age": 1}' --limit 10
    /// Example: fluxdb --db data explain users --pipeline '[{"$group": {"_id": "$city"}}]'
    Explain {
        collection: String,
        #[arg(conflicts_with = "pipeline")]
        filter: Option<String>,
        /// Explain this aggregation pipeline instead of a find.
        #[arg(long, value_name = "JSON", conflicts_with_all = ["sort", "skip", "limit"])]
        pipeline: Option<String>,
        #[arg(long, value_name = "JSON")]
        sort: Option<String>,
        #[arg(long, value_name = "N", default_value_t = 0)]
        skip: usize,
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
    },
    /// Write a collection to a file; prints the number of records written.
    ///
    /// Formats: fdb (binary backup of the collection and its indexes), json
    /// (an array, one document a line), jsonl (one document a line; both are
    /// what mongoimport reads), csv (a column per field, nested values as
    /// JSON text; lossy). The file is replaced atomically.
    /// Example: fluxdb --db data export users users.jsonl
    Export {
        collection: String,
        file: PathBuf,
        /// fdb, json, jsonl or csv; by default from the file's extension.
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
        /// Only the documents matching this filter (json, jsonl, csv).
        #[arg(long, value_name = "JSON")]
        filter: Option<String>,
    },
    /// Import a file into a collection; prints the number of records imported.
    ///
    /// fdb replaces the collection with a backup made by export; json, jsonl
    /// and csv append to it (creating it if missing). All or nothing: a bad
    /// record imports nothing and names its line, unless --skip-bad.
    /// Example: fluxdb --db data import users users.csv --csv-type zip=string
    Import {
        collection: String,
        file: PathBuf,
        /// fdb, json, jsonl or csv; by default from the file's extension.
        #[arg(long, value_name = "FORMAT")]
        format: Option<String>,
        /// Skip bad records (each reported on stderr with its line) and
        /// import the rest.
        #[arg(long)]
        skip_bad: bool,
        /// CSV: read column FIELD as string, integer, float, bool or json
        /// instead of inferring its type (repeatable).
        #[arg(long = "csv-type", value_name = "FIELD=TYPE")]
        csv_type: Vec<String>,
    },
    /// Reclaim the space of old versions and deleted records.
    ///
    /// Example: fluxdb --db data compact users
    Compact {
        /// One collection (default: all).
        collection: Option<String>,
    },
    /// Rewrite a collection's file with another compression, keeping every
    /// record; prints the sizes before and after.
    ///
    /// CODEC: lz4 (fast), zstd or zstd:LEVEL (1 to 22, default 3; smaller
    /// files), none. The rewrite is atomic and compacts too.
    /// Example: fluxdb --db data compress users --codec zstd:9
    Compress {
        collection: String,
        #[arg(long, value_name = "CODEC")]
        codec: String,
    },
    /// Back up every collection and its indexes into one file; prints a
    /// one-line report.
    ///
    /// Example: fluxdb --db data backup data-2024-06-01.fdbbackup
    Backup { file: PathBuf },
    /// Replace the collections a backup holds with its content; others stay.
    ///
    /// The whole file is checked first: a damaged backup changes nothing.
    /// Example: fluxdb --db data restore data-2024-06-01.fdbbackup
    Restore { file: PathBuf },
    /// Compare the folder with a backup: print each record that differs as a
    /// JSON line. Exit 0 when nothing differs, 1 when something does, 2 when
    /// the comparison failed (a damaged backup, no such collection).
    ///
    /// BACKUP is a database backup (made by backup) or a collection backup
    /// (export to .fdb). With COLL, only that collection (for a collection
    /// backup: the folder's collection to compare it with). Lines:
    /// {"collection": C, "_id": ID, "status": "only_in_folder" |
    /// "only_in_backup" | "changed", "changes": [{"path": "address.city",
    /// "folder": V, "backup": V}]}. Paths are dotted, array elements by
    /// position (tags.1); a side that lacks the field has no key (null is a
    /// value). A record one side lacks lists each of its fields. Nothing is
    /// changed: to take records back, use Studio's File > Compare with
    /// backup, or restore.
    /// Example: fluxdb --db data diff data-2024-06-01.fdbbackup users
    Diff {
        backup: PathBuf,
        collection: Option<String>,
    },
    /// Print each change committed to a collection after this starts, one
    /// JSON line each, until interrupted (Ctrl+C or SIGTERM: exit 0).
    ///
    /// It never takes the writer lock: it follows the program that writes,
    /// across its compactions. Lines: {"op": "insert", "_id": ID, "doc": DOC},
    /// {"op": "update", "_id": ID, "doc": DOC} (the document after), {"op":
    /// "delete", "_id": ID}; for the collection as a whole {"op": "clear"},
    /// {"op": "replace"} (restored from a backup; the differences follow),
    /// {"op": "drop"} and {"op": "create"}. With a FILTER, inserts and updates
    /// print when the new document matches, deletes when the deleted
    /// record's last version matched.
    ///
    /// On a MongoDB server it reads the collection's change stream (a
    /// replica set or a sharded cluster has one; a standalone server says
    /// it has none) and prints the same lines, a replacement as an update;
    /// when it ends it prints its position on stderr, for --since.
    /// Example: fluxdb --db data watch orders '{"status": "open"}'
    Watch {
        collection: String,
        filter: Option<String>,
        /// How often to look for new commits, in milliseconds.
        #[arg(long, value_name = "MS", default_value_t = 100)]
        interval: u64,
        /// First print what changed since this log position (the
        /// `log_position` of `fluxdb info`, kept from an earlier moment; on
        /// a server, the position an earlier watch printed when it ended).
        #[arg(long, value_name = "POSITION")]
        since: Option<String>,
    },
    /// Check every entry's checksum, every record and every index; prints a
    /// report, exit 1 if anything is wrong.
    ///
    /// Example: fluxdb --db data verify users
    Verify {
        /// One collection (default: all).
        collection: Option<String>,
    },
    /// Print a collection's format, record count, file size, dead space,
    /// indexed fields, compression and compression ratio as JSON (one
    /// object a line for every collection).
    ///
    /// Example: fluxdb --db data info users
    Info {
        /// One collection (default: all).
        collection: Option<String>,
    },
    /// Copy collections, with their documents and index definitions, from
    /// one database to another; each is a folder or a MongoDB URI
    /// (mongodb://HOST:PORT/DATABASE). Prints one line per collection:
    /// "NAME: N records copied, indexes: F1, F2"; progress goes to stderr.
    ///
    /// Every collection of SOURCE, or those named. A destination
    /// collection must be missing or empty. Into a folder each collection
    /// is copied all or nothing; into a server, a failure part-way leaves
    /// what was copied and says how far it got. --db is not used.
    /// Example: fluxdb copy data mongodb://127.0.0.1:27017/shop --collection users
    Copy {
        /// A folder or a mongodb:// URI to copy from.
        #[arg(value_name = "SOURCE")]
        source: PathBuf,
        /// A folder (created if missing) or a mongodb:// URI to copy to.
        #[arg(value_name = "DEST")]
        destination: PathBuf,
        /// Copy only this collection (repeatable; default: all).
        #[arg(long, value_name = "NAME")]
        collection: Vec<String>,
    },
    /// Turn the folder's Python FluxDB 0.1 collections into native ones,
    /// keeping ids, record order and field order; prints one line per
    /// collection. The old files are copied to a backup folder first.
    ///
    /// Example: fluxdb --db data migrate --infer-types
    Migrate {
        /// Turn text back into values where unambiguous ("30" -> 30,
        /// "1.5" -> 1.5, "True" -> true, "None" -> null, list and dict
        /// reprs -> JSON); without it every value stays text.
        #[arg(long)]
        infer_types: bool,
    },
}
