//! How a collection's stored values are read: with their JSON types, or as
//! the Python FluxDB 0.1 text. Filters and sorts both take it, so it sits in
//! its own file below them.

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
