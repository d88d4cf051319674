//! Set-ups the state's tests share (the browsing, event and editing tests):
//! a state with a folder open and a collection shown, the requests it
//! queued, and a page answer from the worker.

use std::path::PathBuf;
use std::time::Duration;

use super::model::State;
use super::outbox::Outgoing;
use crate::studio::settings::Settings;
use crate::studio::worker::{Event, EventKind, OpenedFolder, Request, RequestId, Slot};
use serde_json::json;

pub(crate) use crate::engine::test_doc as doc;

pub fn requests(state: &mut State) -> Vec<Request> {
    state
        .take_outgoing()
        .into_iter()
        .filter_map(|out| match out {
            Outgoing::Request(request) => Some(request),
            Outgoing::Cancel | Outgoing::Discard(_) => None,
        })
        .collect()
}

pub fn find(requests: &[Request], slot: Slot) -> Option<Request> {
    requests
        .iter()
        .rev()
        .find(|r| r.kind.slot() == slot)
        .cloned()
}

/// A state with `/db` open and `people` selected; returns the page and count ids.
pub fn opened() -> (State, RequestId, RequestId) {
    opened_with(false)
}

/// [`opened`], the folder read-only (another program writes it) if asked.
pub fn opened_with(read_only: bool) -> (State, RequestId, RequestId) {
    let mut state = State::new(Settings::default());
    state.open_folder(PathBuf::from("/db"), false);
    let open = requests(&mut state);
    state.apply(Event {
        id: open[0].id,
        kind: EventKind::Opened(OpenedFolder {
            path: PathBuf::from("/db"),
            read_only,
            shared: false,
            legacy: false,
            collections: vec!["people".into(), "places".into()],
        }),
    });
    let sent = requests(&mut state);
    let page = find(&sent, Slot::Page).map_or(0, |r| r.id);
    let count = find(&sent, Slot::Count).map_or(0, |r| r.id);
    (state, page, count)
}

pub fn page_event(id: RequestId, skip: usize, n: usize) -> Event {
    Event {
        id,
        kind: EventKind::Page {
            collection: "people".into(),
            skip,
            docs: (0..n)
                .map(|i| doc(json!({"_id": format!("r{}", skip + i), "n": i})))
                .collect(),
            elapsed: Duration::from_millis(3),
            explain: None,
        },
    }
}
