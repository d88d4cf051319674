//! A read-only collection (or a shared writer's, under the lock) following
//! its file while another process writes it: only what was appended since it last looked is read (the same replay
//! as opening from a checkpoint), its indexes are kept exact on the way,
//! and a file replaced whole (a compaction, a codec change, a restore) is
//! read to its end first and reported, so that the caller opens the new
//! one and goes on from where the old one ended.
//!
//! A group of a transaction over several collections counts once the
//! transaction's commit record is in `transactions.log`, which its writer
//! appends after the groups. So a group at the very end of the file that
//! does not count yet may still be committed: a follower stops before it
//! and looks again next time. One followed by a group that counts was
//! abandoned (its writer died before committing, and a later writer went
//! on), and is skipped for good.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use super::meta::parse_meta_data;
use super::native::NativeCollection;
use super::open::{TailOp, read_tail, read_tail_until};
use super::position::LogPosition;
use crate::engine::Document;
use crate::engine::storage::durable;
use crate::engine::storage::native::{self, BatchSeal};
use crate::engine::storage::txlog::TxLog;
use crate::error::{Error, IoContext, Result};

/// One committed change, as a follower meets it in the log, or what
/// happened to the collection as a whole.
#[derive(Debug, Clone, PartialEq)]
pub enum LogChange {
    /// A record that was not there, and its document.
    Insert { id: String, doc: Document },
    /// A new version of a record: the document after, and before.
    Update {
        id: String,
        doc: Document,
        before: Option<Document>,
    },
    /// A record removed, and its last version.
    Delete {
        id: String,
        before: Option<Document>,
    },
    /// The collection appeared; its records follow as inserts.
    Created,
    /// The collection is gone.
    Dropped,
    /// Every record was removed at once (a clear, or a drop and a create
    /// between two looks); the changes after it start from nothing.
    Cleared,
    /// The file was replaced by one that does not go on from it (a restore
    /// or an import of a backup): the changes after it are what differs
    /// between the records before and after.
    Replaced,
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
    /// The file is another one now, or gone: open it again. What the old
    /// file gained before it was replaced was applied (and told).
    Replaced,
}

/// How a collection file began, for a follower that found the one it read
/// replaced by it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileOrigin {
    /// The position in the old file its first group is the state at (a
    /// compaction or a change of compression wrote it).
    pub continues: Vec<LogPosition>,
    /// With `continues`: the first group also holds writes that never
    /// reached the old file.
    pub snapshot_has_writes: bool,
    /// Where its first group ends, or with `continues` the snapshot after.
    pub snapshot_end: u64,
    /// Whether the first group holds records (a new or cleared file's does
    /// not).
    pub first_group_records: bool,
    /// Written from a backup (an import, a restore).
    pub restored: bool,
}

impl NativeCollection {
    /// Brings a read-only collection up to the last committed state of its
    /// file, reading only what was appended since it last looked; `visit`,
    /// if given, is told each change applied, in commit order (each new
    /// document is read for it).
    pub fn follow_each(&mut self, mut visit: Option<&mut ChangeVisitor<'_>>) -> Result<Followed> {
        if !self.read_only && !self.shared {
            // An exclusive writer holds the lock: nobody else appends.
            return Ok(Followed::Unchanged);
        }
        if self.has_pending() {
            // Staged writes sit on the state they were staged against.
            return Err(Error::Transaction(
                "a collection with staged writes cannot follow its file".to_owned(),
            ));
        }
        let Some(file) = self.same_file()? else {
            // Nothing is appended to the old file any more: what it
            // gained before it was replaced is applied first.
            self.drain(visit)?;
            return Ok(Followed::Replaced);
        };
        if file.metadata().map_err(|e| Error::io(&self.path, e))?.len() == self.end {
            // Nothing appended: the usual answer of a look, from one stat.
            return Ok(Followed::Unchanged);
        }
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
            // A reader stops before a transaction whose commit record may
            // still come; a shared writer holds the lock, so such groups
            // were abandoned (appends go after them, as after an open).
            let end = match self.read_only {
                true => outcome.trailing_uncommitted.unwrap_or(outcome.end),
                false => outcome.end,
            };
            if !self.read_only && outcome.dropped.is_some() {
                // A writer died mid-append: cut its torn tail, as opening does.
                file.set_len(outcome.end).at(&self.path)?;
                durable::sync_all(&file).at(&self.path)?;
            }
            if end <= self.end {
                return Ok(Followed::Unchanged);
            }
            self.file = file;
            self.end = end;
            if outcome.trailing_uncommitted.is_none() || !self.read_only {
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

    /// Whether the file at the path is another one, or longer than what
    /// this collection read: one stat.
    pub fn changed_on_disk(&self) -> Result<bool> {
        let now = match std::fs::metadata(&self.path) {
            Ok(now) => now,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(true),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ours = self.file.metadata().at(&self.path)?;
            if (now.dev(), now.ino()) != (ours.dev(), ours.ino()) {
                return Ok(true);
            }
        }
        Ok(now.len() != self.end)
    }

    /// Reads the file this collection has open (the old one, when its path
    /// names a new file now) to its end, applying every group that counts.
    fn drain(&mut self, visit: Option<&mut ChangeVisitor<'_>>) -> Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let committed = TxLog::read_committed(&dir)?;
        let (changes, outcome) = read_tail(&self.file, &self.path, &committed, self.end)?;
        if outcome.end > self.end {
            self.end = outcome.end;
            self.facts.last = outcome.last_batch.or(self.facts.last);
            self.blocks.add(outcome.blocks);
            self.apply_each(changes, visit)?;
        }
        Ok(())
    }

    /// Where this collection's state is in its log.
    pub fn log_position(&self) -> Option<LogPosition> {
        Some(LogPosition {
            file: self.facts.first?,
            offset: self.end,
        })
    }

    /// How this collection's file began (its first group).
    pub(crate) fn file_origin(&self) -> Result<FileOrigin> {
        let first = native::first_group(&self.file, &self.path)?;
        let meta = match &first.meta {
            Some(data) => Some(parse_meta_data(data, self.data_start, &self.path)?),
            None => None,
        };
        let first_end = first.end.unwrap_or(self.end).min(self.end);
        let snapshot_end = match meta.as_ref().and_then(|meta| meta.snapshot_records) {
            Some(records) if records > 0 => native::group_end(&self.file, &self.path, first_end)?
                .unwrap_or(self.end)
                .min(self.end),
            _ => first_end,
        };
        Ok(FileOrigin {
            snapshot_has_writes: meta.as_ref().is_some_and(|meta| meta.snapshot_has_writes),
            restored: meta.as_ref().is_some_and(|meta| meta.restored),
            continues: meta.map(|meta| meta.continues).unwrap_or_default(),
            snapshot_end,
            first_group_records: first.more_entries,
        })
    }

    /// Tells `visit` the changes of the log from `from` to where this
    /// collection's state is, in commit order; `existed` says whether a
    /// record was there at `from`.
    pub(crate) fn visit_log_after(
        &self,
        from: u64,
        existed: &mut dyn FnMut(&str) -> Result<Option<Document>>,
        visit: &mut ChangeVisitor<'_>,
    ) -> Result<()> {
        if from >= self.end {
            return Ok(());
        }
        let dir = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let committed = TxLog::read_committed(&dir)?;
        let (ops, _) = read_tail_until(&self.file, &self.path, &committed, from, self.end)?;
        // What each record touched so far became: its latest version.
        let mut latest: HashMap<String, Option<Document>> = HashMap::new();
        for op in ops {
            match op {
                TailOp::Put(id, loc) => {
                    let doc = self.with_entry(&id, loc, |bytes, offset| {
                        self.decode_entry(Some(&id), bytes, offset)
                    })?;
                    let before = match latest.get(&id) {
                        Some(before) => before.clone(),
                        None => existed(&id)?,
                    };
                    latest.insert(id.clone(), Some(doc.clone()));
                    visit(match before {
                        Some(before) => LogChange::Update {
                            id,
                            doc,
                            before: Some(before),
                        },
                        None => LogChange::Insert { id, doc },
                    })?;
                }
                TailOp::Delete(id) => {
                    let before = match latest.get(&id) {
                        Some(before) => before.clone(),
                        None => existed(&id)?,
                    };
                    if before.is_some() {
                        latest.insert(id.clone(), None);
                        visit(LogChange::Delete { id, before })?;
                    }
                }
                TailOp::Meta(_) => {}
            }
        }
        Ok(())
    }

    /// The file at the collection's path, freshly opened, if it is still
    /// the one this collection read (the same inode where there are inodes,
    /// the same header, first batch and batch where it stopped); `None` if
    /// it was replaced or removed.
    fn same_file(&self) -> Result<Option<File>> {
        let opened = match self.read_only {
            true => File::open(&self.path),
            false => std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&self.path),
        };
        let file = match opened {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&self.path, e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let (now, ours) = (file.metadata(), self.file.metadata());
            if let (Ok(now), Ok(ours)) = (now, ours)
                && (now.dev(), now.ino()) != (ours.dev(), ours.ino())
            {
                return Ok(None);
            }
        }
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
                    let before = match (&visit, &old) {
                        (None, _) => None,
                        (Some(_), Some((_, old))) => Some(old.clone()),
                        (Some(_), None) => self.get(&id)?,
                    };
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
                            Some(_) => LogChange::Update { id, doc, before },
                            None => LogChange::Insert { id, doc },
                        })?;
                    }
                }
                TailOp::Delete(id) => {
                    let old = self.indexed_version(&id)?;
                    let before = match (&visit, &old) {
                        (None, _) => None,
                        (Some(_), Some((_, old))) => Some(old.clone()),
                        (Some(_), None) => self.get(&id)?,
                    };
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
                        visit(LogChange::Delete { id, before })?;
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
