//! The state's side of the Schema tab ([`SchemaTab`]): starting, cancelling
//! and outdating the analysis, taking the worker's answers, and running the
//! filter a click in the tab asks for.

use std::time::Duration;

use serde_json::json;

use super::edit_forms::Tab;
use super::model::State;
use super::schema_tab::{SchemaKey, SchemaPick, SchemaStatus, narrowed};
use super::view::Total;
use crate::engine::schema::Schema;
use crate::interchange::CancelToken;
use crate::studio::format::one_line_json;
use crate::studio::worker::jobs::CancelHandle;
use crate::studio::worker::{RequestId, RequestKind, Slot};

impl State {
    /// The collection and filter the Schema tab should show now.
    fn schema_key(&self) -> Option<SchemaKey> {
        let view = self.current.as_ref()?;
        let filter = view
            .applied
            .as_ref()
            .map_or_else(|| json!({}), |q| q.filter.clone());
        Some(SchemaKey {
            collection: view.name.clone(),
            filter,
        })
    }

    /// Starts the analysis the tab needs, unless it has it, is making it,
    /// or the user cancelled or saw it fail (then the button asks again).
    /// Runs every frame the tab is on screen: compares in place, without
    /// building a key.
    pub fn ensure_schema(&mut self) {
        let Some(view) = self.current.as_ref() else {
            return;
        };
        let empty = json!({});
        let filter = view.applied.as_ref().map_or(&empty, |q| &q.filter);
        let same = self
            .schema
            .key
            .as_ref()
            .is_some_and(|k| k.collection == view.name && &k.filter == filter);
        if !same {
            self.analyse_schema();
        }
    }

    /// Analyses the applied filter's records now (again).
    pub fn analyse_schema(&mut self) {
        let Some(key) = self.schema_key() else {
            return;
        };
        if let SchemaStatus::Running { cancel, .. } = &self.schema.status {
            cancel.0.cancel();
        }
        let cancel = CancelToken::new();
        let id = self.send(RequestKind::Schema {
            collection: key.collection.clone(),
            filter: key.filter.clone(),
            cancel: CancelHandle(cancel.clone()),
        });
        let total = match self.current.as_ref().map(|v| &v.total) {
            Some(Total::Known(total)) => *total,
            _ => 0,
        };
        if self.schema.key.as_ref() != Some(&key) {
            self.schema.selected = None;
        }
        self.schema.key = Some(key);
        self.schema.outdated = false;
        self.schema.status = SchemaStatus::Running {
            id,
            read: 0,
            total,
            cancel: CancelHandle(cancel),
        };
    }

    pub fn cancel_schema(&mut self) {
        if let SchemaStatus::Running { cancel, .. } = &self.schema.status {
            cancel.0.cancel();
            self.schema.status = SchemaStatus::Cancelled;
        }
    }

    /// A click on a type, "missing" or a value: the Documents tab shows
    /// those records (the applied filter narrowed by the pick).
    pub fn show_schema_pick(&mut self, pick: &SchemaPick) {
        let Some(key) = self.schema.key.clone() else {
            return;
        };
        let filter = narrowed(&key.filter, pick.filter());
        self.query.filter = one_line_json(&filter);
        self.edit.tab = Tab::Documents;
        self.run_query();
    }

    pub(super) fn on_schema_progress(&mut self, id: RequestId, read: usize, of: usize) {
        if let SchemaStatus::Running {
            id: running,
            read: done,
            total,
            ..
        } = &mut self.schema.status
            && *running == id
        {
            *done = read;
            *total = of;
        }
    }

    pub(super) fn on_schema(&mut self, id: RequestId, schema: Box<Schema>, elapsed: Duration) {
        if self.is_latest(&Slot::Schema, id)
            && matches!(self.schema.status, SchemaStatus::Running { id: running, .. } if running == id)
        {
            self.schema.status = SchemaStatus::Done { schema, elapsed };
        }
    }

    pub(super) fn on_schema_failed(&mut self, id: RequestId, why: &str) {
        if matches!(self.schema.status, SchemaStatus::Running { id: running, .. } if running == id)
        {
            self.schema.status = SchemaStatus::Failed(why.to_owned());
        }
    }

    /// The collection on screen was written: an analysis of it is outdated.
    pub(super) fn schema_outdated(&mut self) {
        // A chart of the same records is outdated alike.
        self.chart_outdated();
        let shown = self.current.as_ref().map(|view| &view.name);
        if self.schema.key.as_ref().map(|k| &k.collection) == shown {
            self.schema.outdated = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::test_support::{find, opened, requests};
    use super::*;
    use crate::engine::schema::SchemaBuilder;
    use crate::studio::worker::{Event, EventKind};

    /// The Schema tab asked for its analysis: the request sent and its token.
    fn analysing(state: &mut State) -> (RequestId, CancelToken) {
        state.ensure_schema();
        let sent = requests(state);
        let request = find(&sent, Slot::Schema).expect("an analysis request");
        match request.kind {
            RequestKind::Schema {
                collection,
                filter,
                cancel,
            } => {
                assert_eq!((collection.as_str(), filter), ("people", json!({})));
                (request.id, cancel.0)
            }
            other => panic!("not an analysis: {other:?}"),
        }
    }

    fn answer(id: RequestId) -> Event {
        let mut builder = SchemaBuilder::new();
        builder.add(&crate::engine::test_doc(json!({"_id": "a", "age": "31"})));
        Event {
            id,
            kind: EventKind::Schema {
                schema: Box::new(builder.finish("people")),
                elapsed: Duration::from_millis(2),
            },
        }
    }

    #[test]
    fn the_tab_analyses_once_per_collection_and_filter() {
        let (mut state, _, _) = opened();
        let (id, _) = analysing(&mut state);
        state.ensure_schema();
        assert!(find(&requests(&mut state), Slot::Schema).is_none());
        state.apply(Event {
            id,
            kind: EventKind::SchemaProgress { read: 5, total: 10 },
        });
        assert_eq!(state.schema.progress(), Some(0.5));
        state.apply(answer(id));
        assert_eq!(state.schema.schema().map(|s| s.records), Some(1));
        state.ensure_schema();
        assert!(find(&requests(&mut state), Slot::Schema).is_none());

        // A new filter is a new analysis; a write outdates the result only.
        state.query.filter = r#"{"age": 3}"#.into();
        state.run_query();
        state.ensure_schema();
        let again = find(&requests(&mut state), Slot::Schema).expect("analysed again");
        assert!(
            matches!(again.kind, RequestKind::Schema { filter, .. } if filter == json!({"age": 3}))
        );
        state.apply(answer(again.id));
        state.schema_outdated();
        assert!(state.schema.outdated);
        state.ensure_schema();
        assert!(find(&requests(&mut state), Slot::Schema).is_none());
    }

    #[test]
    fn cancel_fires_the_token_and_a_late_answer_is_dropped() {
        let (mut state, _, _) = opened();
        let (id, token) = analysing(&mut state);
        state.cancel_schema();
        assert!(token.is_cancelled());
        assert_eq!(state.schema.status, SchemaStatus::Cancelled);
        state.apply(answer(id));
        assert_eq!(state.schema.status, SchemaStatus::Cancelled);
        // Not started again on its own; the button does.
        state.ensure_schema();
        assert!(find(&requests(&mut state), Slot::Schema).is_none());
        state.analyse_schema();
        assert!(find(&requests(&mut state), Slot::Schema).is_some());
    }

    #[test]
    fn a_failure_is_shown_in_the_tab_not_the_status_line() {
        let (mut state, _, _) = opened();
        let (id, _) = analysing(&mut state);
        state.apply(Event {
            id,
            kind: EventKind::Failed {
                what: "analysing people".into(),
                why: "the file is damaged".into(),
            },
        });
        assert_eq!(
            state.schema.status,
            SchemaStatus::Failed("the file is damaged".into())
        );
        assert!(state.status.last_error.is_none());
    }

    #[test]
    fn a_click_shows_those_records_in_the_documents_tab() {
        let (mut state, _, _) = opened();
        state.edit.tab = Tab::Schema;
        state.query.filter = r#"{"city": "Oslo"}"#.into();
        state.run_query();
        let (id, _) = {
            state.ensure_schema();
            let sent = requests(&mut state);
            let r = find(&sent, Slot::Schema).unwrap();
            (r.id, ())
        };
        state.apply(answer(id));
        state.show_schema_pick(&SchemaPick::Missing { path: "age".into() });
        assert_eq!(state.edit.tab, Tab::Documents);
        let applied = state.current.as_ref().and_then(|v| v.applied.as_ref());
        assert_eq!(
            applied.map(|q| q.filter.clone()),
            Some(json!({"city": "Oslo", "age": {"$exists": false}}))
        );
    }
}
