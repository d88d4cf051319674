//! What a dialog asks of the worker and what it hears back: the
//! [`ManageRequest`]s (import with its preview, export, backup and
//! restore, collection and index operations), their progress and their
//! [`Outcome`]. Plain data; `run.rs` and `transfer.rs` carry them out.

use std::path::{Path, PathBuf};

use super::compare::Comparison;
use crate::Document;
use crate::engine::Compression;
use crate::interchange::{CancelToken, ColumnType, Format};
use crate::studio::query::ParsedQuery;
use crate::studio::worker::database::Database;

/// The file formats the dialogs read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileFormat {
    /// A FluxDB backup of one collection (`export_collection`).
    Backup,
    Json,
    JsonLines,
    Csv,
}

impl FileFormat {
    pub const ALL: [FileFormat; 4] = [
        FileFormat::Backup,
        FileFormat::Json,
        FileFormat::JsonLines,
        FileFormat::Csv,
    ];

    /// The format a file's extension names.
    pub fn from_path(path: &Path) -> Option<FileFormat> {
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        if extension == "fdb" {
            return Some(FileFormat::Backup);
        }
        Format::from_path(path).map(FileFormat::from)
    }

    pub fn label(self) -> &'static str {
        match self {
            FileFormat::Backup => "FluxDB backup (.fdb)",
            FileFormat::Json => "JSON array (.json)",
            FileFormat::JsonLines => "JSON Lines (.jsonl)",
            FileFormat::Csv => "CSV (.csv), lossy",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Backup => "fdb",
            FileFormat::Json => "json",
            FileFormat::JsonLines => "jsonl",
            FileFormat::Csv => "csv",
        }
    }

    /// The document format, for all but the backup.
    pub fn documents(self) -> Option<Format> {
        match self {
            FileFormat::Backup => None,
            FileFormat::Json => Some(Format::Json),
            FileFormat::JsonLines => Some(Format::JsonLines),
            FileFormat::Csv => Some(Format::Csv),
        }
    }
}

impl From<Format> for FileFormat {
    fn from(format: Format) -> FileFormat {
        match format {
            Format::Json => FileFormat::Json,
            Format::JsonLines => FileFormat::JsonLines,
            Format::Csv => FileFormat::Csv,
        }
    }
}

/// A cancel token inside a request. Requests compare equal whatever their
/// tokens (a token has no value of its own to compare).
#[derive(Clone, Debug, Default)]
pub struct CancelHandle(pub CancelToken);

impl PartialEq for CancelHandle {
    fn eq(&self, _other: &CancelHandle) -> bool {
        true
    }
}

/// Whether an import adds to the collection or takes its place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImportMode {
    #[default]
    Append,
    Replace,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImportJob {
    pub path: PathBuf,
    pub format: FileFormat,
    pub collection: String,
    pub mode: ImportMode,
    pub skip_bad: bool,
    /// CSV columns whose type the user chose.
    pub csv_types: Vec<(String, ColumnType)>,
    pub cancel: CancelHandle,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExportJob {
    pub collection: String,
    pub path: PathBuf,
    pub format: FileFormat,
    /// `None`: the whole collection.
    pub query: Option<ParsedQuery>,
    pub cancel: CancelHandle,
}

/// What a dialog asks of the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum ManageRequest {
    Preview {
        path: PathBuf,
        format: FileFormat,
        csv_types: Vec<(String, ColumnType)>,
    },
    Import(Box<ImportJob>),
    Export(Box<ExportJob>),
    Backup {
        path: PathBuf,
    },
    Restore {
        path: PathBuf,
        cancel: CancelHandle,
    },
    /// Compares the folder with a database or collection backup (one
    /// collection of it, or the folder's collection to compare with).
    Compare {
        path: PathBuf,
        collection: Option<String>,
        cancel: CancelHandle,
    },
    CreateCollection {
        name: String,
        indexed_fields: Vec<String>,
        compression: Compression,
    },
    Rename {
        from: String,
        to: String,
    },
    Clear {
        name: String,
    },
    Drop {
        name: String,
    },
    Compact {
        name: String,
    },
    /// Rewrites the collection's file with another codec.
    SetCompression {
        name: String,
        compression: Compression,
    },
    CreateIndex {
        collection: String,
        field: String,
    },
    DropIndex {
        collection: String,
        field: String,
    },
    /// Copies a collection (documents and index definitions) to another
    /// database: a folder or a `mongodb://` URI (`backend::copy_collection`).
    CopyTo {
        collection: String,
        destination: PathBuf,
    },
}

impl ManageRequest {
    /// What the worker is doing, for the status bar and error messages.
    pub fn describe(&self) -> String {
        match self {
            ManageRequest::Preview { path, .. } => format!("reading {}", path.display()),
            ManageRequest::Import(job) => {
                format!("importing {} into {}", job.path.display(), job.collection)
            }
            ManageRequest::Export(job) => {
                format!("exporting {} to {}", job.collection, job.path.display())
            }
            ManageRequest::Backup { path } => {
                format!("backing up the database to {}", path.display())
            }
            ManageRequest::Restore { path, .. } => format!("restoring {}", path.display()),
            ManageRequest::Compare { path, .. } => {
                format!("comparing the folder with {}", path.display())
            }
            ManageRequest::CreateCollection { name, .. } => format!("creating collection {name}"),
            ManageRequest::Rename { from, to } => format!("renaming {from} to {to}"),
            ManageRequest::Clear { name } => format!("clearing {name}"),
            ManageRequest::Drop { name } => format!("dropping {name}"),
            ManageRequest::Compact { name } => format!("compacting {name}"),
            ManageRequest::SetCompression { name, compression } => {
                format!("rewriting {name} as {compression}")
            }
            ManageRequest::CreateIndex { collection, field } => {
                format!("indexing {field} of {collection}")
            }
            ManageRequest::DropIndex { collection, field } => {
                format!("dropping the index on {field} of {collection}")
            }
            ManageRequest::CopyTo {
                collection,
                destination,
            } => format!(
                "copying {collection} to {}",
                crate::backend::redact(&destination.display().to_string())
            ),
        }
    }
}

/// How far a job has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobProgress {
    pub done: u64,
    pub total: Option<u64>,
    /// What `done` counts: "bytes" or "records".
    pub unit: &'static str,
}

impl JobProgress {
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total?;
        if total == 0 {
            return Some(1.0);
        }
        Some((self.done as f64 / total as f64).min(1.0) as f32)
    }
}

/// A CSV column of a preview.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviewColumn {
    pub name: String,
    pub column_type: ColumnType,
    /// Inferred (true) or chosen in the dialog.
    pub inferred: bool,
}

/// The first records of a file, as an import would read them.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportPreview {
    pub path: PathBuf,
    pub format: FileFormat,
    /// Records with the line they start on (0 for a backup).
    pub documents: Vec<(u64, Document)>,
    /// Bad records met on the way, each naming its line.
    pub errors: Vec<String>,
    pub csv_columns: Vec<PreviewColumn>,
    /// Something to know about the file (a backup's size, a cap).
    pub note: Option<String>,
}

/// How a job ended well: what to tell the user and what changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub message: String,
    /// Lines skipped by an import, each with its line number and why.
    pub problems: Vec<String>,
    /// The folder's collections afterwards, when they may have changed.
    pub collections: Option<Vec<String>>,
    /// A collection whose records changed (its page is read again).
    pub changed: Option<String>,
    /// A collection to show (a renamed or new one).
    pub select: Option<String>,
}

impl Outcome {
    pub(super) fn new(message: String) -> Outcome {
        Outcome {
            message,
            problems: Vec::new(),
            collections: None,
            changed: None,
            select: None,
        }
    }

    /// The outcome of a job that may have changed the folder's collections:
    /// the sidebar is read again from the list it carries.
    pub(super) fn with_collections(mut self, db: &dyn Database) -> Outcome {
        self.collections = Some(db.list_collections());
        self
    }
}

/// What the worker tells a dialog.
#[derive(Clone, Debug, PartialEq)]
pub enum ManageEvent {
    Progress(JobProgress),
    Preview(Box<ImportPreview>),
    Finished(Box<Outcome>),
    /// A comparison with a backup, for its dialog.
    Compared(Box<Comparison>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_extensions_in_any_case() {
        for (name, format) in [
            ("a.fdb", Some(FileFormat::Backup)),
            ("a.JSON", Some(FileFormat::Json)),
            ("a.jsonl", Some(FileFormat::JsonLines)),
            ("a.ndjson", Some(FileFormat::JsonLines)),
            ("a.csv", Some(FileFormat::Csv)),
            ("a.txt", None),
            ("noext", None),
        ] {
            assert_eq!(FileFormat::from_path(Path::new(name)), format, "{name}");
        }
    }

    #[test]
    fn progress_is_a_fraction_of_the_total_when_known() {
        let half = JobProgress {
            done: 5,
            total: Some(10),
            unit: "bytes",
        };
        assert_eq!(half.fraction(), Some(0.5));
        let unknown = JobProgress {
            total: None,
            ..half
        };
        assert_eq!(unknown.fraction(), None);
    }
}
