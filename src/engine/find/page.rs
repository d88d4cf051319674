//! [`Page`]: where the matching records of a find go as they are read:
//! the page itself, a top-k heap for a sort with a limit, or everything to
//! sort at the end.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::engine::Document;
use crate::engine::query::{Sort, SortValues, ValueMode};

/// Collects the slots of a find's page from matching records offered in
/// natural order. [`Page::wants`] looks at a (possibly reused) document and
/// decides; [`Page::admit`] keeps the yes. The page's records are read
/// whole only at the end.
pub(super) enum Page<'s> {
    Unsorted {
        skip: usize,
        take: usize,
        kept: Vec<u32>,
    },
    /// A sort with a limit: a heap of the best `keep`, the worst on top.
    Best {
        sort: &'s Sort,
        mode: ValueMode,
        heap: BinaryHeap<Ranked<'s>>,
        keep: usize,
        skip: usize,
        reversed: bool,
    },
    /// A sort without a limit: everything, sorted at the end.
    All {
        sort: &'s Sort,
        mode: ValueMode,
        skip: usize,
        all: Vec<(SortValues<'static>, u32)>,
    },
}

/// A page's yes to one record: its sort values, taken once.
pub(super) struct Admit {
    slot: u32,
    values: Option<SortValues<'static>>,
}

impl Page<'_> {
    /// Whether the matching record in `slot` goes in the page.
    pub(super) fn wants(&mut self, slot: u32, doc: &Document) -> Option<Admit> {
        match self {
            Page::Unsorted { skip, .. } => {
                if *skip > 0 {
                    *skip -= 1;
                    return None;
                }
                Some(Admit { slot, values: None })
            }
            Page::Best {
                sort,
                mode,
                heap,
                keep,
                reversed,
                ..
            } => {
                if *keep == 0 {
                    return None;
                }
                let values = sort.values_of(doc, *mode);
                if heap.len() >= *keep {
                    let worst = heap.peek()?;
                    let order = sort
                        .compare_values_of(&values, &worst.values)
                        .then(slot.cmp(&worst.slot));
                    let order = if *reversed { order.reverse() } else { order };
                    if order != Ordering::Less {
                        return None;
                    }
                }
                Some(Admit {
                    slot,
                    values: Some(values.into_owned()),
                })
            }
            Page::All { sort, mode, .. } => Some(Admit {
                slot,
                values: Some(sort.values_of(doc, *mode).into_owned()),
            }),
        }
    }

    /// Keeps what [`wants`](Self::wants) said yes to.
    pub(super) fn admit(&mut self, admit: Admit) {
        match (self, admit.values) {
            (Page::Unsorted { kept, .. }, _) => kept.push(admit.slot),
            (
                Page::Best {
                    sort,
                    heap,
                    keep,
                    reversed,
                    ..
                },
                Some(values),
            ) => {
                let entry = Ranked {
                    values,
                    slot: admit.slot,
                    sort,
                    reversed: *reversed,
                };
                if heap.len() < *keep {
                    heap.push(entry);
                } else if let Some(mut worst) = heap.peek_mut() {
                    // One sift instead of a pop and a push.
                    *worst = entry;
                }
            }
            (Page::All { all, .. }, Some(values)) => all.push((values, admit.slot)),
            (_, None) => {}
        }
    }

    /// Records enter in their final order (no sort, or read in the sort's
    /// order).
    pub(super) fn is_unsorted(&self) -> bool {
        matches!(self, Page::Unsorted { .. })
    }

    /// Nothing more can enter (an unsorted page is full): stop reading.
    pub(super) fn is_full(&self) -> bool {
        match self {
            Page::Unsorted { take, kept, .. } => kept.len() >= *take,
            Page::Best { .. } | Page::All { .. } => false,
        }
    }

    /// The slots of the page, in order.
    pub(super) fn finish(self) -> Vec<u32> {
        match self {
            Page::Unsorted { kept, .. } => kept,
            Page::Best {
                heap,
                skip,
                reversed,
                ..
            } => {
                let mut page: Vec<u32> = heap
                    .into_sorted_vec()
                    .into_iter()
                    .skip(skip)
                    .map(|r| r.slot)
                    .collect();
                if reversed {
                    page.reverse();
                }
                page
            }
            Page::All {
                sort,
                skip,
                mut all,
                ..
            } => {
                // Stable: ties keep natural order.
                all.sort_by(|a, b| sort.compare_values_of(&a.0, &b.0));
                all.into_iter().skip(skip).map(|(_, slot)| slot).collect()
            }
        }
    }
}

/// A record in a top-k heap: ordered by its sort values, then by arrival,
/// so equal keys keep insertion order (a stable sort).
pub(super) struct Ranked<'s> {
    values: SortValues<'static>,
    /// Insertion order: ties keep it.
    slot: u32,
    sort: &'s Sort,
    /// Ordered from the end (a page past the middle).
    reversed: bool,
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let order = self
            .sort
            .compare_values_of(&self.values, &other.values)
            .then(self.slot.cmp(&other.slot));
        if self.reversed {
            order.reverse()
        } else {
            order
        }
    }
}

impl PartialOrd for Ranked<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked<'_> {}
