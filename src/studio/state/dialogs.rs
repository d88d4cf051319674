//! What the dialogs show and hold, as plain data: which are open, what the
//! user typed, and the state of each one's job on the worker (`job_state`;
//! Compare with backup's own model is `compare`). The drawing code reads
//! and changes it; [`Dialogs::apply`] feeds it worker events.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::compare::CompareDialog;
use super::compression_choice::CompressionChoice;
pub use super::job_state::JobState;
use crate::engine::names::validate_collection_name;
use crate::interchange::{CancelToken, ColumnType};
use crate::studio::query::ParsedQuery;
use crate::studio::report::ErrorReport;
use crate::studio::worker::RequestId;
use crate::studio::worker::jobs::{
    CancelHandle, ExportJob, FileFormat, ImportJob, ImportMode, ImportPreview, ManageEvent,
    ManageRequest, Outcome,
};

/// The import preview: asked for whenever the file, format or column types change.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum PreviewState {
    #[default]
    Empty,
    Loading(RequestId),
    Ready(Box<ImportPreview>),
    Failed(String),
}

/// What a preview was read with; a different key reads it again.
type PreviewKey = (String, FileFormat, Vec<(String, ColumnType)>);

#[derive(Clone, Debug, PartialEq)]
pub struct ImportDialog {
    pub path: String,
    /// From the extension until the user picks one; `None`: unknown.
    pub format: Option<FileFormat>,
    pub target: String,
    pub mode: ImportMode,
    pub skip_bad: bool,
    /// CSV columns whose type the user chose (the others are inferred).
    pub csv_types: BTreeMap<String, ColumnType>,
    pub preview: PreviewState,
    previewed: Option<PreviewKey>,
    pub job: JobState,
}

impl ImportDialog {
    pub fn new(target: &str, path: Option<&Path>) -> ImportDialog {
        let mut dialog = ImportDialog {
            path: String::new(),
            format: None,
            target: target.to_owned(),
            mode: ImportMode::Append,
            skip_bad: false,
            csv_types: BTreeMap::new(),
            preview: PreviewState::Empty,
            previewed: None,
            job: JobState::Idle,
        };
        if let Some(path) = path {
            dialog.set_path(path.display().to_string());
            if dialog.target.is_empty() {
                dialog.target = collection_name_from(path);
            }
        }
        dialog
    }

    /// A new file: its format from its extension, no column overrides.
    pub fn set_path(&mut self, path: String) {
        self.format = FileFormat::from_path(Path::new(path.trim()));
        self.path = path;
        self.csv_types.clear();
        if self.format == Some(FileFormat::Backup) {
            self.mode = ImportMode::Replace;
        }
    }

    pub fn set_format(&mut self, format: FileFormat) {
        self.format = Some(format);
        self.csv_types.clear();
        if format == FileFormat::Backup {
            self.mode = ImportMode::Replace;
        }
    }

    fn key(&self) -> Option<PreviewKey> {
        let path = self.path.trim();
        if path.is_empty() {
            return None;
        }
        let types = self
            .csv_types
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        Some((path.to_owned(), self.format?, types))
    }

    /// The preview to ask for, if the file or its reading options changed.
    pub fn preview_request(&mut self) -> Option<ManageRequest> {
        let key = self.key()?;
        if self.previewed.as_ref() == Some(&key) {
            return None;
        }
        self.previewed = Some(key.clone());
        let (path, format, csv_types) = key;
        Some(ManageRequest::Preview {
            path: PathBuf::from(path),
            format,
            csv_types,
        })
    }

    /// Why the import cannot start yet, or the job to send. `existing`:
    /// the folder's collections; `legacy_target`: the target is a Python
    /// 0.1 collection.
    pub fn start(
        &self,
        existing: &[String],
        legacy_target: bool,
    ) -> Result<(ManageRequest, CancelToken), String> {
        let path = self.path.trim();
        if path.is_empty() {
            return Err("type the path of the file to import".to_owned());
        }
        let Some(format) = self.format else {
            return Err("choose the file's format".to_owned());
        };
        let target = self.target.trim();
        validate_collection_name(target).map_err(|e| e.to_string())?;
        let exists = existing.iter().any(|c| c == target);
        let mode = if format == FileFormat::Backup {
            ImportMode::Replace
        } else {
            self.mode
        };
        if mode == ImportMode::Replace && exists && legacy_target && format != FileFormat::Backup {
            return Err(format!(
                "{target} is a Python 0.1 collection: an import can only append to it"
            ));
        }
        let cancel = CancelToken::new();
        let job = ImportJob {
            path: PathBuf::from(path),
            format,
            collection: target.to_owned(),
            mode,
            skip_bad: self.skip_bad,
            csv_types: self
                .csv_types
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            cancel: CancelHandle(cancel.clone()),
        };
        Ok((ManageRequest::Import(Box::new(job)), cancel))
    }
}

/// `people` from `/tmp/people.jsonl`, when that is a valid name.
fn collection_name_from(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| validate_collection_name(s).is_ok())
        .unwrap_or_default()
        .to_owned()
}

/// Whether an export writes the whole collection or the query bar's result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExportScope {
    #[default]
    Whole,
    Query,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExportDialog {
    pub collection: String,
    pub path: String,
    pub format: FileFormat,
    pub scope: ExportScope,
    /// The query applied in the grid when the dialog opened.
    pub query: Option<ParsedQuery>,
    pub job: JobState,
}

impl ExportDialog {
    pub fn new(collection: &str, folder: Option<&Path>, query: Option<ParsedQuery>) -> Self {
        let format = FileFormat::JsonLines;
        // Beside the database folder: a backup inside it would be refused.
        let path = folder
            .and_then(Path::parent)
            .map(|parent| {
                parent
                    .join(format!("{collection}.{}", format.extension()))
                    .display()
                    .to_string()
            })
            .unwrap_or_default();
        let has_query = query.as_ref().is_some_and(|q| {
            q.filter.as_object().is_some_and(|f| !f.is_empty())
                || q.sort.is_some()
                || q.projection.is_some()
        });
        ExportDialog {
            collection: collection.to_owned(),
            path,
            format,
            scope: ExportScope::Whole,
            query: query.filter(|_| has_query),
            job: JobState::Idle,
        }
    }

    /// A new format; a path that ends in a known extension follows it.
    pub fn set_format(&mut self, format: FileFormat) {
        self.format = format;
        if format == FileFormat::Backup {
            self.scope = ExportScope::Whole;
        }
        let path = Path::new(self.path.trim());
        if FileFormat::from_path(path).is_some() {
            self.path = path
                .with_extension(format.extension())
                .display()
                .to_string();
        }
    }

    pub fn start(&self) -> Result<(ManageRequest, CancelToken), String> {
        let path = self.path.trim();
        if path.is_empty() {
            return Err("type the path of the file to write".to_owned());
        }
        let query = match self.scope {
            ExportScope::Whole => None,
            ExportScope::Query if self.format == FileFormat::Backup => {
                return Err("a FluxDB backup holds the whole collection".to_owned());
            }
            ExportScope::Query => Some(
                self.query
                    .clone()
                    .ok_or("no query is applied to this collection")?,
            ),
        };
        let cancel = CancelToken::new();
        let job = ExportJob {
            collection: self.collection.clone(),
            path: PathBuf::from(path),
            format: self.format,
            query,
            cancel: CancelHandle(cancel.clone()),
        };
        Ok((ManageRequest::Export(Box::new(job)), cancel))
    }
}

/// Backup database… and Restore…: a file and, for a restore, a confirmation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileDialog {
    pub path: String,
    /// Restore: the user was asked and is answering.
    pub confirming: bool,
    pub job: JobState,
}

impl FileDialog {
    pub fn path(&self) -> Result<PathBuf, String> {
        match self.path.trim() {
            "" => Err("type the path of the backup file".to_owned()),
            path => Ok(PathBuf::from(path)),
        }
    }
}

/// New collection, Rename, Clear and Drop: a name (or two) and a job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NameDialog {
    /// The collection acted on (empty for a new one).
    pub collection: String,
    /// New: the name; Rename: the new name; Drop: the name typed to confirm.
    pub text: String,
    /// New: the indexed fields, separated by commas.
    pub fields: String,
    /// New: how the collection's file is stored.
    pub compression: CompressionChoice,
    pub job: JobState,
}

impl NameDialog {
    pub fn on(collection: &str) -> NameDialog {
        NameDialog {
            collection: collection.to_owned(),
            ..NameDialog::default()
        }
    }

    /// Why `text` is no good as a new collection name.
    pub fn name_problem(&self, existing: &[String]) -> Option<String> {
        let name = self.text.trim();
        if name.is_empty() {
            return Some("type a name".to_owned());
        }
        if let Err(e) = validate_collection_name(name) {
            return Some(e.to_string());
        }
        if existing.iter().any(|c| c == name) {
            return Some(format!("a collection named {name} exists already"));
        }
        None
    }

    pub fn indexed_fields(&self) -> Vec<String> {
        self.fields
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Drop: the name typed matches.
    pub fn confirmed(&self) -> bool {
        self.text.trim() == self.collection
    }
}

/// Compression…: a collection's codec, changed by a rewrite on the worker.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CompressionDialog {
    pub collection: String,
    pub choice: CompressionChoice,
    pub job: JobState,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndexesDialog {
    pub collection: String,
    pub new_field: String,
    pub job: JobState,
}

/// Every dialog; `None` is closed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dialogs {
    pub import: Option<ImportDialog>,
    pub export: Option<ExportDialog>,
    pub backup: Option<FileDialog>,
    pub restore: Option<FileDialog>,
    pub new_collection: Option<NameDialog>,
    pub rename: Option<NameDialog>,
    pub clear: Option<NameDialog>,
    pub drop: Option<NameDialog>,
    pub indexes: Option<IndexesDialog>,
    pub compression: Option<CompressionDialog>,
    /// Copy to…: the destination (a folder or a URI) in `text`.
    pub copy_to: Option<NameDialog>,
    /// File > Compare with backup… (state::compare).
    pub compare: Option<CompareDialog>,
    /// Compact has no dialog; its result goes to the status line.
    pub compact: JobState,
}

impl Dialogs {
    fn jobs_mut(&mut self) -> Vec<&mut JobState> {
        let mut jobs = vec![&mut self.compact];
        if let Some(d) = &mut self.import {
            jobs.push(&mut d.job);
        }
        if let Some(d) = &mut self.export {
            jobs.push(&mut d.job);
        }
        for d in [&mut self.backup, &mut self.restore].into_iter().flatten() {
            jobs.push(&mut d.job);
        }
        for d in [
            &mut self.new_collection,
            &mut self.rename,
            &mut self.clear,
            &mut self.drop,
            &mut self.copy_to,
        ]
        .into_iter()
        .flatten()
        {
            jobs.push(&mut d.job);
        }
        if let Some(d) = &mut self.indexes {
            jobs.push(&mut d.job);
        }
        if let Some(d) = &mut self.compression {
            jobs.push(&mut d.job);
        }
        if let Some(d) = &mut self.compare {
            jobs.push(&mut d.job);
        }
        jobs
    }

    /// Whether any dialog waits for request `id`.
    pub fn waits_for(&mut self, id: RequestId) -> bool {
        let preview = self
            .import
            .as_ref()
            .is_some_and(|d| d.preview == PreviewState::Loading(id));
        preview || self.jobs_mut().iter().any(|job| job.id() == Some(id))
    }

    /// A worker event for request `id`; a finished job's outcome is returned
    /// so the app can refresh what it changed.
    pub fn apply(&mut self, id: RequestId, event: ManageEvent) -> Option<Outcome> {
        match event {
            ManageEvent::Preview(preview) => {
                if let Some(dialog) = &mut self.import
                    && dialog.preview == PreviewState::Loading(id)
                {
                    dialog.preview = PreviewState::Ready(preview);
                }
                None
            }
            ManageEvent::Progress(progress) => {
                for job in self.jobs_mut() {
                    if let JobState::Running {
                        id: running,
                        progress: shown,
                        ..
                    } = job
                        && *running == id
                    {
                        *shown = Some(progress);
                    }
                }
                None
            }
            ManageEvent::Compared(comparison) => {
                let dialog = self.compare.as_mut()?;
                (dialog.job.id() == Some(id)).then(|| dialog.finish(comparison))
            }
            ManageEvent::Finished(outcome) => {
                let mut found = false;
                for job in self.jobs_mut() {
                    if job.id() == Some(id) {
                        *job = JobState::Done(outcome.clone());
                        found = true;
                    }
                }
                // Dialogs that have nothing more to show close on success.
                for dialog in [
                    &mut self.new_collection,
                    &mut self.rename,
                    &mut self.clear,
                    &mut self.drop,
                ] {
                    if dialog.as_ref().is_some_and(|d| d.job.outcome().is_some()) {
                        *dialog = None;
                    }
                }
                // Even for a dialog closed meanwhile, the folder changed.
                let changes_folder = outcome_changes_folder(&outcome);
                (found || changes_folder).then_some(*outcome)
            }
        }
    }

    /// Request `id` failed; `false` if no dialog waits for it.
    pub fn fail(&mut self, id: RequestId, error: &ErrorReport) -> bool {
        if let Some(dialog) = &mut self.import
            && dialog.preview == PreviewState::Loading(id)
        {
            dialog.preview = PreviewState::Failed(error.why.clone());
            return true;
        }
        let mut found = false;
        for job in self.jobs_mut() {
            if job.id() == Some(id) {
                *job = JobState::Failed(error.clone());
                found = true;
            }
        }
        found
    }

    /// The status bar's Cancel: every running import and export stops.
    pub fn cancel_all(&mut self) {
        for job in self.jobs_mut() {
            job.cancel();
        }
    }

    /// Whether a job runs that changes the folder (the app asks before closing).
    pub fn busy(&mut self) -> bool {
        self.jobs_mut().iter().any(|job| job.is_running())
    }
}

fn outcome_changes_folder(outcome: &Outcome) -> bool {
    outcome.collections.is_some() || outcome.changed.is_some()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::studio::worker::jobs::JobProgress;

    fn report(why: &str) -> ErrorReport {
        ErrorReport {
            what: "importing".into(),
            why: why.into(),
        }
    }

    fn outcome(message: &str) -> Box<Outcome> {
        Box::new(Outcome {
            message: message.into(),
            problems: Vec::new(),
            collections: Some(vec!["people".into()]),
            changed: Some("people".into()),
            select: None,
        })
    }

    #[test]
    fn a_dropped_file_sets_format_and_target_from_its_name() {
        let dialog = ImportDialog::new("", Some(Path::new("/tmp/orders.csv")));
        assert_eq!(dialog.format, Some(FileFormat::Csv));
        assert_eq!(dialog.target, "orders");
        let backup = ImportDialog::new("people", Some(Path::new("/tmp/x.fdb")));
        assert_eq!(backup.format, Some(FileFormat::Backup));
        assert_eq!(backup.mode, ImportMode::Replace);
        assert_eq!(backup.target, "people");
    }

    #[test]
    fn the_preview_is_asked_once_per_file_format_and_column_types() {
        let mut dialog = ImportDialog::new("people", Some(Path::new("/tmp/a.csv")));
        assert!(dialog.preview_request().is_some());
        assert!(dialog.preview_request().is_none(), "same file: no new read");
        dialog.csv_types.insert("zip".into(), ColumnType::String);
        match dialog.preview_request() {
            Some(ManageRequest::Preview { csv_types, .. }) => {
                assert_eq!(csv_types, vec![("zip".to_owned(), ColumnType::String)]);
            }
            other => panic!("expected a preview, got {other:?}"),
        }
        dialog.set_path("/tmp/b.jsonl".into());
        assert!(dialog.csv_types.is_empty());
        assert!(dialog.preview_request().is_some());
    }

    #[test]
    fn an_unknown_extension_waits_for_a_chosen_format() {
        let mut dialog = ImportDialog::new("people", Some(Path::new("/tmp/data.txt")));
        assert_eq!(dialog.format, None);
        assert!(dialog.preview_request().is_none());
        assert!(dialog.start(&[], false).is_err());
        dialog.set_format(FileFormat::JsonLines);
        assert!(dialog.preview_request().is_some());
        assert!(dialog.start(&[], false).is_ok());
    }

    #[test]
    fn an_import_needs_a_path_and_a_valid_target() {
        let mut dialog = ImportDialog::new("people", None);
        assert!(dialog.start(&[], false).is_err_and(|e| e.contains("path")));
        dialog.set_path("/tmp/a.json".into());
        dialog.target = "../evil".into();
        assert!(
            dialog
                .start(&[], false)
                .is_err_and(|e| e.contains("invalid collection name"))
        );
        dialog.target = "people".into();
        dialog.skip_bad = true;
        match dialog.start(&[], false).map(|(r, _)| r) {
            Ok(ManageRequest::Import(job)) => {
                assert!(job.skip_bad);
                assert_eq!(job.mode, ImportMode::Append);
                assert_eq!(job.collection, "people");
            }
            other => panic!("expected an import, got {other:?}"),
        }
    }

    #[test]
    fn replacing_a_python_collection_is_refused_before_sending() {
        let mut dialog = ImportDialog::new("users", Some(Path::new("/tmp/a.jsonl")));
        dialog.mode = ImportMode::Replace;
        let existing = vec!["users".to_owned()];
        assert!(
            dialog
                .start(&existing, true)
                .is_err_and(|e| e.contains("Python 0.1"))
        );
        dialog.mode = ImportMode::Append;
        assert!(dialog.start(&existing, true).is_ok());
    }

    #[test]
    fn a_job_goes_from_running_with_progress_to_done_and_returns_its_outcome() {
        let mut dialogs = Dialogs {
            import: Some(ImportDialog::new("people", Some(Path::new("/tmp/a.json")))),
            ..Dialogs::default()
        };
        if let Some(d) = &mut dialogs.import {
            d.job = JobState::running(7, Some(CancelToken::new()));
        }
        assert!(dialogs.waits_for(7));
        assert!(!dialogs.waits_for(8));
        let progress = JobProgress {
            done: 10,
            total: Some(100),
            unit: "bytes",
        };
        assert_eq!(dialogs.apply(7, ManageEvent::Progress(progress)), None);
        assert!(matches!(
            dialogs.import.as_ref().map(|d| &d.job),
            Some(JobState::Running { progress: Some(p), .. }) if p.done == 10
        ));
        let done = dialogs.apply(7, ManageEvent::Finished(outcome("Imported 3")));
        assert_eq!(done.map(|o| o.message), Some("Imported 3".to_owned()));
        assert_eq!(
            dialogs
                .import
                .as_ref()
                .and_then(|d| d.job.outcome())
                .map(|o| o.message.as_str()),
            Some("Imported 3")
        );
    }

    #[test]
    fn a_failed_job_keeps_what_and_why_and_a_failed_preview_its_reason() {
        let mut dialogs = Dialogs {
            import: Some(ImportDialog::new("people", Some(Path::new("/tmp/a.json")))),
            ..Dialogs::default()
        };
        if let Some(d) = &mut dialogs.import {
            d.preview = PreviewState::Loading(3);
            d.job = JobState::running(4, None);
        }
        assert!(dialogs.fail(3, &report("no such file")));
        assert!(dialogs.fail(4, &report("line 2: expected value")));
        let import = dialogs.import.clone();
        assert_eq!(
            import.as_ref().map(|d| d.preview.clone()),
            Some(PreviewState::Failed("no such file".into()))
        );
        assert_eq!(
            import.map(|d| d.job),
            Some(JobState::Failed(report("line 2: expected value")))
        );
        assert!(!dialogs.fail(99, &report("other")));
    }

    #[test]
    fn cancel_sets_the_token_the_worker_checks() {
        let token = CancelToken::new();
        let mut job = JobState::running(1, Some(token.clone()));
        job.cancel();
        assert!(token.is_cancelled());
        assert!(matches!(
            job,
            JobState::Running {
                cancelling: true,
                ..
            }
        ));
    }

    #[test]
    fn name_dialogs_validate_new_names_and_the_drop_confirmation() {
        let existing = vec!["people".to_owned()];
        let mut dialog = NameDialog::on("people");
        for (text, problem) in [
            ("", Some("type a name")),
            ("people", Some("exists already")),
            ("a/b", Some("invalid collection name")),
            ("staff", None),
        ] {
            dialog.text = text.into();
            let found = dialog.name_problem(&existing);
            match problem {
                Some(expected) => assert!(
                    found.as_deref().is_some_and(|f| f.contains(expected)),
                    "{text:?}: {found:?}"
                ),
                None => assert_eq!(found, None, "{text:?}"),
            }
        }
        dialog.fields = " age , city,, ".into();
        assert_eq!(dialog.indexed_fields(), vec!["age", "city"]);
        dialog.text = "peopl".into();
        assert!(!dialog.confirmed());
        dialog.text = "people".into();
        assert!(dialog.confirmed());
    }

    #[test]
    fn a_finished_rename_closes_its_dialog() {
        let mut dialogs = Dialogs {
            rename: Some(NameDialog::on("people")),
            ..Dialogs::default()
        };
        if let Some(d) = &mut dialogs.rename {
            d.job = JobState::running(5, None);
        }
        assert!(
            dialogs
                .apply(5, ManageEvent::Finished(outcome("Renamed")))
                .is_some()
        );
        assert_eq!(dialogs.rename, None);
    }

    #[test]
    fn an_export_of_the_query_takes_the_applied_query_and_backups_only_the_whole() {
        let query = ParsedQuery {
            filter: json!({"age": {"$gt": 30}}),
            sort: Some(json!({"age": 1})),
            projection: None,
        };
        let mut dialog = ExportDialog::new("people", Some(Path::new("/data/shop")), Some(query));
        assert_eq!(dialog.path, "/data/people.jsonl");
        dialog.scope = ExportScope::Query;
        match dialog.start().map(|(r, _)| r) {
            Ok(ManageRequest::Export(job)) => {
                assert_eq!(
                    job.query.map(|q| q.filter),
                    Some(json!({"age": {"$gt": 30}}))
                );
            }
            other => panic!("expected an export, got {other:?}"),
        }
        dialog.set_format(FileFormat::Backup);
        assert_eq!(dialog.path, "/data/people.fdb");
        assert_eq!(dialog.scope, ExportScope::Whole);
        // An empty query is no query.
        let plain = ExportDialog::new(
            "people",
            None,
            Some(ParsedQuery {
                filter: json!({}),
                sort: None,
                projection: None,
            }),
        );
        assert_eq!(plain.query, None);
    }
}
