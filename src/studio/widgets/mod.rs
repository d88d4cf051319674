//! Widgets shared by the panels: the JSON editor's colouring, value cells and
//! the JSON tree.

pub mod json_highlight;
pub mod json_tree;
pub mod value_cell;
