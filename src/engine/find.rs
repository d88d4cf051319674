//! Running a find: filter, sort, skip, limit, projection over a stream of
//! documents in natural (insertion) order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde_json::Value;

use crate::engine::Document;
use roaring::RoaringBitmap;

use crate::engine::collection::CollectionStore;
use crate::engine::query::{Filter, Projection, Sort, SortDirection, SortValues, ValueMode};
use crate::error::{Error, Result};
use crate::interchange::CancelToken;

/// What to find: the seed's `find(collection, query, limit, skip, sort)`
/// plus a projection.
///
/// ```
/// use fluxdb::engine::Find;
/// use serde_json::json;
/// let q = Find::new(json!({"age": {"$gt": 20}})).sort(json!({"age": 1})).limit(10);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Find {
    pub filter: Value,
    pub sort: Option<Value>,
    pub skip: usize,
    /// `None` (or 0, as in MongoDB) means no limit.
    pub limit: Option<usize>,
    pub projection: Option<Value>,
}

impl Default for Find {
    fn default() -> Self {
        Find::all()
    }
}

impl Find {
    pub fn new(filter: Value) -> Find {
        Find {
            filter,
            sort: None,
            skip: 0,
            limit: None,
            projection: None,
        }
    }

    /// Every record, in insertion order.
    pub fn all() -> Find {
        Find::new(Value::Object(Default::default()))
    }

    pub fn sort(mut self, sort: Value) -> Find {
        self.sort = Some(sort);
        self
    }

    pub fn skip(mut self, skip: usize) -> Find {
        self.skip = skip;
        self
    }

    pub fn limit(mut self, limit: usize) -> Find {
        self.limit = (limit > 0).then_some(limit);
        self
    }

    pub fn projection(mut self, projection: Value) -> Find {
        self.projection = Some(projection);
        self
    }
}

/// How a query was answered: which index, how many records were read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explain {
    /// The indexed field used (`None`: every record was read).
    pub index: Option<String>,
    /// Whether the result came in index order (a sort on an indexed field).
    pub index_ordered: bool,
    /// Records read and tested against the filter.
    pub examined: usize,
    pub returned: usize,
    /// Records in the collection.
    pub total: usize,
}

impl std::fmt::Display for Explain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.index {
            Some(index) => write!(f, "index: {index}")?,
            None => write!(f, "full scan")?,
        }
        write!(
            f,
            ", examined {} of {}, returned {}",
            self.examined, self.total, self.returned
        )
    }
}

/// A [`Find`] parsed once, before any record is read, so a bad query fails
/// without touching the collection.
pub(crate) struct Plan {
    pub filter: Filter,
    pub sort: Option<Sort>,
    pub skip: usize,
    pub limit: Option<usize>,
    pub projection: Option<Projection>,
    pub mode: ValueMode,
    /// Stops the reading with [`Error::Cancelled`] once cancelled.
    pub cancel: Option<CancelToken>,
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

/// The records a plan reads, and how it chose them.
enum Source {
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

    /// Runs the plan on a collection, with indexes where they help. The
    /// answer is the same as a full scan's; only the work differs.
    pub fn execute(&self, store: &dyn CollectionStore) -> Result<(Vec<Document>, Explain)> {
        let mut explain = Explain {
            index: None,
            index_ordered: false,
            examined: 0,
            returned: 0,
            total: store.len(),
        };
        let mut cancel = CancelCheck::new(self.cancel.as_ref());
        let whole = |slot: u32| -> Result<Document> {
            store.read_slot(slot)?.ok_or_else(|| {
                crate::Error::InvalidQuery(format!("internal: record slot {slot} vanished"))
            })
        };
        let docs = match self.choose_source(store)? {
            Source::Scan if self.filter.is_match_all() && self.sort.is_none() => {
                // A page of everything: skip without reading, so the last
                // page costs what the first does.
                let take = self.limit.unwrap_or(usize::MAX);
                let page: Vec<Document> = store
                    .live_slots()
                    .skip(self.skip)
                    .take(take)
                    .map(|slot| cancel.tick().and_then(|()| whole(slot)))
                    .collect::<Result<_>>()?;
                explain.examined = page.len();
                self.project(page)
            }
            Source::Scan => {
                // Test each record on only the fields the filter and sort
                // read, decoded into one reused document; read whole
                // documents only for the records kept.
                let mut needed = self.filter.top_level_fields();
                if let Some(sort) = &self.sort {
                    needed.extend(sort.top_level_fields());
                }
                let mut page = self.page(Some(store.len()));
                store.visit_fields(&needed, &mut |slot, doc| {
                    cancel.tick()?;
                    explain.examined += 1;
                    if self.filter.matches_in(doc, self.mode)
                        && let Some(admit) = page.wants(slot, doc)
                    {
                        page.admit(admit, ());
                    }
                    Ok(!page.is_full())
                })?;
                let page = page
                    .finish()
                    .into_iter()
                    .map(|(slot, ())| cancel.tick().and_then(|()| whole(slot)))
                    .collect::<Result<Vec<_>>>()?;
                self.project(page)
            }
            Source::Candidates(slots, index) => {
                explain.index = Some(index);
                let mut page = self.page(None);
                for slot in &slots {
                    cancel.tick()?;
                    let Some(doc) = store.read_slot(slot)? else {
                        continue;
                    };
                    explain.examined += 1;
                    if self.filter.matches_in(&doc, self.mode)
                        && let Some(admit) = page.wants(slot, &doc)
                    {
                        page.admit(admit, doc);
                    }
                    if page.is_full() {
                        break;
                    }
                }
                self.project(page.finish().into_iter().map(|(_, doc)| doc).collect())
            }
            Source::IndexOrder {
                field,
                descending,
                within,
            } => {
                let indexes = store.indexes()?;
                let Some(index) = indexes.get(&field) else {
                    return Err(crate::Error::InvalidQuery(format!(
                        "internal: index {field:?} vanished"
                    )));
                };
                explain.index = Some(field.clone());
                explain.index_ordered = true;
                // An array has one key per element: a record comes first
                // at its least (ascending) or greatest (descending) element,
                // which is where MongoDB's sort puts it; later keys repeat it.
                let mut seen = RoaringBitmap::new();
                let mut slots = index
                    .ordered(descending)
                    .filter(|&slot| within.as_ref().is_none_or(|w| w.contains(slot)))
                    .filter(|&slot| seen.insert(slot));
                let mut skip = self.skip;
                if self.filter.is_match_all() {
                    // Every record matches: skipped ones need not be read.
                    slots.by_ref().take(skip).for_each(drop);
                    skip = 0;
                }
                let examined = &mut explain.examined;
                let read = slots
                    .filter_map(|slot| {
                        cancel
                            .tick()
                            .and_then(|()| store.read_slot(slot))
                            .transpose()
                    })
                    .inspect(|_| *examined += 1);
                self.run_presorted(read, skip)?
            }
        };
        explain.returned = docs.len();
        Ok((docs, explain))
    }

    /// Calls `found` with each matching record in natural order, holding
    /// at least the fields the filter reads and `also` (never a sort, skip
    /// or limit: this is for counting and bulk writes).
    pub fn for_each_match(
        &self,
        store: &dyn CollectionStore,
        also: &[&str],
        found: &mut dyn FnMut(&Document),
    ) -> Result<()> {
        let mut cancel = CancelCheck::new(self.cancel.as_ref());
        match self.choose_source(store)? {
            Source::Candidates(slots, _) => {
                for slot in &slots {
                    cancel.tick()?;
                    if let Some(doc) = store.read_slot(slot)?
                        && self.filter.matches_in(&doc, self.mode)
                    {
                        found(&doc);
                    }
                }
            }
            _ => {
                let mut fields = self.filter.top_level_fields();
                fields.extend(also.iter().map(|f| (*f).to_owned()));
                store.visit_fields(&fields, &mut |_, doc| {
                    cancel.tick()?;
                    if self.filter.matches_in(doc, self.mode) {
                        found(doc);
                    }
                    Ok(true)
                })?;
            }
        }
        Ok(())
    }

    fn choose_source(&self, store: &dyn CollectionStore) -> Result<Source> {
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
            return Ok(Source::Scan);
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
                    .merge_ranges(on_path)
                    .into_iter()
                    .map(|constraint| (index, constraint)),
            );
        }
        // Intersect, most selective first; name the most selective index.
        let mut ranked: Vec<_> = usable
            .iter()
            .map(|(index, constraint)| (index.estimate(constraint), *index, constraint))
            .collect();
        ranked.sort_by_key(|(estimate, _, _)| *estimate);
        let mut candidates: Option<(RoaringBitmap, String)> = None;
        for (_, index, constraint) in &ranked {
            let slots = index.candidates(constraint);
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
            && indexes.get(field).is_some_and(|i| !i.has_array_values())
        {
            let few = candidates
                .as_ref()
                .is_some_and(|(c, _)| c.len() <= self.limit.unwrap_or(0) as u64 * 4);
            // With few candidates, reading them all and sorting beats
            // walking the whole index.
            if !few {
                return Ok(Source::IndexOrder {
                    field: field.clone(),
                    descending: *direction == SortDirection::Descending,
                    within: candidates.map(|(c, _)| c),
                });
            }
        }
        Ok(match candidates {
            Some((slots, name)) => Source::Candidates(slots, name),
            None => Source::Scan,
        })
    }

    /// Documents already in sort order: filter, skip, limit, stop early.
    fn run_presorted(
        &self,
        docs: impl Iterator<Item = Result<Document>>,
        skip: usize,
    ) -> Result<Vec<Document>> {
        let page: Vec<Document> = docs
            .filter(|d| match d {
                Ok(doc) => self.filter.matches_in(doc, self.mode),
                Err(_) => true,
            })
            .skip(skip)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect::<Result<_>>()?;
        Ok(self.project(page))
    }

    fn project(&self, page: Vec<Document>) -> Vec<Document> {
        match &self.projection {
            Some(p) => page.iter().map(|d| p.apply(d)).collect(),
            None => page,
        }
    }

    /// Where the matching records of a natural-order read go: the page
    /// itself, or the best `skip + limit` by the sort, or all of them to sort.
    fn page<T>(&self, known_total: Option<usize>) -> Page<'_, T> {
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

/// Collects a find's page from matching records offered in natural order.
/// [`Page::wants`] looks at a (possibly reused) document and decides; only
/// then does the caller hand over what to keep ([`Page::admit`]): nothing
/// for a scan, which reads the kept records whole at the end.
enum Page<'s, T> {
    Unsorted {
        skip: usize,
        take: usize,
        kept: Vec<(u32, T)>,
    },
    /// A sort with a limit: a heap of the best `keep`, the worst on top.
    Best {
        sort: &'s Sort,
        mode: ValueMode,
        heap: BinaryHeap<Ranked<'s, T>>,
        keep: usize,
        skip: usize,
        reversed: bool,
    },
    /// A sort without a limit: everything, sorted at the end.
    All {
        sort: &'s Sort,
        mode: ValueMode,
        skip: usize,
        all: Vec<(SortValues<'static>, u32, T)>,
    },
}

/// A page's yes to one record: its sort values, taken once.
struct Admit {
    slot: u32,
    values: Option<SortValues<'static>>,
}

impl<'s, T> Page<'s, T> {
    /// Whether the matching record in `slot` goes in the page.
    fn wants(&mut self, slot: u32, doc: &Document) -> Option<Admit> {
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
    fn admit(&mut self, admit: Admit, item: T) {
        match (self, admit.values) {
            (Page::Unsorted { kept, .. }, _) => kept.push((admit.slot, item)),
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
                    item,
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
            (Page::All { all, .. }, Some(values)) => all.push((values, admit.slot, item)),
            (_, None) => {}
        }
    }

    /// Nothing more can enter (an unsorted page is full): stop reading.
    fn is_full(&self) -> bool {
        match self {
            Page::Unsorted { take, kept, .. } => kept.len() >= *take,
            Page::Best { .. } | Page::All { .. } => false,
        }
    }

    /// The page in order, with each record's slot.
    fn finish(self) -> Vec<(u32, T)> {
        match self {
            Page::Unsorted { kept, .. } => kept,
            Page::Best {
                heap,
                skip,
                reversed,
                ..
            } => {
                let mut page: Vec<(u32, T)> = heap
                    .into_sorted_vec()
                    .into_iter()
                    .skip(skip)
                    .map(|r| (r.slot, r.item))
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
                all.into_iter()
                    .skip(skip)
                    .map(|(_, slot, item)| (slot, item))
                    .collect()
            }
        }
    }
}

/// A record in a top-k heap: ordered by its sort values, then by arrival,
/// so equal keys keep insertion order (a stable sort).
struct Ranked<'s, T> {
    values: SortValues<'static>,
    /// Insertion order: ties keep it.
    slot: u32,
    item: T,
    sort: &'s Sort,
    /// Ordered from the end (a page past the middle).
    reversed: bool,
}

impl<T> Ord for Ranked<'_, T> {
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

impl<T> PartialOrd for Ranked<'_, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> PartialEq for Ranked<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Ranked<'_, T> {}
