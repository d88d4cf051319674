//! [`StorageFormat`]: which of the two on-disk formats a collection is
//! stored in. Named here, below everything that stores or reports a
//! collection, so the native collection, the Python 0.1 collection and the
//! database all take it from the same place.

/// How a collection is stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageFormat {
    /// FluxDB's own format: typed values, checksums, append-only.
    Native,
    /// The Python FluxDB 0.1 format: text values, no header.
    #[serde(rename = "python-0.1")]
    Legacy,
}

impl std::fmt::Display for StorageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StorageFormat::Native => "native",
            StorageFormat::Legacy => "python-0.1",
        })
    }
}
