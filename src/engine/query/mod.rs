//! Filters, sort, projection and updates with MongoDB's meaning (../shared/spec/query.md).
//!
//! Everything here is pure logic over `serde_json` values: parse a filter,
//! sort, projection or update once into a typed form, then apply it to many
//! documents.

mod compare;
mod filter;
mod path;
mod projection;
mod sort;
mod update;

pub use compare::{TypeBracket, compare_numbers, compare_values, values_equal};
pub use filter::{Constraint, Filter, MAX_FILTER_DEPTH, PathConstraint};
pub use path::{FieldPath, MAX_PATH_SEGMENTS, lookup_path};
pub use projection::Projection;
pub use sort::{Sort, SortDirection, SortValues};
pub use update::Update;

pub(crate) use compare::parse_numeric_text;

/// How values stored in a collection are read by filters and sorts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ValueMode {
    /// Native collections: values keep their JSON types.
    #[default]
    Typed,
    /// Python FluxDB 0.1 folders store every value as text: a number operand
    /// also matches text that parses as that number (equality, comparisons,
    /// `$in`), and sorts order numeric text by number.
    LegacyText,
}
