//! The records of one Python FluxDB 0.1 collection in memory, with nested
//! savepoints.
//!
//! Python folders are small (the library rewrites the whole file on every
//! update), so the records live in memory as they are stored: id and text
//! fields in file order. A record's slot is its position, counting deleted
//! ones (what indexes hold). Empty slots are closed only when no savepoint
//! is open (the undo log names slots) and once there are many of them; the
//! old-to-new slot map is then handed out so indexes can follow.

use std::collections::HashMap;

use super::record::{LegacyRecord, encode_record};
use crate::error::{Error, Result};

/// How the records differ from the file since it was last written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Changes {
    /// Some record was inserted, replaced or deleted.
    pub dirty: bool,
    /// An update or delete was staged. The Python library answers those by
    /// rewriting every record from the dict it read (`_id` first), where an
    /// insert only appends; the next write does the same.
    pub rewrite_all: bool,
    /// Roughly how many bytes the staged changes add to the file.
    pub pending_bytes: usize,
}

/// What a rollback must restore, newest last.
#[derive(Debug)]
enum Undo {
    /// The last slot is a new record.
    Inserted,
    Replaced {
        slot: usize,
        old: LegacyRecord,
    },
    Deleted {
        slot: usize,
        old: LegacyRecord,
        /// The slot was the one the id looked up (not a later duplicate).
        was_first: bool,
    },
}

#[derive(Debug)]
struct Mark {
    undo: usize,
    changes: Changes,
}

/// Bytes a delete is counted as, so a loop of deletes fills the write buffer too.
const DELETE_COST: usize = 64;

#[derive(Debug, Default)]
pub(super) struct RecordTable {
    slots: Vec<Option<LegacyRecord>>,
    live: usize,
    /// The slot of the first live record with each id (what `get` returns,
    /// like the Python library's update, which changes the first match).
    first_slot: HashMap<String, usize>,
    /// The file held one id twice (Python allows it); deletes then look further.
    has_duplicates: bool,
    undo: Vec<Undo>,
    savepoints: Vec<Mark>,
    changes: Changes,
    /// Old slot to new slot, after empty slots were closed and until taken.
    renumbered: Option<Vec<Option<u32>>>,
}

impl RecordTable {
    /// The table of a file's records, in file order.
    pub fn from_records(records: Vec<LegacyRecord>) -> RecordTable {
        let mut table = RecordTable {
            slots: records.into_iter().map(Some).collect(),
            ..RecordTable::default()
        };
        table.reindex();
        table
    }

    /// Rebuilds the id map and closes empty slots (no savepoint may be open).
    fn reindex(&mut self) {
        let mut next = 0u32;
        let map: Vec<Option<u32>> = self
            .slots
            .iter()
            .map(|slot| {
                slot.as_ref().map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        if map.len() != next as usize {
            self.renumbered = Some(map);
        }
        self.slots.retain(Option::is_some);
        self.live = self.slots.len();
        self.first_slot = HashMap::with_capacity(self.slots.len());
        self.has_duplicates = false;
        for (slot, record) in self.slots.iter().enumerate() {
            if let Some(record) = record {
                if self.first_slot.contains_key(&record.id) {
                    self.has_duplicates = true;
                } else {
                    self.first_slot.insert(record.id.clone(), slot);
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn changes(&self) -> Changes {
        self.changes
    }

    pub fn contains(&self, id: &str) -> bool {
        self.first_slot.contains_key(id)
    }

    pub fn get(&self, id: &str) -> Option<&LegacyRecord> {
        self.first_slot
            .get(id)
            .and_then(|&slot| self.slots.get(slot))
            .and_then(Option::as_ref)
    }

    /// Live records in file order.
    pub fn records(&self) -> impl Iterator<Item = &LegacyRecord> + '_ {
        self.slots.iter().flatten()
    }

    /// Live records in file order with their slots.
    pub fn slotted(&self) -> impl Iterator<Item = (u32, &LegacyRecord)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(slot, record)| Some((slot as u32, record.as_ref()?)))
    }

    /// The live record in `slot`.
    pub fn slot(&self, slot: u32) -> Option<&LegacyRecord> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// The slots of the live records with this id (more than one only when
    /// the file held the id twice).
    pub fn slots_of(&self, id: &str) -> Vec<u32> {
        let Some(&first) = self.first_slot.get(id) else {
            return Vec::new();
        };
        let mut slots = vec![first as u32];
        if self.has_duplicates {
            slots.extend(
                (first + 1..self.slots.len())
                    .filter(|&s| self.slots[s].as_ref().is_some_and(|r| r.id == id))
                    .map(|s| s as u32),
            );
        }
        slots
    }

    /// The map from old to new slots if empty slots were closed since the
    /// last call.
    pub fn take_renumbering(&mut self) -> Option<Vec<Option<u32>>> {
        self.renumbered.take()
    }

    /// The records must be written again though none changed (the index
    /// definitions did).
    pub fn mark_dirty(&mut self) {
        self.changes.dirty = true;
    }

    /// Adds a record at the end and returns its slot; `None` (nothing
    /// staged) if its id exists.
    pub fn insert(&mut self, record: LegacyRecord, size: usize) -> Option<u32> {
        if self.first_slot.contains_key(&record.id) {
            return None;
        }
        let slot = self.slots.len();
        self.first_slot.insert(record.id.clone(), slot);
        self.slots.push(Some(record));
        self.live += 1;
        self.record_undo(Undo::Inserted);
        self.changes.dirty = true;
        self.changes.pending_bytes += size;
        Some(slot as u32)
    }

    /// Puts a new version of the record with this id in its place.
    pub fn replace(&mut self, record: LegacyRecord, size: usize) -> Result<()> {
        let Some(&slot) = self.first_slot.get(&record.id) else {
            return Err(Error::InvalidDocument(format!(
                "no record with _id {:?} to replace",
                record.id
            )));
        };
        let Some(old) = self.slots[slot].replace(record) else {
            return Err(Error::InvalidDocument(format!(
                "record slot {slot} is empty; the id map is stale"
            )));
        };
        self.record_undo(Undo::Replaced { slot, old });
        self.changes.dirty = true;
        self.changes.rewrite_all = true;
        self.changes.pending_bytes += size;
        Ok(())
    }

    /// Removes every record with this id, as the Python library's delete
    /// does; `false` if there is none.
    pub fn delete(&mut self, id: &str) -> bool {
        let doomed = self.slots_of(id);
        let Some(first) = self.first_slot.remove(id) else {
            return false;
        };
        for slot in doomed.into_iter().map(|s| s as usize) {
            if let Some(old) = self.slots[slot].take() {
                self.live -= 1;
                self.record_undo(Undo::Deleted {
                    slot,
                    old,
                    was_first: slot == first,
                });
            }
        }
        self.changes.dirty = true;
        self.changes.rewrite_all = true;
        self.changes.pending_bytes += DELETE_COST;
        true
    }

    fn record_undo(&mut self, undo: Undo) {
        if !self.savepoints.is_empty() {
            self.undo.push(undo);
        }
    }

    pub fn savepoint(&mut self) {
        self.savepoints.push(Mark {
            undo: self.undo.len(),
            changes: self.changes,
        });
    }

    pub fn release_savepoint(&mut self) {
        self.savepoints.pop();
        if self.savepoints.is_empty() {
            self.undo.clear();
            self.close_empty_slots();
        }
    }

    /// Undoes everything since the newest savepoint, newest first.
    pub fn rollback_savepoint(&mut self) {
        let Some(mark) = self.savepoints.pop() else {
            return;
        };
        for undo in self.undo.split_off(mark.undo).into_iter().rev() {
            match undo {
                Undo::Inserted => {
                    let slot = self.slots.len().saturating_sub(1);
                    if let Some(Some(record)) = self.slots.pop() {
                        self.live -= 1;
                        if self.first_slot.get(&record.id) == Some(&slot) {
                            self.first_slot.remove(&record.id);
                        }
                    }
                }
                Undo::Replaced { slot, old } => self.slots[slot] = Some(old),
                Undo::Deleted {
                    slot,
                    old,
                    was_first,
                } => {
                    if was_first {
                        self.first_slot.insert(old.id.clone(), slot);
                    }
                    self.slots[slot] = Some(old);
                    self.live += 1;
                }
            }
        }
        self.changes = mark.changes;
        if self.savepoints.is_empty() {
            self.undo.clear();
            self.close_empty_slots();
        }
    }

    /// Closes empty slots once they are a quarter of all (so a run of
    /// deletes pays for renumbering once, not per delete).
    fn close_empty_slots(&mut self) {
        let empty = self.slots.len() - self.live;
        if self.savepoints.is_empty() && empty > 64 && empty * 4 > self.slots.len() {
            self.reindex();
        }
    }

    /// The collection file for the records as they are now: what the Python
    /// library's writes would have left. Each record is encoded from its
    /// stored fields, or from the dict Python holds (`_id` first, repeated
    /// keys merged) once an update or delete is staged, as Python rewrites then.
    pub fn encode_file(&self) -> Result<Vec<u8>> {
        let mut file = Vec::new();
        for record in self.records() {
            if self.changes.rewrite_all {
                file.extend(encode_record(&record.id, &record.python_fields())?);
            } else {
                file.extend(encode_record(&record.id, &record.fields)?);
            }
        }
        Ok(file)
    }

    /// The records are on disk as [`encode_file`](Self::encode_file) gave them.
    pub fn mark_written(&mut self) {
        if self.changes.rewrite_all {
            for record in self.slots.iter_mut().flatten() {
                record.fields = record.python_fields();
            }
        }
        self.changes = Changes::default();
        self.close_empty_slots();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, value: &str) -> LegacyRecord {
        LegacyRecord {
            id: id.to_string(),
            fields: vec![
                ("v".to_string(), value.to_string()),
                ("_id".to_string(), id.to_string()),
            ],
        }
    }

    fn values(table: &RecordTable) -> Vec<String> {
        table
            .records()
            .map(|r| format!("{}={}", r.id, r.get("v").unwrap_or("?")))
            .collect()
    }

    #[test]
    fn nested_savepoints_roll_back_only_their_own_changes() {
        let mut table = RecordTable::from_records(vec![record("a", "1"), record("b", "2")]);
        table.savepoint();
        assert_eq!(table.insert(record("c", "3"), 10), Some(2));
        table.savepoint();
        assert!(table.delete("a"));
        table.replace(record("b", "20"), 10).unwrap();
        assert_eq!(table.insert(record("d", "4"), 10), Some(3));
        assert_eq!(values(&table), ["b=20", "c=3", "d=4"]);
        table.rollback_savepoint();
        assert_eq!(values(&table), ["a=1", "b=2", "c=3"]);
        assert_eq!(table.len(), 3);
        assert!(table.contains("a") && !table.contains("d"));
        table.rollback_savepoint();
        assert_eq!(values(&table), ["a=1", "b=2"]);
        assert_eq!(table.changes(), Changes::default());
    }

    #[test]
    fn a_released_savepoint_keeps_its_changes_and_slots_stay_put() {
        let mut table = RecordTable::from_records(vec![record("a", "1"), record("b", "2")]);
        table.savepoint();
        table.delete("a");
        table.release_savepoint();
        assert_eq!(values(&table), ["b=2"]);
        assert_eq!(table.slots_of("b"), [1]);
        assert_eq!(table.slot(1).map(|r| r.id.as_str()), Some("b"));
        assert!(table.slot(0).is_none());
        assert!(table.take_renumbering().is_none());
        assert!(table.changes().dirty && table.changes().rewrite_all);
    }

    #[test]
    fn many_empty_slots_are_closed_and_the_renumbering_handed_out() {
        let records: Vec<LegacyRecord> = (0..200).map(|i| record(&format!("r{i}"), "v")).collect();
        let mut table = RecordTable::from_records(records);
        for i in (0..200).step_by(2) {
            table.delete(&format!("r{i}"));
        }
        table.mark_written();
        let map = table.take_renumbering().expect("slots were closed");
        assert_eq!(map.len(), 200);
        assert_eq!(
            (map[0], map[1], map[3], map[199]),
            (None, Some(0), Some(1), Some(99))
        );
        assert_eq!(table.slots_of("r199"), [99]);
        assert_eq!(table.len(), 100);
    }

    #[test]
    fn insert_refuses_an_existing_id() {
        let mut table = RecordTable::from_records(vec![record("a", "1")]);
        assert_eq!(table.insert(record("a", "2"), 10), None);
        assert_eq!(values(&table), ["a=1"]);
        assert!(!table.changes().dirty);
    }

    #[test]
    fn duplicate_ids_from_a_file_are_all_listed_and_all_deleted() {
        let mut table =
            RecordTable::from_records(vec![record("a", "1"), record("b", "2"), record("a", "3")]);
        assert_eq!(table.len(), 3);
        assert_eq!(table.get("a").and_then(|r| r.get("v")), Some("1"));
        table.savepoint();
        assert!(table.delete("a"));
        assert_eq!(values(&table), ["b=2"]);
        table.rollback_savepoint();
        assert_eq!(values(&table), ["a=1", "b=2", "a=3"]);
        assert!(table.delete("a"));
        assert_eq!(values(&table), ["b=2"]);
    }

    #[test]
    fn only_inserts_keep_stored_field_order_and_updates_put_id_first_everywhere() {
        let mut table = RecordTable::from_records(vec![record("a", "1")]);
        assert_eq!(table.insert(record("b", "2"), 10), Some(1));
        let appended = table.encode_file().unwrap();
        let expected: Vec<u8> = [record("a", "1"), record("b", "2")]
            .iter()
            .flat_map(|r| encode_record(&r.id, &r.fields).unwrap())
            .collect();
        assert_eq!(appended, expected);
        table.mark_written();
        table.delete("b");
        let rewritten = table.encode_file().unwrap();
        let python = encode_record(
            "a",
            &[
                ("_id".to_string(), "a".to_string()),
                ("v".to_string(), "1".to_string()),
            ],
        )
        .unwrap();
        assert_eq!(rewritten, python);
        table.mark_written();
        assert_eq!(table.records().next().unwrap().fields[0].0, "_id");
        assert_eq!(table.changes(), Changes::default());
    }
}
