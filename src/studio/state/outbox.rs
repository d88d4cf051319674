//! The state's end of the conversation with the worker: the messages the
//! actions produce, waiting for the app to hand them over, and the newest
//! request of each [`Slot`], so that answers to older ones are dropped on
//! arrival.

use std::collections::BTreeMap;

use super::folding::is_big;
use super::view::Page;
use crate::studio::worker::{Request, RequestId, RequestKind, Slot};

/// A message for the worker, produced by an action.
#[derive(Clone, Debug, PartialEq)]
pub enum Outgoing {
    Request(Request),
    Cancel,
    /// A page replaced on screen that holds big values, for the app to
    /// free off the UI thread: freeing a 16 MiB record takes tens of ms.
    Discard(Box<Page>),
}

/// The messages not yet handed to the worker, and the newest request id of
/// each slot.
#[derive(Debug, Default)]
pub struct Outbox {
    messages: Vec<Outgoing>,
    next_id: RequestId,
    latest: BTreeMap<Slot, RequestId>,
}

impl Outbox {
    /// Queues a request; it supersedes the older ones of its slot.
    pub fn send(&mut self, kind: RequestKind) -> RequestId {
        self.next_id += 1;
        let id = self.next_id;
        self.latest.insert(kind.slot(), id);
        self.messages.push(Outgoing::Request(Request { id, kind }));
        id
    }

    /// Lets go of a page: one holding big values goes to the app to free.
    pub fn discard(&mut self, page: Page) {
        if page.docs.iter().any(|doc| doc.values().any(is_big)) {
            self.messages.push(Outgoing::Discard(Box::new(page)));
        }
    }

    /// Whether `id` is the newest request of `slot`.
    pub fn is_latest(&self, slot: &Slot, id: RequestId) -> bool {
        self.latest.get(slot) == Some(&id)
    }

    /// The slot request `id` is the newest of, if it still is.
    pub fn slot_of(&self, id: RequestId) -> Option<Slot> {
        self.latest
            .iter()
            .find(|(_, latest)| **latest == id)
            .map(|(slot, _)| slot.clone())
    }

    /// Stops waiting for the page, the count and the sidebar's details: the
    /// worker drops what is queued and late answers are ignored.
    pub fn cancel(&mut self) {
        self.messages.push(Outgoing::Cancel);
        self.latest
            .retain(|slot, _| !matches!(slot, Slot::Page | Slot::Count | Slot::Info(_)));
    }

    /// The folder was left: only the answer to the folder request matters.
    pub fn forget_all_but_folder(&mut self) {
        let folder_request = self.latest.get(&Slot::Folder).copied();
        self.latest.clear();
        if let Some(id) = folder_request {
            self.latest.insert(Slot::Folder, id);
        }
    }

    /// The messages queued since the last call.
    pub fn take(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.messages)
    }
}

#[cfg(test)]
mod discard_tests {
    use serde_json::json;

    use super::*;
    use crate::engine::test_doc as doc;

    #[test]
    fn only_a_page_with_big_values_is_freed_off_the_ui_thread() {
        let mut outbox = Outbox::default();
        outbox.discard(Page::new(0, vec![doc(json!({"_id": "a", "n": 1}))]));
        assert!(outbox.take().is_empty(), "a small page is freed in place");
        let big = Page::new(0, vec![doc(json!({"_id": "b", "s": "x".repeat(10_000)}))]);
        outbox.discard(big.clone());
        assert_eq!(outbox.take(), vec![Outgoing::Discard(Box::new(big))]);
    }
}
