//! What verify reports for one collection: [`CollectionCheck`] and the
//! [`VerifyProblem`]s it lists. Apart from the checking itself
//! (`verify.rs`), so every collection store can return one.

use crate::engine::storage::StorageFormat;

/// Problems listed per collection; beyond this they are only counted, so a
/// file of garbage cannot make the report itself huge.
pub const MAX_LISTED_PROBLEMS: usize = 1000;

/// One thing verify found wrong, located as precisely as the damage allows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VerifyProblem {
    pub collection: String,
    /// Byte offset in the collection file of the entry or batch concerned.
    pub offset: Option<u64>,
    /// The `_id` of the record concerned.
    pub record_id: Option<String>,
    pub message: String,
}

impl std::fmt::Display for VerifyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "collection {:?}", self.collection)?;
        if let Some(offset) = self.offset {
            write!(f, ", offset {offset}")?;
        }
        if let Some(id) = &self.record_id {
            write!(f, ", record {id:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What verify checked in one collection, and what it found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CollectionCheck {
    pub name: String,
    pub format: StorageFormat,
    /// Entries in the file whose checksum held or was reported.
    pub entries: u64,
    /// Live records read, checked and decoded without a problem.
    pub records: u64,
    /// Indexes compared key by key with the records.
    pub indexes: usize,
    /// At most [`MAX_LISTED_PROBLEMS`].
    pub problems: Vec<VerifyProblem>,
    /// Problems found beyond the listed ones.
    pub unlisted_problems: u64,
    /// What was not checked and why (a format without checksums).
    pub note: Option<String>,
}

impl CollectionCheck {
    pub fn new(name: &str, format: StorageFormat) -> CollectionCheck {
        CollectionCheck {
            name: name.to_owned(),
            format,
            entries: 0,
            records: 0,
            indexes: 0,
            problems: Vec::new(),
            unlisted_problems: 0,
            note: None,
        }
    }

    pub fn is_ok(&self) -> bool {
        self.problems.is_empty() && self.unlisted_problems == 0
    }

    /// Every problem found, listed or not.
    pub fn problem_count(&self) -> u64 {
        self.problems.len() as u64 + self.unlisted_problems
    }

    /// Adds a problem; one found twice (by the file scan and by the record
    /// check) is listed once.
    pub fn add(
        &mut self,
        offset: Option<u64>,
        record_id: Option<&str>,
        message: impl Into<String>,
    ) {
        let problem = VerifyProblem {
            collection: self.name.clone(),
            offset,
            record_id: record_id.filter(|id| !id.is_empty()).map(str::to_owned),
            message: message.into(),
        };
        if self.problems.contains(&problem) {
            return;
        }
        if self.problems.len() >= MAX_LISTED_PROBLEMS {
            self.unlisted_problems += 1;
            return;
        }
        self.problems.push(problem);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_beyond_the_limit_are_counted_not_listed() {
        let mut check = CollectionCheck::new("c", StorageFormat::Native);
        for i in 0..MAX_LISTED_PROBLEMS + 5 {
            check.add(Some(i as u64), None, "bad");
        }
        assert_eq!(check.problems.len(), MAX_LISTED_PROBLEMS);
        assert_eq!(check.unlisted_problems, 5);
        assert_eq!(check.problem_count(), MAX_LISTED_PROBLEMS as u64 + 5);
        assert!(!check.is_ok());
    }
}
