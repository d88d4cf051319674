//! Building the in-memory record table from a file's entries in one pass.

use hashbrown::HashTable;

use super::id::{IdKey, Loc, StoredId};
use super::recent::{RecentTable, Slot, hash_key};

/// Which ops of a run are resolved: a bit mask for the usual short runs.
enum DoneSet {
    Small(u64),
    Large(Vec<bool>),
}

impl DoneSet {
    fn new(n: usize) -> DoneSet {
        if n <= 64 {
            DoneSet::Small(0)
        } else {
            DoneSet::Large(vec![false; n])
        }
    }

    fn contains(&self, i: usize) -> bool {
        match self {
            DoneSet::Small(bits) => bits & (1 << i) != 0,
            DoneSet::Large(done) => done[i],
        }
    }

    fn insert(&mut self, i: usize) {
        match self {
            DoneSet::Small(bits) => *bits |= 1 << i,
            DoneSet::Large(done) => done[i] = true,
        }
    }
}

/// How many low hash bits pick a bucket in a table sized for `n` (as
/// hashbrown sizes it: 8/7 of the capacity, rounded up to a power of two).
fn bucket_bits(n: usize) -> u32 {
    (n.max(8) * 8 / 7).next_power_of_two().trailing_zeros()
}

/// A set of op positions, with ranks: a live record's slot is how many live
/// records come before it.
struct LiveSet {
    words: Vec<u64>,
}

struct Ranks {
    /// Live positions before each word.
    before: Vec<u32>,
    total: u32,
}

impl LiveSet {
    fn new(n: usize) -> LiveSet {
        LiveSet {
            words: vec![0; n.div_ceil(64)],
        }
    }

    fn insert(&mut self, position: u32) {
        self.words[position as usize / 64] |= 1 << (position % 64);
    }

    fn contains(&self, position: u32) -> bool {
        self.words[position as usize / 64] & (1 << (position % 64)) != 0
    }

    fn ranks(&self) -> Ranks {
        let mut total = 0;
        let before = self
            .words
            .iter()
            .map(|w| {
                let at = total;
                total += w.count_ones();
                at
            })
            .collect();
        Ranks { before, total }
    }
}

impl Ranks {
    fn rank(&self, set: &LiveSet, position: u32) -> u32 {
        let word = position as usize / 64;
        let below = set.words[word] & ((1u64 << (position % 64)) - 1);
        self.before[word] + below.count_ones()
    }
}

/// Builds a [`RecentTable`] from a file's entries in file order.
///
/// Inserting a million ids one by one into a hash table misses the cache on
/// every insert; instead the loader collects the entries, resolves each id's
/// final state with one sort, and fills the table in bucket order, so every
/// pass over memory is sequential.
#[derive(Debug, Default)]
pub(crate) struct RecordLoader {
    ops: Vec<LoadOp>,
    group_start: usize,
}

#[derive(Debug)]
struct LoadOp {
    id: StoredId,
    /// `None` for a delete.
    loc: Option<Loc>,
}

impl RecordLoader {
    pub fn with_capacity(entries: usize) -> RecordLoader {
        RecordLoader {
            ops: Vec::with_capacity(entries),
            group_start: 0,
        }
    }

    pub fn start_group(&mut self) {
        self.group_start = self.ops.len();
    }

    /// Forgets the entries since [`start_group`](Self::start_group).
    pub fn discard_group(&mut self) {
        self.ops.truncate(self.group_start);
    }

    pub fn put(&mut self, id: &str, loc: Loc) {
        self.ops.push(LoadOp {
            id: IdKey::new(id).to_stored(),
            loc: Some(loc),
        });
    }

    pub fn delete(&mut self, id: &str) {
        self.ops.push(LoadOp {
            id: IdKey::new(id).to_stored(),
            loc: None,
        });
    }

    pub fn finish(mut self) -> RecentTable {
        let hasher = hashbrown::DefaultHashBuilder::default();
        // Sorted by hash with the bucket bits (the hash's low bits) first:
        // each id's ops end up together, in file order, and in the order
        // the table's buckets lie, so the table fills front to back.
        let bits = bucket_bits(self.ops.len());
        let mut by_id: Vec<(u64, u32)> = self
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                let hash = hash_key(&hasher, op.id.key()).rotate_right(bits);
                (hash, (i as u32) << 1 | u32::from(op.loc.is_none()))
            })
            .collect();
        by_id.sort_unstable();

        // Where each live record stands (its first put since its last
        // delete), with its hash, in bucket order.
        let mut live = LiveSet::new(self.ops.len());
        let mut placed: Vec<(u64, u32)> = Vec::with_capacity(by_id.len());
        let mut start = 0;
        while start < by_id.len() {
            let rotated = by_id[start].0;
            let len = by_id[start..]
                .iter()
                .take_while(|&&(h, _)| h == rotated)
                .count();
            let hash = rotated.rotate_left(bits);
            match &by_id[start..start + len] {
                [(_, op)] => {
                    if op & 1 == 0 {
                        live.insert(op >> 1);
                        placed.push((hash, op >> 1));
                    }
                }
                run => {
                    for (position, last) in self.resolve_run(run) {
                        self.ops[position as usize].loc = self.ops[last as usize].loc;
                        live.insert(position);
                        placed.push((hash, position));
                    }
                }
            }
            start += len;
        }
        drop(by_id);

        let ranks = live.ranks();
        let mut table = RecentTable {
            slots: Vec::with_capacity(ranks.total as usize),
            index: HashTable::with_capacity(ranks.total as usize),
            hasher,
            live: ranks.total as usize,
        };
        for (i, op) in self.ops.into_iter().enumerate() {
            if let (true, Some(loc)) = (live.contains(i as u32), op.loc) {
                table.slots.push(Some(Slot { id: op.id, loc }));
            }
        }
        for (hash, position) in placed {
            let slot = ranks.rank(&live, position);
            table.index.insert_unique(hash, (hash, slot), |&(h, _)| h);
        }
        table
    }

    /// Ops whose ids share a hash (one id that was written several times,
    /// or rarely several ids), in file order: finds where each live record
    /// stands and which op holds its final version.
    fn resolve_run(&self, run: &[(u64, u32)]) -> Vec<(u32, u32)> {
        let mut live = Vec::new();
        let mut done = DoneSet::new(run.len());
        for first in 0..run.len() {
            if done.contains(first) {
                continue;
            }
            let key = self.ops[(run[first].1 >> 1) as usize].id.key();
            let mut position: Option<u64> = None;
            let mut last: Option<u64> = None;
            for (k, &(_, packed)) in run.iter().enumerate().skip(first) {
                let op = (packed >> 1) as usize;
                if done.contains(k) || !key.matches(&self.ops[op].id) {
                    continue;
                }
                done.insert(k);
                if packed & 1 == 0 {
                    position.get_or_insert(op as u64);
                    last = Some(op as u64);
                } else {
                    position = None;
                    last = None;
                }
            }
            if let (Some(position), Some(last)) = (position, last) {
                live.push((position as u32, last as u32));
            }
        }
        live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_keeps_first_insert_positions_and_last_versions() {
        let mut loader = RecordLoader::default();
        let at = |offset| Loc::File { offset, len: 1 };
        loader.put("a", at(1));
        loader.put("b", at(2));
        loader.put("c", at(3));
        loader.put("a", at(4)); // update keeps a's place
        loader.delete("b");
        loader.put("b", at(5)); // reinserted: goes last
        loader.delete("c");
        let t = loader.finish();
        let order: Vec<_> = t
            .iter()
            .map(|(_, s)| {
                let mut buf = [0u8; 36];
                (s.id.as_str(&mut buf).to_owned(), s.loc)
            })
            .collect();
        assert_eq!(order, [("a".to_owned(), at(4)), ("b".to_owned(), at(5))]);
        assert_eq!(t.find("b"), Some(1));
        assert_eq!(t.find("c"), None);
    }
}
