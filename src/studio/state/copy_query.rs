//! The query on screen, to copy as code ("Copy query as ▸").

use super::edit_forms::{Tab, parse_pipeline};
use super::model::State;
use crate::studio::copy_as::{CodeForm, CopiedQuery};

impl State {
    /// What "Copy query as" copies: the aggregation pipeline on its tab,
    /// otherwise the applied filter, sort and projection with the page on
    /// screen as skip and limit. `None` with no collection, or a pipeline
    /// that does not parse.
    pub fn copied_query(&self) -> Option<CopiedQuery> {
        let view = self.current.as_ref()?;
        if self.edit.tab == Tab::Aggregation {
            return Some(CopiedQuery::Aggregate {
                collection: view.name.clone(),
                pipeline: parse_pipeline(&self.edit.aggregate.pipeline).ok()?,
            });
        }
        let applied = view.applied.as_ref()?;
        let page_size = self.page_size();
        Some(CopiedQuery::Find {
            collection: view.name.clone(),
            filter: applied.filter.clone(),
            sort: applied.sort.clone(),
            projection: applied.projection.clone(),
            skip: view.page_index * page_size,
            limit: Some(page_size),
        })
    }

    /// The query as `form`, for the open folder.
    pub fn query_as(&self, form: CodeForm) -> Option<String> {
        let folder = self.folder.as_ref()?;
        Some(self.copied_query()?.as_code(form, &folder.path))
    }
}
