//! [`Explain`]: how a find was answered, for people (`fluxdb explain`,
//! Studio's Explain tab) and for tests that check the planner's choice.

use std::time::Duration;

use serde::Serialize;

/// How a find was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explain {
    /// The indexed field used (`None`: every record was read).
    pub index: Option<String>,
    /// Whether the result came in index order (a sort on an indexed field).
    pub index_ordered: bool,
    /// Records read and tested against the filter.
    pub examined: usize,
    pub returned: usize,
    /// Records in the collection.
    pub total: usize,
    /// The filter's constraints an index answered, most selective first.
    pub lookups: Vec<IndexLookup>,
    /// Records the lookups left to read (their intersection), when an
    /// index chose them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<u64>,
    /// How the result was put in order.
    pub sort: SortMethod,
    /// Time to answer, from planning to the last record taken.
    #[serde(
        rename = "time_ms",
        serialize_with = "crate::engine::timing::as_millis"
    )]
    pub time: Duration,
}

/// One constraint of the filter looked up in an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexLookup {
    pub field: String,
    /// What was looked up, as a person writes it: `age ≥ 30 and < 40`.
    pub constraint: String,
    /// Records the index gave for it.
    pub records: u64,
}

/// How the result was put in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SortMethod {
    /// No sort asked for: natural (insertion) order.
    None,
    /// Read in the order of the sort field's index.
    Index,
    /// The best `skip + limit` kept while reading (a bounded heap).
    TopInMemory,
    /// Every match kept, then sorted.
    AllInMemory,
}

impl std::fmt::Display for Explain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.index {
            Some(index) => write!(f, "index: {index}")?,
            None => write!(f, "full scan")?,
        }
        write!(
            f,
            ", examined {} of {}, returned {}",
            self.examined, self.total, self.returned
        )
    }
}
