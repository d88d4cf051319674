//! Running a [`Plan`] on a collection: reading what the plan chose,
//! testing each record on the fields the filter and sort need, and taking
//! the page's results in the form asked for.

use roaring::RoaringBitmap;

use super::explain::{Explain, SortMethod};
use super::form::ResultForm;
use super::page::Page;
use super::plan::{Plan, Source};
use crate::engine::Document;
use crate::engine::cancel::CancelCheck;
use crate::engine::collection::{CollectionStore, StoredRecord};
use crate::error::Result;

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

impl Plan {
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
        let started = std::time::Instant::now();
        let plan_chosen = self.choose_source(store)?;
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
                candidates: match &plan_chosen.source {
                    Source::Candidates(slots, _) => Some(slots.len()),
                    Source::IndexOrder {
                        within: Some(slots),
                        ..
                    } => Some(slots.len()),
                    _ => None,
                },
                lookups: plan_chosen.lookups,
                sort: match (&self.sort, self.limit) {
                    (None, _) => SortMethod::None,
                    (Some(_), Some(_)) => SortMethod::TopInMemory,
                    (Some(_), None) => SortMethod::AllInMemory,
                },
                time: std::time::Duration::ZERO,
            },
        };
        let chosen = match plan_chosen.source {
            Source::Scan if self.filter.is_match_all() && self.sort.is_none() => {
                // A page of everything: skip without reading, so the last
                // page costs what the first does.
                let take = self.limit.unwrap_or(usize::MAX);
                let page = store
                    .live_slots_from(self.skip)
                    .take(take)
                    .collect::<Result<Vec<u32>>>()?;
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
                run.explain.sort = SortMethod::Index;
                // An array has one key per element: a record comes first
                // at its least (ascending) or greatest (descending) element,
                // which is where MongoDB's sort puts it; later keys repeat it.
                let mut seen = RoaringBitmap::new();
                // A failed read of a persisted index stops the walk; the
                // error is returned once the page is done with it.
                let failed = std::cell::Cell::new(None);
                let mut ordered = index
                    .ordered(descending)
                    .map_while(|slot| slot.map_err(|e| failed.set(Some(e))).ok())
                    .filter(|&slot| within.as_ref().is_none_or(|w| w.contains(slot)))
                    .filter(|&slot| seen.insert(slot));
                let limit = self.limit.unwrap_or(usize::MAX);
                if self.filter.is_match_all() {
                    // Every record matches: none needs testing.
                    let page: Vec<u32> = ordered.skip(self.skip).take(limit).collect();
                    if let Some(e) = failed.take() {
                        return Err(e);
                    }
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
                    let chosen = run.choose(page, Likely::Few, &mut read)?;
                    if let Some(e) = failed.take() {
                        return Err(e);
                    }
                    chosen
                }
            }
        };
        let (page, mut explain) = run.finish(store, chosen)?;
        explain.time = started.elapsed();
        Ok((page, explain))
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
        match self.choose_source(store)?.source {
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
}
