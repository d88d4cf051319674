//! A folder another program writes, opened read-only and followed: the
//! worker looks for new commits while idle and tells what it found; the
//! sidebar counts, the page on screen (same page, sort, filter, selection)
//! and the record in the editor are read again. Pause holds the view
//! still; once the other program closes the folder it can be opened for
//! writing without leaving the collection on screen.

use super::model::State;
use super::view::{CollectionEntry, KeptView};
use crate::studio::worker::{LiveUpdate, RequestKind};

impl State {
    /// Holds the view still (`false`) or follows the writer again.
    pub fn set_following(&mut self, live: bool) {
        if let Some(status) = self.status.live.as_mut() {
            status.following = live;
            self.send(RequestKind::Follow { live });
        }
    }

    /// The other program closed the folder: open it again, this time for
    /// writing, showing the same collection.
    pub fn open_for_writing(&mut self) {
        let Some(folder) = &self.folder else {
            return;
        };
        let path = folder.path.clone();
        self.reselect = self.current.as_ref().map(|view| view.name.clone());
        self.open_folder(path, false);
    }

    pub(super) fn on_live(&mut self, update: LiveUpdate) {
        let Some(status) = self.status.live.as_mut() else {
            return;
        };
        status.changes += update.changes.changes;
        status.writer_gone = !update.writer_present;
        if let Some(names) = update.collections {
            let mut old = std::mem::take(&mut self.collections);
            self.collections = names
                .iter()
                .map(|name| match old.iter().position(|e| &e.name == name) {
                    Some(at) => old.swap_remove(at),
                    None => CollectionEntry {
                        name: name.clone(),
                        summary: None,
                    },
                })
                .collect();
            for name in &names {
                if !update.changes.changed.contains(name) {
                    self.send(RequestKind::Info {
                        collection: name.clone(),
                    });
                }
            }
            let current = self.current.as_ref().map(|view| view.name.clone());
            match current {
                Some(name) if !names.contains(&name) => match names.first() {
                    Some(first) => self.select_collection(&first.clone()),
                    None => self.current = None,
                },
                None if !names.is_empty() => self.select_collection(&names[0].clone()),
                _ => {}
            }
        }
        for name in &update.changes.changed {
            self.send(RequestKind::Info {
                collection: name.clone(),
            });
        }
        let shown = self.current.as_ref().map(|view| &view.name);
        if shown.is_some_and(|name| update.changes.changed.contains(name)) {
            self.refresh_live_view();
        }
    }

    /// Reads the page on screen and its count again, keeping the page,
    /// the query, the selection and the expanded value; the total stays
    /// shown until the new count replaces it.
    fn refresh_live_view(&mut self) {
        let Some(view) = self.current.as_mut() else {
            return;
        };
        let Some(applied) = view.applied.clone() else {
            return;
        };
        let id_of = |row: usize| {
            let doc = view.page.as_ref()?.docs.get(row)?;
            doc.get("_id")?.as_str().map(str::to_owned)
        };
        view.kept = Some(KeptView {
            selected: view
                .selection
                .rows
                .iter()
                .filter_map(|&row| id_of(row))
                .collect(),
            expanded: view
                .expanded
                .as_ref()
                .and_then(|(row, field)| Some((id_of(*row)?, field.clone()))),
        });
        let collection = view.name.clone();
        self.schema_outdated();
        self.request_page();
        self.send(RequestKind::Count {
            collection,
            filter: applied.filter,
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::studio::state::test_support::{doc, find, opened_with, page_event, requests};
    use crate::studio::state::{ClickModifiers, Total};
    use crate::studio::worker::{Event, EventKind, LiveChanges, RequestKind, Slot};

    fn live(changed: &[&str], changes: usize, writer_present: bool) -> Event {
        Event {
            id: 0,
            kind: EventKind::Live(LiveUpdate {
                changes: LiveChanges {
                    changes,
                    changed: changed.iter().map(|s| s.to_string()).collect(),
                    catalogue_changed: false,
                },
                writer_present,
                collections: None,
            }),
        }
    }

    #[test]
    fn a_commit_reads_the_page_again_keeping_selection_page_and_total() {
        let (mut state, page, _) = opened_with(true);
        state.apply(page_event(page, 0, 3));
        let view = state.current.as_mut().unwrap();
        view.total = Total::Known(3);
        view.selection.click(1, ClickModifiers::default());

        state.apply(live(&["people"], 2, true));
        assert_eq!(state.status.live.as_ref().unwrap().changes, 2);
        let sent = requests(&mut state);
        let again = find(&sent, Slot::Page).expect("the page is read again");
        assert!(matches!(again.kind, RequestKind::Page { skip: 0, .. }));
        assert!(find(&sent, Slot::Count).is_some());
        assert!(find(&sent, Slot::Info("people".to_owned())).is_some());
        // The total stays until the new count arrives.
        assert_eq!(state.current.as_ref().unwrap().total, Total::Known(3));

        // r1 is now on row 2: it is still the one selected.
        let docs = ["new", "r0", "r1"].iter().map(|id| doc(json!({"_id": id})));
        state.apply(Event {
            id: again.id,
            kind: EventKind::Page {
                collection: "people".into(),
                skip: 0,
                docs: docs.collect(),
                elapsed: Duration::from_millis(1),
                explain: None,
            },
        });
        let view = state.current.as_ref().unwrap();
        assert_eq!(view.selection.rows.iter().copied().collect::<Vec<_>>(), [2]);
        assert_eq!(view.page.as_ref().unwrap().docs.len(), 3);
    }

    #[test]
    fn commits_to_another_collection_only_refresh_its_sidebar_count() {
        let (mut state, page, _) = opened_with(true);
        state.apply(page_event(page, 0, 3));
        state.apply(live(&["places"], 1, true));
        let sent: Vec<_> = requests(&mut state).into_iter().map(|r| r.kind).collect();
        assert_eq!(
            sent,
            [RequestKind::Info {
                collection: "places".to_owned()
            }]
        );
    }

    #[test]
    fn pause_resume_and_open_for_writing_once_the_writer_is_gone() {
        let (mut state, _, _) = opened_with(true);
        requests(&mut state);
        state.set_following(false);
        let sent: Vec<_> = requests(&mut state).into_iter().map(|r| r.kind).collect();
        assert_eq!(sent, [RequestKind::Follow { live: false }]);
        assert!(!state.status.live.as_ref().unwrap().following);
        state.apply(live(&[], 0, false));
        assert!(state.status.live.as_ref().unwrap().writer_gone);
        state.open_for_writing();
        let sent: Vec<_> = requests(&mut state).into_iter().map(|r| r.kind).collect();
        assert!(matches!(
            &sent[..],
            [RequestKind::Open { create: false, .. }]
        ));
        assert_eq!(state.reselect.as_deref(), Some("people"));
    }

    #[test]
    fn a_folder_this_app_writes_is_not_live() {
        let (mut state, _, _) = opened_with(false);
        assert!(state.status.live.is_none());
        state.set_following(false);
        assert!(requests(&mut state).is_empty());
    }
}
