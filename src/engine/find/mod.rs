//! Running a find: filter, sort, skip, limit, projection over a stream of
//! documents in natural (insertion) order.
//!
//! - `request.rs`: [`Find`], what a caller asks for; `explain.rs`:
//!   [`Explain`], how it was answered.
//! - `plan.rs`: the query parsed once, and the choice of what to read
//!   (a scan, index candidates, an index in the sort's order).
//! - `run.rs`: reading, testing and taking the page; `page.rs`: where the
//!   matches go (the page, a top-k heap, or all of them to sort).
//! - `form.rs`: the result forms (documents, JSON text, streamed text).

mod explain;
mod form;
mod page;
mod plan;
mod request;
mod run;

pub use explain::{Explain, IndexLookup, SortMethod};
pub(crate) use form::{Documents, JsonEach, JsonText, ResultForm};
pub(crate) use plan::Plan;
pub use request::Find;
