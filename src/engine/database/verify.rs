//! `verify`: every collection's entries, records and indexes checked
//! against its file (see `collection::verify`), plus the readable copies of
//! the index definitions against the collection files.

use super::fluxdb::FluxDB;
use crate::engine::StorageFormat;
use crate::engine::collection::{CollectionCheck, VerifyProblem};
use crate::error::Result;

/// What `verify` checked and found, per collection.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyReport {
    pub collections: Vec<CollectionCheck>,
}

impl VerifyReport {
    pub fn is_ok(&self) -> bool {
        self.collections.iter().all(CollectionCheck::is_ok)
    }

    /// Every listed problem, collection by collection.
    pub fn problems(&self) -> impl Iterator<Item = &VerifyProblem> {
        self.collections.iter().flat_map(|c| &c.problems)
    }

    /// Every problem found, listed or only counted.
    pub fn problem_count(&self) -> u64 {
        self.collections
            .iter()
            .map(CollectionCheck::problem_count)
            .sum()
    }
}

impl FluxDB {
    /// Checks one collection, or all: every entry's checksum (old versions
    /// and deletions too), that every record decodes where the collection
    /// says it is, that every index holds exactly the records' keys, and
    /// that `indexes/<name>.json` agrees with the collection file. Problems
    /// are reported with the collection, byte offset and record `_id`;
    /// `Err` only for a missing collection or a file that cannot be read.
    pub fn verify(&self, collection: Option<&str>) -> Result<VerifyReport> {
        let names = match collection {
            Some(name) => {
                self.store(name)?;
                vec![name.to_owned()]
            }
            None => self.list_collections(),
        };
        let mut collections = Vec::with_capacity(names.len());
        for name in names {
            let store = self.store(&name)?;
            let mut check = store.verify(&name)?;
            if store.format() == StorageFormat::Native {
                self.verify_index_copy(&name, store.indexed_fields(), &mut check);
            }
            collections.push(check);
        }
        Ok(VerifyReport { collections })
    }

    /// `indexes/<name>.json` is a readable copy of the index definitions in
    /// the collection file; a copy that disagrees misleads whoever reads it.
    fn verify_index_copy(&self, name: &str, fields: &[String], check: &mut CollectionCheck) {
        let path = self.dir.join("indexes").join(format!("{name}.json"));
        let Ok(bytes) = std::fs::read(&path) else {
            // No copy (a folder from elsewhere): nothing to disagree.
            return;
        };
        #[derive(serde::Deserialize)]
        struct Copy {
            indexed_fields: Vec<String>,
        }
        match serde_json::from_slice::<Copy>(&bytes) {
            Ok(copy) if copy.indexed_fields == fields => {}
            Ok(copy) => check.add(
                None,
                None,
                format!(
                    "{} lists the indexes {:?}, the collection file {:?} (the file is right; the copy is rewritten on the next index change)",
                    path.display(),
                    copy.indexed_fields,
                    fields
                ),
            ),
            Err(e) => check.add(None, None, format!("{} is not valid: {e}", path.display())),
        }
    }
}
