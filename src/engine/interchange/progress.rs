//! [`Progress`]: how far an import has come, as the engine reads it
//! between batches.

/// How far an import has come; the engine reads it between batches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of input parsed so far.
    pub bytes_read: u64,
    /// The input's size, when known (a file; not a pipe).
    pub total_bytes: Option<u64>,
    /// Documents handed out so far.
    pub records: u64,
    /// Bad records reported so far (skipped when `skip_bad` is on).
    pub bad_records: u64,
}

impl Progress {
    /// The share done, from 0.0 to 1.0, when the total size is known.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total_bytes?;
        if total == 0 {
            return Some(1.0);
        }
        Some((self.bytes_read as f64 / total as f64).min(1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_fraction_needs_a_total() {
        let mut progress = Progress {
            bytes_read: 50,
            ..Progress::default()
        };
        assert_eq!(progress.fraction(), None);
        progress.total_bytes = Some(200);
        assert_eq!(progress.fraction(), Some(0.25));
    }
}
