//! A read-only collection following its file while another process writes
//! it: only what was appended since it last looked is read (the same replay
//! as opening from a checkpoint), its indexes are kept exact on the way,
//! and a file replaced whole (a compaction, a codec change, a restore) is
//! reported so that the caller opens it again.
//!
//! A group of a transaction over several collections counts once the
//! transaction's commit record is in `transactions.log`, which its writer
//! appends after the groups. So a group at the very end of the file that
//! does not count yet may still be committed: a follower stops before it
//! and looks again next time. One followed by a group that counts was
//! abandoned (its writer died before committing, and a later writer went
//! on), and is skipped for good.

use std::fs::File;
use std::path::Path;

use super::native::NativeCollection;
use super::open::{TailOp, read_tail};
use crate::engine::Document;
use crate::engine::storage::native::{self, BatchSeal};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, Result};

/// One committed change, as a follower meets it in the log.
#[derive(Debug, Clone, PartialEq)]
pub enum LogChange {
    /// A record that was not there, and its document.
    Insert {
        id: String,
        doc: Document,
    },
    /// A new version of a record, the document after.
    Update {
        id: String,
        doc: Document,
    },
    Delete {
        id: String,
    },
}

/// Called with each change a follow applies, in commit order.
pub type ChangeVisitor<'a> = dyn FnMut(LogChange) -> Result<()> + 'a;

/// What [`NativeCollection::follow_each`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// Nothing committed since the last look.
    Unchanged,
    /// This many puts and deletes were applied.
    Advanced(usize),
    /// The file is another one now, or gone: open it again.
    Replaced,
}

impl NativeCollection {
    /// Brings a read-only collection up to the last committed state of its
    /// file, reading only what was appended since it last looked; `visit`,
    /// if given, is told each change applied, in commit order (each new
    /// document is read for it).
    pub fn follow_each(&mut self, mut visit: Option<&mut ChangeVisitor<'_>>) -> Result<Followed> {
        if !self.read_only {
            // A writer holds the lock: nobody else appends.
            return Ok(Followed::Unchanged);
        }
        let Some(file) = self.same_file()? else {
            return Ok(Followed::Replaced);
        };
        let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let mut committed = TxLog::read_committed(&dir)?;
        loop {
            let (changes, outcome) = read_tail(&file, &self.path, &committed, self.end)?;
            if outcome.uncommitted_bytes > 0 {
                // Read again after the groups were: the commit of one that
                // another group follows was written before that group.
                let now = TxLog::read_committed(&dir)?;
                if now != committed {
                    committed = now;
                    continue;
                }
            }
            let end = outcome.trailing_uncommitted.unwrap_or(outcome.end);
            if end <= self.end {
                return Ok(Followed::Unchanged);
            }
            self.file = file;
            self.end = end;
            if outcome.trailing_uncommitted.is_none() {
                // The batch where this look stopped, for the next one's
                // check that the file is still the same (a pending
                // transaction's group is not where it stopped: the last
                // counted batch before it stays the check, and is still
                // in the file).
                self.facts.last = outcome.last_batch.or(self.facts.last);
            }
            self.blocks.add(outcome.blocks);
            let applied = changes.len();
            self.apply_each(changes, visit.as_deref_mut())?;
            return Ok(Followed::Advanced(applied));
        }
    }

    /// The file at the collection's path, freshly opened, if it is still
    /// the one this collection read (same header, same first batch, the
    /// same batch where it stopped); `None` if it was replaced or removed.
    fn same_file(&self) -> Result<Option<File>> {
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        let Ok(start) = native::read_start(&file, &self.path) else {
            return Ok(None);
        };
        if start.header_bytes != self.facts.header || start.file_len < self.end {
            return Ok(None);
        }
        for seal in [self.facts.first, self.facts.last].into_iter().flatten() {
            if BatchSeal::read(&file, seal.offset, start.file_len)
                .ok()
                .flatten()
                != Some(seal)
            {
                return Ok(None);
            }
        }
        Ok(Some(file))
    }

    /// Applies `changes` to the record table, and to the indexes if they
    /// are built (a new index definition drops them, to be built again).
    /// Opening from a checkpoint replays its tail with it too.
    pub(super) fn apply(&mut self, changes: Vec<TailOp>) -> Result<()> {
        self.apply_each(changes, None)
    }

    /// [`apply`](Self::apply), telling `visit` what each change was.
    fn apply_each(
        &mut self,
        changes: Vec<TailOp>,
        mut visit: Option<&mut ChangeVisitor<'_>>,
    ) -> Result<()> {
        self.base_memo.take();
        for change in changes {
            match change {
                TailOp::Put(id, loc) => {
                    let old = self.indexed_version(&id)?;
                    let (slot, replaced) = self.set(&id, loc)?;
                    let wanted = visit.is_some() || self.indexes.get().is_some();
                    let new = match wanted {
                        true => self.read_slot(slot)?,
                        false => None,
                    };
                    if let Some(indexes) = self.indexes.get_mut() {
                        if let Some((old_slot, old)) = old {
                            indexes.remove(old_slot, &old);
                        }
                        if let Some(new) = &new {
                            indexes.add(slot, new);
                        }
                    }
                    if let (Some(visit), Some(doc)) = (visit.as_deref_mut(), new) {
                        visit(match replaced {
                            Some(_) => LogChange::Update { id, doc },
                            None => LogChange::Insert { id, doc },
                        })?;
                    }
                }
                TailOp::Delete(id) => {
                    let old = self.indexed_version(&id)?;
                    let mut removed_any = false;
                    if let Some(slot) = self.find_slot(&id)?
                        && let Some(removed) = self.records.remove_slot(slot)?
                    {
                        removed_any = true;
                        self.live_bytes =
                            self.live_bytes.saturating_sub(u64::from(removed.loc.len()));
                    }
                    if let (Some((slot, old)), Some(indexes)) = (old, self.indexes.get_mut()) {
                        indexes.remove(slot, &old);
                    }
                    if let (Some(visit), true) = (visit.as_deref_mut(), removed_any) {
                        visit(LogChange::Delete { id })?;
                    }
                }
                TailOp::Meta(fields) => {
                    if fields != self.indexed_fields {
                        self.indexed_fields = fields;
                        self.indexes = std::cell::OnceCell::new();
                    }
                }
            }
        }
        Ok(())
    }
}
