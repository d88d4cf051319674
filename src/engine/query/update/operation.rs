//! What a parsed update is made of: one `Operation` per field an operator
//! names, a dot path (`UpdatePath`) and what to do there (`Action`), with the
//! `$push` modifiers and the `$pull` condition.

use serde_json::{Map, Number, Value};

use crate::engine::query::compare::values_equal;
use crate::engine::query::filter::Filter;
use crate::engine::query::path::MAX_PATH_SEGMENTS;
use crate::engine::query::sort::Sort;
use crate::error::{Error, Result};

/// One operator on one field, as written in the update.
#[derive(Debug, Clone)]
pub(super) struct Operation {
    pub(super) path: UpdatePath,
    pub(super) action: Action,
}

/// A dot path as updates address it: object fields, and array positions for
/// numeric segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UpdatePath {
    pub(super) text: String,
    pub(super) segments: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) enum Action {
    Set(Value),
    Unset,
    Inc(Number),
    Mul(Number),
    Min(Value),
    Max(Value),
    Rename(UpdatePath),
    Push(PushSpec),
    AddToSet(Vec<Value>),
    Pull(PullCondition),
    PullAll(Vec<Value>),
    Pop { first: bool },
}

#[derive(Debug, Clone)]
pub(super) struct PushSpec {
    pub(super) items: Vec<Value>,
    pub(super) position: Option<i64>,
    pub(super) slice: Option<i64>,
    pub(super) sort: Option<PushSort>,
}

#[derive(Debug, Clone)]
pub(super) enum PushSort {
    Values { descending: bool },
    Documents(Sort),
}

#[derive(Debug, Clone)]
pub(super) enum PullCondition {
    /// Elements equal to this value.
    Equal(Value),
    /// Object elements matching this filter (`{"price": {"$gt": 3}}`).
    Documents(Filter),
    /// Elements satisfying these operators (`{"$gte": 6}`), tested as the
    /// value of a field named by the wrapper.
    Operators(Filter),
}

pub(super) const WRAPPED_ELEMENT: &str = "element";

/// Every update error is `InvalidUpdate`.
pub(super) fn invalid(message: String) -> Error {
    Error::InvalidUpdate(message)
}

impl UpdatePath {
    pub(super) fn parse(operator: &str, text: &str) -> Result<UpdatePath> {
        if text.is_empty() || text.split('.').any(str::is_empty) {
            return Err(invalid(format!(
                "{operator}: field path {text:?} is empty or has an empty segment"
            )));
        }
        if text.split('.').count() > MAX_PATH_SEGMENTS {
            return Err(invalid(format!(
                "{operator}: field path {:?}… has more than {MAX_PATH_SEGMENTS} segments",
                text.chars().take(40).collect::<String>()
            )));
        }
        if text.split('.').any(|s| s.starts_with('$')) {
            return Err(invalid(format!(
                "{operator}: field path {text:?}: positional ($) and $-prefixed names are not supported"
            )));
        }
        Ok(UpdatePath {
            text: text.to_string(),
            segments: text.split('.').map(str::to_string).collect(),
        })
    }

    pub(super) fn is_id(&self) -> bool {
        self.segments.first().is_some_and(|s| s == "_id")
    }

    /// `a` and `a.b` (or the same path twice) cannot be updated together.
    pub(super) fn overlaps(&self, other: &UpdatePath) -> bool {
        self.segments
            .iter()
            .zip(&other.segments)
            .all(|(a, b)| a == b)
    }
}

impl PullCondition {
    pub(super) fn removes(&self, element: &Value) -> bool {
        match self {
            PullCondition::Equal(value) => values_equal(element, value),
            PullCondition::Documents(filter) => {
                element.as_object().is_some_and(|o| filter.matches(o))
            }
            PullCondition::Operators(filter) => {
                let mut wrapper = Map::new();
                wrapper.insert(WRAPPED_ELEMENT.to_string(), element.clone());
                filter.matches(&wrapper)
            }
        }
    }
}
