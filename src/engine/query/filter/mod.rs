//! Filters: a MongoDB query document parsed once into a typed tree, then
//! matched against documents without allocating.
//!
//! Semantics follow MongoDB: each operator on a path is satisfied by any value
//! the path reaches (and by any element of an array found there), negations
//! (`$ne`, `$nin`, `$not`, `$nor`) negate that whole search, and `null`
//! equality also matches a missing field.
//!
//! This file holds the [`Filter`] type and its public methods. Below it:
//! `parse` turns the JSON into the tree of `tree`, which does the matching;
//! `value_set` and `type_set` are the prepared `$in` and `$type` operands;
//! `index_bounds` reads the tree for the constraints an index can answer.

mod index_bounds;
mod parse;
mod tree;
mod type_set;
mod value_set;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::engine::query::value_mode::ValueMode;
use crate::engine::{Document, json_type_name};
use crate::error::{Error, Result};
use tree::Node;

pub use index_bounds::{Constraint, PathConstraint};
pub use parse::MAX_FILTER_DEPTH;

/// A parsed filter. Parse once, match many documents.
#[derive(Debug, Clone)]
pub struct Filter {
    root: Node,
}

impl Filter {
    /// Parses a MongoDB filter document. Errors name the operator and path.
    pub fn parse(filter: &Value) -> Result<Filter> {
        crate::engine::nesting::check_input_depth(filter, "the filter", Error::InvalidQuery)?;
        Self::parse_unchecked(filter).map_err(crate::engine::shortened)
    }

    fn parse_unchecked(filter: &Value) -> Result<Filter> {
        let Value::Object(object) = filter else {
            return Err(Error::InvalidQuery(format!(
                "a filter must be a JSON object, not {}",
                json_type_name(filter)
            )));
        };
        Ok(Filter {
            root: parse::parse_node(object, 0)?,
        })
    }

    /// The filter `{}`, which matches every document.
    pub fn match_all() -> Filter {
        Filter {
            root: Node::And(Vec::new()),
        }
    }

    /// Matches with typed values (native collections).
    pub fn matches(&self, doc: &Document) -> bool {
        self.root.matches(doc, ValueMode::Typed)
    }

    pub fn matches_in(&self, doc: &Document, mode: ValueMode) -> bool {
        self.root.matches(doc, mode)
    }

    /// True for `{}`: the engine may skip matching altogether.
    pub fn is_match_all(&self) -> bool {
        matches!(&self.root, Node::And(nodes) if nodes.is_empty())
    }

    /// The top-level fields the filter reads: a document holding only these
    /// (and `_id`) matches exactly when the whole document does.
    pub fn top_level_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.root.collect_roots(&mut out);
        out.sort();
        out.dedup();
        out
    }

    /// Constraints on top-level-ANDed paths (also inside a top-level `$and`)
    /// that an index answers with a superset of the matches, for typed values.
    pub fn index_constraints(&self) -> Vec<PathConstraint> {
        self.index_constraints_in(ValueMode::Typed)
    }

    /// As [`Filter::index_constraints`], for a value mode. In `LegacyText`
    /// mode a number operand also matches numeric text, which an index keyed
    /// by the stored text cannot find, so constraints with number operands
    /// are left out.
    pub fn index_constraints_in(&self, mode: ValueMode) -> Vec<PathConstraint> {
        let mut out = Vec::new();
        self.root.collect_constraints(mode, &mut out);
        out
    }
}
