//! What Studio remembers between runs, saved through eframe's persistence.
//!
//! One `#[serde(default)]` struct, so a field added later never breaks an old
//! save: a missing field takes its default and an unknown one is ignored.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::backend::{is_server_uri, redact};

/// The key under which eframe stores [`Settings`].
pub const STORAGE_KEY: &str = "fluxdb-studio-settings";

/// How many recent folders the start screen and File menu list.
pub const MAX_RECENT_FOLDERS: usize = 10;

/// How many filters each collection's history keeps.
pub const MAX_HISTORY: usize = 20;

/// The page sizes the query bar offers.
pub const PAGE_SIZES: [usize; 4] = [25, 50, 100, 500];

/// Light or dark look.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    #[default]
    Dark,
    Light,
}

/// The direction of a header-click sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortDirection {
    Ascending,
    Descending,
}

impl SortDirection {
    /// The number MongoDB-style sort documents use for this direction.
    pub fn as_number(self) -> i64 {
        match self {
            SortDirection::Ascending => 1,
            SortDirection::Descending => -1,
        }
    }
}

/// A sort on one column chosen by clicking its header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSort {
    pub field: String,
    pub direction: SortDirection,
}

/// What is remembered for one collection of one folder.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CollectionPrefs {
    /// Filters that were run, newest first, without repeats.
    pub history: Vec<String>,
    /// Grid column widths by field name.
    pub column_widths: BTreeMap<String, f32>,
    /// The header-click sort, if one is on.
    pub sort: Option<ColumnSort>,
}

/// Everything Studio persists (the window size is persisted by eframe itself).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: ThemeChoice,
    /// Most recent first.
    pub recent_folders: Vec<PathBuf>,
    pub page_size: usize,
    /// Keyed by [`Settings::collection_key`].
    pub collections: BTreeMap<String, CollectionPrefs>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: ThemeChoice::default(),
            recent_folders: Vec::new(),
            page_size: 50,
            collections: BTreeMap::new(),
        }
    }
}

/// What the settings keep of a folder or a server's URI: a URI without its
/// password (`mongodb://ann:****@host/db`), so none is written to disk.
pub fn kept(folder: &Path) -> PathBuf {
    match folder.to_str() {
        Some(uri) if is_server_uri(uri) => PathBuf::from(redact(uri)),
        _ => folder.to_path_buf(),
    }
}

impl Settings {
    /// The key of one collection of one folder: two folders may both have a
    /// `customers` collection with different fields.
    /// A server's URI is kept without its password.
    pub fn collection_key(folder: &Path, collection: &str) -> String {
        format!("{}\u{1f}{collection}", kept(folder).display())
    }

    pub fn prefs(&self, folder: &Path, collection: &str) -> Option<&CollectionPrefs> {
        self.collections
            .get(&Self::collection_key(folder, collection))
    }

    pub fn prefs_mut(&mut self, folder: &Path, collection: &str) -> &mut CollectionPrefs {
        self.collections
            .entry(Self::collection_key(folder, collection))
            .or_default()
    }

    /// Puts `folder` first in the recent list, dropping a repeat and the oldest
    /// past the limit.
    /// A server connection is kept without its password.
    pub fn remember_folder(&mut self, folder: &Path) {
        let folder = kept(folder);
        self.recent_folders.retain(|f| *f != folder);
        self.recent_folders.insert(0, folder);
        self.recent_folders.truncate(MAX_RECENT_FOLDERS);
    }

    /// Adds a filter to a collection's history, newest first, without repeats.
    pub fn remember_filter(&mut self, folder: &Path, collection: &str, filter: &str) {
        let history = &mut self.prefs_mut(folder, collection).history;
        history.retain(|f| f != filter);
        history.insert(0, filter.to_owned());
        history.truncate(MAX_HISTORY);
    }

    /// A page size the query bar offers: a saved value from an older version
    /// that is not one of them falls back to the default.
    pub fn valid_page_size(&self) -> usize {
        if PAGE_SIZES.contains(&self.page_size) {
            self.page_size
        } else {
            Settings::default().page_size
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_without_new_fields_still_load_with_defaults() {
        let settings: Settings =
            serde_json::from_str(r#"{"theme":"Light","gone":1}"#).unwrap_or_default();
        assert_eq!(settings.theme, ThemeChoice::Light);
        assert_eq!(settings.page_size, 50);
        assert!(settings.recent_folders.is_empty());
    }

    #[test]
    fn remembering_a_folder_moves_it_first_without_repeats() {
        let mut settings = Settings::default();
        settings.remember_folder(Path::new("/a"));
        settings.remember_folder(Path::new("/b"));
        settings.remember_folder(Path::new("/a"));
        assert_eq!(
            settings.recent_folders,
            vec![PathBuf::from("/a"), PathBuf::from("/b")]
        );
    }

    #[test]
    fn a_server_is_remembered_without_its_password() {
        let mut settings = Settings::default();
        settings.remember_folder(Path::new("mongodb://ann:secret@h:1/shop"));
        assert_eq!(
            settings.recent_folders,
            vec![PathBuf::from("mongodb://ann:****@h:1/shop")]
        );
        let key = Settings::collection_key(Path::new("mongodb://ann:secret@h:1/shop"), "c");
        assert!(!key.contains("secret"));
    }

    #[test]
    fn recent_folders_keep_only_the_newest() {
        let mut settings = Settings::default();
        for i in 0..MAX_RECENT_FOLDERS + 3 {
            settings.remember_folder(&PathBuf::from(format!("/f{i}")));
        }
        assert_eq!(settings.recent_folders.len(), MAX_RECENT_FOLDERS);
        assert_eq!(
            settings.recent_folders[0],
            PathBuf::from(format!("/f{}", MAX_RECENT_FOLDERS + 2))
        );
    }

    #[test]
    fn filter_history_is_per_collection_and_newest_first() {
        let mut settings = Settings::default();
        let folder = Path::new("/db");
        settings.remember_filter(folder, "a", "{}");
        settings.remember_filter(folder, "a", r#"{"x":1}"#);
        settings.remember_filter(folder, "a", "{}");
        settings.remember_filter(folder, "b", r#"{"y":2}"#);
        let history = |c| settings.prefs(folder, c).map(|p| p.history.clone());
        assert_eq!(history("a"), Some(vec!["{}".into(), r#"{"x":1}"#.into()]));
        assert_eq!(history("b"), Some(vec![r#"{"y":2}"#.into()]));
    }

    #[test]
    fn an_unoffered_page_size_falls_back_to_the_default() {
        let settings = Settings {
            page_size: 7,
            ..Settings::default()
        };
        assert_eq!(settings.valid_page_size(), 50);
    }
}
