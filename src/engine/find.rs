//! Running a find: filter, sort, skip, limit, projection over a stream of
//! documents in natural (insertion) order.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use serde_json::Value;

use crate::engine::Document;
use crate::engine::query::{Filter, Projection, Sort, ValueMode};
use crate::error::Result;

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

/// A [`Find`] parsed once, before any record is read, so a bad query fails
/// without touching the collection.
pub(crate) struct Plan {
    pub filter: Filter,
    pub sort: Option<Sort>,
    pub skip: usize,
    pub limit: Option<usize>,
    pub projection: Option<Projection>,
    pub mode: ValueMode,
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
        })
    }

    /// Runs the plan over documents in natural order. Without a sort it
    /// stops reading as soon as the page is full; with a sort and a limit it
    /// keeps only the best `skip + limit` documents.
    pub fn run(&self, docs: impl Iterator<Item = Result<Document>>) -> Result<Vec<Document>> {
        let mut matching = docs.filter(|d| match d {
            Ok(doc) => self.filter.matches_in(doc, self.mode),
            Err(_) => true,
        });
        let page: Vec<Document> = match (&self.sort, self.limit) {
            (None, limit) => {
                let take = limit.unwrap_or(usize::MAX);
                matching
                    .by_ref()
                    .skip(self.skip)
                    .take(take)
                    .collect::<Result<_>>()?
            }
            (Some(sort), Some(limit)) => {
                let keep = self.skip.saturating_add(limit);
                let mut heap = BinaryHeap::with_capacity(keep.min(1 << 16) + 1);
                for (seq, doc) in matching.enumerate() {
                    let entry = Ranked {
                        doc: doc?,
                        seq,
                        sort,
                        mode: self.mode,
                    };
                    if heap.len() < keep {
                        heap.push(entry);
                    } else if heap
                        .peek()
                        .is_some_and(|worst| entry.cmp(worst) == Ordering::Less)
                    {
                        heap.pop();
                        heap.push(entry);
                    }
                }
                let sorted = heap.into_sorted_vec();
                sorted.into_iter().skip(self.skip).map(|r| r.doc).collect()
            }
            (Some(sort), None) => {
                let mut all: Vec<Document> = matching.collect::<Result<_>>()?;
                all.sort_by(|a, b| sort.compare_in(a, b, self.mode));
                all.into_iter().skip(self.skip).collect()
            }
        };
        Ok(match &self.projection {
            Some(p) => page.iter().map(|d| p.apply(d)).collect(),
            None => page,
        })
    }
}

/// A document in a top-k heap: ordered by the sort, then by arrival, so
/// equal keys keep insertion order (a stable sort).
struct Ranked<'a> {
    doc: Document,
    seq: usize,
    sort: &'a Sort,
    mode: ValueMode,
}

impl Ord for Ranked<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort
            .compare_in(&self.doc, &other.doc, self.mode)
            .then(self.seq.cmp(&other.seq))
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
