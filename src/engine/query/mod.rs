//! Filters, sort, projection and updates with MongoDB's meaning: a query
//! pasted from MongoDB means the same here (the README's section "Queries:
//! MongoDB's meaning" lists the operators).
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
mod value_mode;

pub use compare::{TypeBracket, compare_numbers, compare_values, values_equal};
pub use filter::{Constraint, Filter, MAX_FILTER_DEPTH, PathConstraint};
pub use path::{FieldPath, MAX_PATH_SEGMENTS, lookup_path};
pub use projection::Projection;
pub use sort::{Sort, SortDirection, SortValues};
pub use update::Update;
pub use value_mode::ValueMode;

pub(crate) use compare::parse_numeric_text;
