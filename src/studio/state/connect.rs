//! File → Connect to MongoDB…: the dialog's plain data and its actions.
//! Test asks the worker for the server's databases (without touching the
//! open folder); Connect opens `URI/DATABASE` as a folder is opened, so the
//! sidebar, grid and editing work on it as on a folder.

use std::path::PathBuf;

use super::connect_form::ConnectDialog;
use super::model::State;
use crate::backend::redact;
use crate::studio::worker::RequestKind;

impl State {
    pub fn open_connect_dialog(&mut self, uri: Option<&str>) {
        self.connect = Some(ConnectDialog::new(
            uri.unwrap_or("mongodb://127.0.0.1:27017"),
        ));
    }

    /// Test: connect and list the databases (the answer fills the dialog;
    /// a failure goes to the status bar).
    pub fn test_connection(&mut self) {
        let Some(dialog) = self.connect.as_mut() else {
            return;
        };
        dialog.testing = true;
        dialog.tested = None;
        let uri = dialog.uri.trim().to_owned();
        self.send(RequestKind::ListDatabases { uri });
    }

    /// Connect: opens the chosen database; the dialog closes.
    pub fn connect_to_server(&mut self) {
        let Some(target) = self.connect.as_ref().and_then(ConnectDialog::target) else {
            return;
        };
        self.connect = None;
        self.open_folder(PathBuf::from(target), false);
    }

    pub(super) fn on_databases(&mut self, uri: &str, names: Vec<String>) {
        let Some(dialog) = self.connect.as_mut().filter(|d| d.uri.trim() == uri) else {
            return;
        };
        dialog.testing = false;
        dialog.tested = Some(format!(
            "Connected to {}: {} databases",
            redact(uri),
            names.len()
        ));
        if dialog.database.is_empty()
            && let [only] = names.as_slice()
        {
            dialog.database = only.clone();
        }
        dialog.databases = names;
    }
}
