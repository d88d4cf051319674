//! Running a find: filter, sort, skip, limit, projection over a stream of
//! documents in natural (insertion) order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde_json::Value;

use crate::engine::Document;
use roaring::RoaringBitmap;

use crate::engine::cancel::{CancelCheck, CancelToken};
use crate::engine::collection::{CollectionStore, StoredRecord};
use crate::engine::query::{Filter, Projection, Sort, SortDirection, SortValues, ValueMode};
use crate::error::{Error, Result};

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

/// What a find hands back for each record of its page.
pub(crate) trait ResultForm {
    type Item;

    /// The result for `record`, projected.
    fn take(
        &mut self,
        record: &StoredRecord<'_>,
        projection: Option<&Projection>,
    ) -> Result<Self::Item>;

    /// Decodes what testing `record` needs into `scratch`: the `needed`
    /// fields (into the same reused document, record after record), unless
    /// the form builds the whole document anyway.
    fn load_for_test(
        &self,
        record: &StoredRecord<'_>,
        needed: &[String],
        scratch: &mut Document,
    ) -> Result<()> {
        record.decode_fields_into(needed, scratch)
    }

    /// [`take`](Self::take) for a record [`load_for_test`](Self::load_for_test)
    /// loaded into `tested`.
    fn take_tested(
        &mut self,
        record: &StoredRecord<'_>,
        _tested: &mut Document,
        projection: Option<&Projection>,
    ) -> Result<Self::Item> {
        self.take(record, projection)
    }
}

/// Decoded documents: [`FluxDB::find`](crate::engine::FluxDB::find).
pub(crate) struct Documents;

impl ResultForm for Documents {
    type Item = Document;

    fn take(
        &mut self,
        record: &StoredRecord<'_>,
        projection: Option<&Projection>,
    ) -> Result<Document> {
        let mut doc = record.decode()?;
        self.take_tested(record, &mut doc, projection)
    }

    /// The whole document: it is what a match returns, decoded once.
    fn load_for_test(
        &self,
        record: &StoredRecord<'_>,
        _needed: &[String],
        scratch: &mut Document,
    ) -> Result<()> {
        *scratch = record.decode()?;
        Ok(())
    }

    fn take_tested(
        &mut self,
        _record: &StoredRecord<'_>,
        tested: &mut Document,
        projection: Option<&Projection>,
    ) -> Result<Document> {
        Ok(match projection {
            Some(p) => p.apply(tested),
            None => std::mem::take(tested),
        })
    }
}

/// Each document's compact JSON text, written from its stored bytes where
/// it can be (no document is built): [`FluxDB::find_json`](crate::engine::FluxDB::find_json).
pub(crate) struct JsonText;

impl ResultForm for JsonText {
    type Item = String;

    fn take(
        &mut self,
        record: &StoredRecord<'_>,
        projection: Option<&Projection>,
    ) -> Result<String> {
        let mut text = Vec::with_capacity(record.data.len() * 2 + 64);
        write_json(record, projection, &mut text)?;
        String::from_utf8(text).map_err(not_utf8)
    }
}

/// Each document's JSON text handed to a callback as soon as it is
/// written, nothing collected: [`FluxDB::find_json_each`](crate::engine::FluxDB::find_json_each).
pub(crate) struct JsonEach<'f> {
    pub each: &'f mut dyn FnMut(&str) -> Result<()>,
    /// One buffer for every record's text.
    pub text: Vec<u8>,
}

impl ResultForm for JsonEach<'_> {
    type Item = ();

    fn take(&mut self, record: &StoredRecord<'_>, projection: Option<&Projection>) -> Result<()> {
        self.text.clear();
        write_json(record, projection, &mut self.text)?;
        (self.each)(std::str::from_utf8(&self.text).map_err(not_utf8)?)
    }
}

/// Appends the JSON text of `record`, projected, to `out`.
fn write_json(
    record: &StoredRecord<'_>,
    projection: Option<&Projection>,
    out: &mut Vec<u8>,
) -> Result<()> {
    match projection {
        Some(projection) => serde_json::to_writer(out, &projection.apply(&record.decode()?))
            .map_err(|e| crate::Error::InvalidDocument(e.to_string())),
        None => record.write_json(out),
    }
}

fn not_utf8(e: impl std::fmt::Display) -> Error {
    crate::Error::InvalidDocument(format!("internal: record text is not UTF-8: {e}"))
}

/// What a store calls with each record it reads for a query.
type Visit<'v> = dyn FnMut(u32, StoredRecord<'_>) -> Result<bool> + 'v;

/// A page chosen: the slots to read, or the results already taken from
/// the reads that chose them.
enum Chosen<T> {
    Slots(Vec<u32>),
    Taken(Vec<T>),
}

/// How many of the records a query reads are likely to match.
#[derive(Clone, Copy, PartialEq)]
enum Likely {
    /// Records an index chose (this many): most match.
    Most(u64),
    /// A scan's records (or an index read only for its order): few may.
    Few,
}

/// One execution of a plan: its result form and what it has counted.
struct Run<'p, F> {
    plan: &'p Plan,
    form: F,
    /// The top-level fields the filter and sort read.
    needed: Vec<String>,
    cancel: CancelCheck<'p>,
    explain: Explain,
}

impl<F: ResultForm> Run<'_, F> {
    /// Tests each record `read` hands over and puts the matches in `page`.
    /// When records enter in the page's order ([`Page::is_unsorted`]) each
    /// is taken from the read that tested it; otherwise only slots are kept
    /// and [`finish`](Self::finish) reads the winners. Records that mostly
    /// match may be loaded whole for the test (the form decides); others
    /// are tested on the needed fields alone.
    fn choose(
        &mut self,
        mut page: Page<'_>,
        likely: Likely,
        read: &mut dyn FnMut(&mut Visit<'_>) -> Result<()>,
    ) -> Result<Chosen<F::Item>> {
        let take_now = page.is_unsorted();
        let whole = take_now && likely != Likely::Few;
        let plan = self.plan;
        let projection = plan.projection.as_ref();
        let (mut scratch, mut taken) = (Document::new(), Vec::new());
        if let (true, Likely::Most(candidates)) = (take_now, likely) {
            // One allocation for the page, not one per doubling.
            let at_most = usize::try_from(candidates).unwrap_or(usize::MAX);
            taken.reserve(at_most.min(plan.limit.unwrap_or(usize::MAX)));
        }
        read(&mut |slot, record| {
            self.cancel.tick()?;
            self.explain.examined += 1;
            match whole {
                true => self
                    .form
                    .load_for_test(&record, &self.needed, &mut scratch)?,
                false => record.decode_fields_into(&self.needed, &mut scratch)?,
            }
            if plan.filter.matches_in(&scratch, plan.mode)
                && let Some(admit) = page.wants(slot, &scratch)
            {
                page.admit(admit);
                match (take_now, whole) {
                    (true, true) => {
                        taken.push(self.form.take_tested(&record, &mut scratch, projection)?)
                    }
                    (true, false) => taken.push(self.form.take(&record, projection)?),
                    (false, _) => {}
                }
            }
            Ok(!page.is_full())
        })?;
        Ok(match take_now {
            true => Chosen::Taken(taken),
            false => Chosen::Slots(page.finish()),
        })
    }

    /// The results of the chosen page (reading its slots if only they
    /// were kept), and how they were found.
    fn finish(
        mut self,
        store: &dyn CollectionStore,
        chosen: Chosen<F::Item>,
    ) -> Result<(Vec<F::Item>, Explain)> {
        let projection = self.plan.projection.as_ref();
        let page = match chosen {
            Chosen::Taken(page) => page,
            Chosen::Slots(slots) => {
                let mut page = Vec::with_capacity(slots.len());
                store.visit_stored(&mut slots.iter().copied(), &mut |_, record| {
                    self.cancel.tick()?;
                    page.push(self.form.take(&record, projection)?);
                    Ok(true)
                })?;
                if page.len() != slots.len() {
                    return Err(crate::Error::InvalidQuery(
                        "internal: a record of the page vanished while it was read".to_owned(),
                    ));
                }
                page
            }
        };
        self.explain.returned = page.len();
        Ok((page, self.explain))
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

    /// Runs the plan on a collection, with indexes where they help, each
    /// result in the `form` asked for. The answer is the same as a full
    /// scan's; only the work differs.
    ///
    /// Records are tested on only the fields the filter and sort read
    /// (decoded into one reused document), and only the page's records are
    /// read whole. Where records arrive in the page's order (no sort, or an
    /// index read in the sort's order), each is tested and taken in the same
    /// read; otherwise the page's slots are chosen first and read at the end.
    pub fn execute<F: ResultForm>(
        &self,
        store: &dyn CollectionStore,
        form: F,
    ) -> Result<(Vec<F::Item>, Explain)> {
        let mut needed = self.filter.top_level_fields();
        if let Some(sort) = &self.sort {
            needed.extend(sort.top_level_fields());
        }
        let mut run = Run {
            plan: self,
            form,
            needed,
            cancel: CancelCheck::new(self.cancel.as_ref()),
            explain: Explain {
                index: None,
                index_ordered: false,
                examined: 0,
                returned: 0,
                total: store.len(),
            },
        };
        let chosen = match self.choose_source(store)? {
            Source::Scan if self.filter.is_match_all() && self.sort.is_none() => {
                // A page of everything: skip without reading, so the last
                // page costs what the first does.
                let take = self.limit.unwrap_or(usize::MAX);
                let page: Vec<u32> = store.live_slots().skip(self.skip).take(take).collect();
                run.explain.examined = page.len();
                Chosen::Slots(page)
            }
            Source::Scan => {
                let page = self.page(Some(store.len()));
                run.choose(page, Likely::Few, &mut |visit| store.scan_stored(visit))?
            }
            Source::Candidates(slots, index) => {
                run.explain.index = Some(index);
                let page = self.page(None);
                let mut read = |visit: &mut Visit<'_>| store.visit_stored(&mut slots.iter(), visit);
                run.choose(page, Likely::Most(slots.len()), &mut read)?
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
                run.explain.index = Some(field.clone());
                run.explain.index_ordered = true;
                // An array has one key per element: a record comes first
                // at its least (ascending) or greatest (descending) element,
                // which is where MongoDB's sort puts it; later keys repeat it.
                let mut seen = RoaringBitmap::new();
                let mut ordered = index
                    .ordered(descending)
                    .filter(|&slot| within.as_ref().is_none_or(|w| w.contains(slot)))
                    .filter(|&slot| seen.insert(slot));
                let limit = self.limit.unwrap_or(usize::MAX);
                if self.filter.is_match_all() {
                    // Every record matches: none needs testing.
                    let page: Vec<u32> = ordered.skip(self.skip).take(limit).collect();
                    run.explain.examined = page.len();
                    Chosen::Slots(page)
                } else {
                    // Already in order: a page that takes records as they come.
                    let page = Page::Unsorted {
                        skip: self.skip,
                        take: limit,
                        kept: Vec::new(),
                    };
                    let mut read = |visit: &mut Visit<'_>| store.visit_stored(&mut ordered, visit);
                    run.choose(page, Likely::Few, &mut read)?
                }
            }
        };
        run.finish(store, chosen)
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
        let mut fields = self.filter.top_level_fields();
        fields.extend(also.iter().map(|f| (*f).to_owned()));
        let mut visit = |_, doc: &Document| {
            cancel.tick()?;
            if self.filter.matches_in(doc, self.mode) {
                found(doc);
            }
            Ok(true)
        };
        match self.choose_source(store)? {
            Source::Candidates(slots, _) => {
                let mut scratch = Document::new();
                store.visit_stored(&mut slots.iter(), &mut |slot, record| {
                    record.decode_fields_into(&fields, &mut scratch)?;
                    visit(slot, &scratch)
                })
            }
            _ => store.visit_fields(&fields, &mut visit),
        }
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

    /// Where the matching records of a natural-order read go: the page
    /// itself, or the best `skip + limit` by the sort, or all of them to sort.
    fn page(&self, known_total: Option<usize>) -> Page<'_> {
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

/// Collects the slots of a find's page from matching records offered in
/// natural order. [`Page::wants`] looks at a (possibly reused) document and
/// decides; [`Page::admit`] keeps the yes. The page's records are read
/// whole only at the end.
enum Page<'s> {
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
struct Admit {
    slot: u32,
    values: Option<SortValues<'static>>,
}

impl Page<'_> {
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
    fn admit(&mut self, admit: Admit) {
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
    fn is_unsorted(&self) -> bool {
        matches!(self, Page::Unsorted { .. })
    }

    /// Nothing more can enter (an unsorted page is full): stop reading.
    fn is_full(&self) -> bool {
        match self {
            Page::Unsorted { take, kept, .. } => kept.len() >= *take,
            Page::Best { .. } | Page::All { .. } => false,
        }
    }

    /// The slots of the page, in order.
    fn finish(self) -> Vec<u32> {
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
struct Ranked<'s> {
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
