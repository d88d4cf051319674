//! The changes between a position a caller kept (a [`LogPosition`] token)
//! and the collection's state now: what a program that stopped following
//! asks when it comes back.
//!
//! The log after the position says what happened; whether each record it
//! touches was there before (an insert or an update, and the version
//! before) is read from the log before the position, keeping only the
//! records touched after it. A compaction keeps the state, not the
//! history: a position where it happened (a follower that was up to date)
//! is still good, as the new file names it (FORMAT.md, "Positions, and how
//! they outlive a rewrite"); an older one is refused.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::follow::ChangeVisitor;
use super::native::NativeCollection;
use super::open::{TailOp, read_tail_until};
use super::position::LogPosition;
use super::records::Loc;
use crate::engine::storage::native::{self, EntryKind, ScanEvent};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, Result};

impl NativeCollection {
    /// Tells `visit` each change committed after `from` up to this
    /// collection's state, in commit order: an insert (the document), an
    /// update (the document after and before), a delete (the version
    /// deleted).
    pub(crate) fn changes_since(
        &self,
        from: &LogPosition,
        visit: &mut ChangeVisitor<'_>,
    ) -> Result<()> {
        let start = self.offset_of(from)?;
        let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let committed = TxLog::read_committed(&dir)?;
        let (after, _) = read_tail_until(&self.file, &self.path, &committed, start, self.end)?;
        let touched: HashSet<&str> = after
            .iter()
            .filter_map(|op| match op {
                TailOp::Put(id, _) | TailOp::Delete(id) => Some(id.as_str()),
                TailOp::Meta(_) => None,
            })
            .collect();
        let before = self.versions_before(start, &touched, &committed)?;
        self.visit_log_after(
            start,
            &mut |id| match before.get(id) {
                Some(Some(loc)) => self
                    .with_entry(id, *loc, |bytes, offset| {
                        self.decode_entry(Some(id), bytes, offset)
                    })
                    .map(Some),
                _ => Ok(None),
            },
            visit,
        )
    }

    /// Where `from` is in this file: its offset, or, for a position of the
    /// file this one replaced, where the snapshot that continues it ends.
    fn offset_of(&self, from: &LogPosition) -> Result<u64> {
        let here = self.log_position();
        if here.is_some_and(|here| here.file == from.file) {
            if from.offset > self.end || from.offset < self.data_start {
                return Err(self.bad_position(from, "it is past what this handle has read (refresh first), or before the file's first batch"));
            }
            return Ok(from.offset);
        }
        let origin = self.file_origin()?;
        match (origin.continues.contains(from), origin.snapshot_has_writes) {
            (true, false) => Ok(origin.snapshot_end),
            (true, true) => Err(self.bad_position(
                from,
                "the file was rewritten since with writes of its own in the rewrite; read the collection whole",
            )),
            (false, _) => Err(self.bad_position(
                from,
                "the file was rewritten since (a compaction keeps the state, not the history before it) or replaced (a clear, a restore); read the collection whole",
            )),
        }
    }

    fn bad_position(&self, from: &LogPosition, why: &str) -> Error {
        Error::PositionUnavailable {
            position: from.to_string(),
            path: self.path.clone(),
            reason: why.to_owned(),
        }
    }

    /// The last version before `until` of each record in `touched`:
    /// `Some(loc)` if it was there, `None` if its last entry deleted it.
    fn versions_before(
        &self,
        until: u64,
        touched: &HashSet<&str>,
        committed: &HashSet<u64>,
    ) -> Result<HashMap<String, Option<Loc>>> {
        let mut versions: HashMap<String, Option<Loc>> = HashMap::new();
        // A group's entries count once it is known to count.
        let mut group: Vec<(String, Option<Loc>)> = Vec::new();
        native::scan_between(
            &self.file,
            &self.path,
            committed,
            None,
            Some(until),
            |event| {
                match event {
                    ScanEvent::GroupStart => versions.extend(group.drain(..)),
                    ScanEvent::GroupDiscarded => group.clear(),
                    ScanEvent::Entry(entry, place) if touched.contains(entry.id) => {
                        match entry.kind {
                            EntryKind::Put => group.push((
                                entry.id.to_owned(),
                                Some(Loc::stored(place, entry.len as u32)),
                            )),
                            EntryKind::Delete => group.push((entry.id.to_owned(), None)),
                            EntryKind::Meta => {}
                        }
                    }
                    ScanEvent::Entry(..) => {}
                }
                Ok(())
            },
        )?;
        versions.extend(group);
        Ok(versions)
    }
}
