//! [`Explain`]: how a query was answered (the index used, the records
//! examined).

/// How a query was answered: which index, how many records were read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
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
