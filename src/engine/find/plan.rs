//! [`Plan`]: a find parsed once, before any record is read, and the
//! choice of what to read: every record, the candidates indexes give, or
//! an index in the sort's order; and where the matches go (the page).

use std::collections::BinaryHeap;

use roaring::RoaringBitmap;

use super::explain::IndexLookup;
use super::page::Page;
use super::request::Find;
use crate::engine::cancel::CancelToken;
use crate::engine::collection::CollectionStore;
use crate::engine::query::{Filter, Projection, Sort, SortDirection, ValueMode};
use crate::error::Result;

/// A [`Find`] parsed once, before any record is read, so a bad query fails
/// without touching the collection.
pub(crate) struct Plan {
    pub filter: Filter,
    pub sort: Option<Sort>,
    pub skip: usize,
    pub limit: Option<usize>,
    pub projection: Option<Projection>,
    pub mode: ValueMode,
    /// Stops the reading with [`Error::Cancelled`](crate::Error::Cancelled) once cancelled.
    pub cancel: Option<CancelToken>,
}

/// The records a plan reads, how it chose them, and the index lookups
/// that did (for explain).
pub(super) struct SourceChoice {
    pub source: Source,
    pub lookups: Vec<IndexLookup>,
}

/// The records a plan reads.
pub(super) enum Source {
    Scan,
    /// Slots from indexes (ascending: natural order), and the index named.
    Candidates(RoaringBitmap, String),
    /// A sort's single key is indexed: read in index order, at most these slots.
    IndexOrder {
        field: String,
        descending: bool,
        within: Option<RoaringBitmap>,
    },
}

impl Plan {
    pub fn new(find: &Find, mode: ValueMode) -> Result<Plan> {
        Ok(Plan {
            filter: Filter::parse(&find.filter)?,
            sort: find.sort.as_ref().map(Sort::parse).transpose()?,
            skip: find.skip,
            limit: find.limit.filter(|&l| l > 0),
            projection: find
                .projection
                .as_ref()
                .map(Projection::parse)
                .transpose()?,
            mode,
            cancel: None,
        })
    }

    /// The same plan, stopped by `cancel`.
    pub fn cancellable(mut self, cancel: Option<CancelToken>) -> Plan {
        self.cancel = cancel;
        self
    }

    /// A plan that only filters (an aggregation's leading `$match`).
    pub fn from_filter(filter: Filter, mode: ValueMode) -> Plan {
        Plan {
            filter,
            sort: None,
            skip: 0,
            limit: None,
            projection: None,
            mode,
            cancel: None,
        }
    }

    pub(super) fn choose_source(&self, store: &dyn CollectionStore) -> Result<SourceChoice> {
        // Indexes are built on first use: touch them only when this query
        // can use one, so opening and paging a collection never builds them.
        let indexed = store.indexed_fields();
        let constrained = self.filter.index_constraints_in(self.mode);
        let sorted_field = self.sort.as_ref().and_then(|s| match s.keys() {
            [(field, _)] => Some(field),
            _ => None,
        });
        let useful = constrained.iter().any(|c| indexed.contains(&c.path))
            || sorted_field.is_some_and(|f| indexed.contains(f));
        if !useful {
            return Ok(SourceChoice {
                source: Source::Scan,
                lookups: Vec::new(),
            });
        }
        let indexes = store.indexes()?;
        // Per indexed path, its ranges merged into one where that is exact.
        let mut usable = Vec::new();
        let mut paths: Vec<&str> = Vec::new();
        for c in &constrained {
            if !paths.contains(&c.path.as_str()) {
                paths.push(&c.path);
            }
        }
        for path in paths {
            let Some(index) = indexes.get(path) else {
                continue;
            };
            let on_path = constrained
                .iter()
                .filter(|c| c.path == path)
                .map(|c| &c.constraint)
                .collect();
            usable.extend(
                index
                    .merge_ranges(on_path)?
                    .into_iter()
                    .map(|constraint| (index, constraint)),
            );
        }
        // Intersect, most selective first; name the most selective index.
        // With one usable constraint there is nothing to rank (an estimate
        // of a persisted index walks its keys once more).
        let mut ranked = Vec::with_capacity(usable.len());
        for (index, constraint) in &usable {
            let estimate = if usable.len() > 1 {
                index.estimate(constraint)?
            } else {
                0
            };
            ranked.push((estimate, *index, constraint));
        }
        ranked.sort_by_key(|(estimate, _, _)| *estimate);
        let mut candidates: Option<(RoaringBitmap, String)> = None;
        let mut lookups = Vec::with_capacity(ranked.len());
        for (_, index, constraint) in &ranked {
            let slots = index.candidates(constraint)?;
            lookups.push(IndexLookup {
                field: index.path().to_owned(),
                constraint: constraint.describe(index.path()),
                records: slots.len(),
            });
            candidates = Some(match candidates {
                None => (slots, index.path().to_owned()),
                Some((mut acc, name)) => {
                    acc &= slots;
                    (acc, name)
                }
            });
        }
        if let Some(sort) = &self.sort
            && let [(field, direction)] = sort.keys()
            && self.mode == ValueMode::Typed
            && self.limit.is_some()
            && let Some(index) = indexes.get(field)
            && !index.has_array_values()?
        {
            let few = candidates
                .as_ref()
                .is_some_and(|(c, _)| c.len() <= self.limit.unwrap_or(0) as u64 * 4);
            // With few candidates, reading them all and sorting beats
            // walking the whole index.
            if !few {
                let source = Source::IndexOrder {
                    field: field.clone(),
                    descending: *direction == SortDirection::Descending,
                    within: candidates.map(|(c, _)| c),
                };
                return Ok(SourceChoice { source, lookups });
            }
        }
        let source = match candidates {
            Some((slots, name)) => Source::Candidates(slots, name),
            None => Source::Scan,
        };
        Ok(SourceChoice { source, lookups })
    }

    /// Where the matching records of a natural-order read go: the page
    /// itself, or the best `skip + limit` by the sort, or all of them to sort.
    pub(super) fn page(&self, known_total: Option<usize>) -> Page<'_> {
        match (&self.sort, self.limit) {
            (None, limit) => Page::Unsorted {
                skip: self.skip,
                take: limit.unwrap_or(usize::MAX),
                kept: Vec::new(),
            },
            (Some(sort), Some(limit)) => {
                // A page past the middle of everything is the same page of
                // the reversed order, read from the other end: the heap then
                // holds what is after the page, not what is before it.
                let total = self.filter.is_match_all().then_some(known_total).flatten();
                let (skip, limit, reversed) = match total {
                    Some(total) if self.skip > total / 2 => {
                        let take = limit.min(total.saturating_sub(self.skip));
                        (
                            total.saturating_sub(self.skip).saturating_sub(take),
                            take,
                            true,
                        )
                    }
                    _ => (self.skip, limit, false),
                };
                let keep = skip.saturating_add(limit);
                Page::Best {
                    sort,
                    mode: self.mode,
                    heap: BinaryHeap::with_capacity(keep.min(1 << 16) + 1),
                    keep,
                    skip,
                    reversed,
                }
            }
            (Some(sort), None) => Page::All {
                sort,
                mode: self.mode,
                skip: self.skip,
                all: Vec::new(),
            },
        }
    }
}
