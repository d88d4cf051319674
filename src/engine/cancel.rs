//! Cancellation: [`CancelToken`], the flag a UI holds to stop a long
//! operation, and [`CancelCheck`], how the engine's loops look at it.
//!
//! One home for both, below everything that reads records: queries,
//! index builds, backups and restores stop on it, and so do import and
//! export (`interchange` re-exports the token from here).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, Result};

/// A shared flag that stops a long import or export: the UI keeps one clone
/// and cancels, the worker's reader or writer sees it at its next record and
/// fails with `Error::Cancelled`.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks every holder of a clone to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Looks at a cancel token every few thousand records: often enough to
/// stop a scan of millions within milliseconds, rarely enough to cost
/// nothing.
pub(crate) struct CancelCheck<'a> {
    token: Option<&'a CancelToken>,
    count: u32,
}

impl<'a> CancelCheck<'a> {
    const EVERY: u32 = 4096;

    pub fn new(token: Option<&'a CancelToken>) -> CancelCheck<'a> {
        // The first tick looks, so a token cancelled before the start stops
        // the work before any record is read.
        CancelCheck {
            token,
            count: Self::EVERY - 1,
        }
    }

    /// Counts one record; `Err(Cancelled)` if the token was cancelled.
    pub fn tick(&mut self) -> Result<()> {
        self.count = self.count.wrapping_add(1);
        if self.count.is_multiple_of(Self::EVERY)
            && self.token.is_some_and(CancelToken::is_cancelled)
        {
            return Err(Error::Cancelled);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_is_seen_by_every_clone() {
        let token = CancelToken::new();
        let seen_by_worker = token.clone();
        assert!(!seen_by_worker.is_cancelled());
        token.cancel();
        assert!(seen_by_worker.is_cancelled());
    }
}
