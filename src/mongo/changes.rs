//! A collection's change stream, for `fluxdb watch` on a server.
//!
//! The stream is run by its commands (`aggregate` with a `$changeStream`
//! stage, then `getMore` in the same session) rather than the driver's
//! `watch()`, whose reply parser wants a 64-bit cursor id: nx-27017 (the
//! test server) sends its change stream cursor ids as 32-bit integers, and
//! the driver's `watch()` fails there with "unexpected element type: Int32,
//! expected: Int64". The commands are MongoDB's own, so a replica set runs
//! them the same way.
//!
//! Each look is one `getMore` (the server waits up to the look's interval
//! for a change, where it waits at all). The resume token of the last
//! change handed on is the position: a later watch resumes after it. A
//! look that fails closes the cursor, and the next look resumes from the
//! position; after an `invalidate` (the collection dropped or renamed) the
//! stream starts again after it, so a collection made again is followed.

use std::time::Duration;

use mongodb::ClientSession;
use mongodb::bson::{Bson, Document as BsonDocument, doc};
use serde_json::Value;

use super::convert::{document_to_json, id_text, json_to_document};
use super::server::MongoServer;
use crate::engine::Document;
use crate::error::{Error, Result};

/// One change of a watched collection, as the server's stream gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerChange {
    Insert {
        id: String,
        doc: Document,
    },
    /// An update or a replacement: the document after it, if the server
    /// still had it when asked (`updateLookup`).
    Update {
        id: String,
        doc: Option<Document>,
    },
    /// The document before the delete, where the server gives it.
    Delete {
        id: String,
        before: Option<Document>,
    },
    /// The collection was dropped or renamed, or its database dropped.
    Dropped,
}

/// Where a watch of a server collection has got to: the change stream's
/// resume token, printed as text and given back as `--since`.
#[derive(Clone, Debug, PartialEq)]
pub struct WatchPosition(BsonDocument);

impl WatchPosition {
    /// A position as text, from an earlier watch: a token's `_data` string
    /// (what MongoDB's tokens hold), or a token object as JSON.
    pub fn parse(text: &str) -> Result<WatchPosition> {
        let text = text.trim();
        if text.starts_with('{') {
            let value: Value = serde_json::from_str(text).map_err(|e| Error::UnknownName {
                what: "server watch position".to_owned(),
                name: text.to_owned(),
                expected: format!("a position a watch printed ({e})"),
            })?;
            return Ok(WatchPosition(json_to_document(&value, "the position")?));
        }
        if text.is_empty() {
            return Err(Error::UnknownName {
                what: "server watch position".to_owned(),
                name: String::new(),
                expected: "a position a watch printed".to_owned(),
            });
        }
        Ok(WatchPosition(doc! {"_data": text}))
    }
}

impl std::fmt::Display for WatchPosition {
    /// The `_data` string of a token that is only that, else the token as
    /// JSON: either way what [`WatchPosition::parse`] reads back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0.len(), self.0.get("_data")) {
            (1, Some(Bson::String(data))) => f.write_str(data),
            _ => {
                let json = Value::Object(document_to_json(self.0.clone()));
                write!(f, "{json}")
            }
        }
    }
}

/// An open change stream of one collection.
pub struct ChangeFeed {
    collection: String,
    /// The session the stream's commands run in (a server wants `getMore`
    /// in the session that opened the cursor).
    session: ClientSession,
    /// The server's cursor; 0 when closed (to open again at the next look).
    cursor: i64,
    /// The resume token after the last change handed on.
    position: Option<WatchPosition>,
    /// The last change handed on was an `invalidate`: open again after it.
    invalidated: bool,
    /// How long a `getMore` may wait for a change.
    wait: Duration,
}

impl ChangeFeed {
    /// Where the feed has got to, to give back as `--since` later.
    pub fn position(&self) -> Option<&WatchPosition> {
        self.position.as_ref()
    }
}

impl MongoServer {
    /// Opens the change stream of `collection` (which must exist, as on a
    /// folder): the changes after now, or after `since`. A look
    /// ([`next_changes`](Self::next_changes)) waits up to `wait` for one.
    pub fn watch(
        &self,
        collection: &str,
        since: Option<WatchPosition>,
        wait: Duration,
    ) -> Result<ChangeFeed> {
        self.require_collection(collection)?;
        let session = self.block_on(self.client()?.start_session())?;
        let mut feed = ChangeFeed {
            collection: collection.to_owned(),
            session,
            cursor: 0,
            position: since,
            invalidated: false,
            wait,
        };
        let mut none = |_: ServerChange| Ok(());
        self.open_stream(&mut feed, &mut none)?;
        Ok(feed)
    }

    /// One look: hands each change the server has (in order) to `each`.
    /// An error from `each` stops it; the position stays at the last
    /// change handed on. A failed look leaves the feed to resume from its
    /// position at the next.
    pub fn next_changes(
        &self,
        feed: &mut ChangeFeed,
        each: &mut dyn FnMut(ServerChange) -> Result<()>,
    ) -> Result<()> {
        if feed.cursor == 0 {
            return self.open_stream(feed, each);
        }
        let wait_ms = i64::try_from(feed.wait.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        let command = doc! {
            "getMore": feed.cursor,
            "collection": feed.collection.as_str(),
            "maxTimeMS": wait_ms,
        };
        let database = self.database()?;
        let reply = self.block_on(database.run_command(command).session(&mut feed.session));
        match reply {
            Ok(reply) => self.take_batch(feed, &reply, "nextBatch", each),
            Err(error) => {
                feed.cursor = 0;
                Err(error)
            }
        }
    }

    /// Ends the stream on the server (best effort: a server that went away
    /// drops it itself).
    pub fn close_watch(&self, feed: ChangeFeed) {
        if feed.cursor != 0
            && let Ok(database) = self.database()
        {
            let command = doc! {"killCursors": feed.collection.as_str(), "cursors": [feed.cursor]};
            let _ = self.block_on(database.run_command(command));
        }
    }

    fn open_stream(
        &self,
        feed: &mut ChangeFeed,
        each: &mut dyn FnMut(ServerChange) -> Result<()>,
    ) -> Result<()> {
        let mut stage = doc! {"fullDocument": "updateLookup"};
        if let Some(position) = &feed.position {
            let key = if feed.invalidated {
                "startAfter"
            } else {
                "resumeAfter"
            };
            stage.insert(key, position.0.clone());
        }
        let command = doc! {
            "aggregate": feed.collection.as_str(),
            "pipeline": [{"$changeStream": stage}],
            "cursor": {},
        };
        let database = self.database()?;
        let reply = self.block_on(database.run_command(command).session(&mut feed.session))?;
        feed.invalidated = false;
        self.take_batch(feed, &reply, "firstBatch", each)
    }

    /// The changes of one reply, handed on; the cursor and position kept.
    fn take_batch(
        &self,
        feed: &mut ChangeFeed,
        reply: &BsonDocument,
        batch: &str,
        each: &mut dyn FnMut(ServerChange) -> Result<()>,
    ) -> Result<()> {
        let cursor = reply
            .get_document("cursor")
            .map_err(|_| self.place_error("the change stream's reply has no cursor".to_owned()))?;
        feed.cursor = match cursor.get("id") {
            Some(Bson::Int64(id)) => *id,
            Some(Bson::Int32(id)) => i64::from(*id),
            _ => 0,
        };
        let events = cursor.get_array(batch).map(Vec::as_slice).unwrap_or(&[]);
        for event in events {
            let Bson::Document(event) = event else {
                continue;
            };
            if let Some(change) = change_of(event) {
                each(change)?;
            }
            if let Ok(token) = event.get_document("_id") {
                feed.position = Some(WatchPosition(token.clone()));
            }
            feed.invalidated = event.get_str("operationType") == Ok("invalidate");
        }
        // Past the whole batch: the server's token for it (a stream that
        // saw no change of this collection still moves on).
        if let Ok(token) = cursor.get_document("postBatchResumeToken")
            && !feed.invalidated
        {
            feed.position = Some(WatchPosition(token.clone()));
        }
        Ok(())
    }
}

/// A change event as a [`ServerChange`]; `None` for events a folder's
/// watch has no line for (`invalidate`, and any other kind).
fn change_of(event: &BsonDocument) -> Option<ServerChange> {
    let document = |key: &str| event.get_document(key).ok().cloned().map(document_to_json);
    let id = event
        .get_document("documentKey")
        .ok()
        .and_then(|key| key.get("_id"))
        .or_else(|| {
            event
                .get_document("fullDocument")
                .ok()
                .and_then(|doc| doc.get("_id"))
        })
        .map(id_text);
    match event.get_str("operationType").ok()? {
        "insert" => Some(ServerChange::Insert {
            id: id?,
            doc: document("fullDocument")?,
        }),
        "update" | "replace" => Some(ServerChange::Update {
            id: id?,
            doc: document("fullDocument"),
        }),
        // MongoDB gives the document before a delete only with pre-images
        // (`fullDocumentBeforeChange`); nx-27017 gives it as `fullDocument`.
        "delete" => Some(ServerChange::Delete {
            id: id?,
            before: document("fullDocumentBeforeChange").or_else(|| document("fullDocument")),
        }),
        "drop" | "rename" | "dropDatabase" => Some(ServerChange::Dropped),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_position_reads_back_as_it_was_printed() {
        for text in ["nx:13", "8263A1B2C3000000012B0229296E04"] {
            let position = WatchPosition::parse(text).ok();
            assert_eq!(position.map(|p| p.to_string()).as_deref(), Some(text));
        }
        let token = r#"{"_data":"x","v":2}"#;
        let position = WatchPosition::parse(token).ok();
        assert_eq!(position.map(|p| p.to_string()).as_deref(), Some(token));
        assert!(WatchPosition::parse(" ").is_err());
        assert!(WatchPosition::parse("{not json").is_err());
    }

    #[test]
    fn events_become_a_folder_watch_changes() {
        let insert = doc! {
            "_id": {"_data": "nx:1"}, "operationType": "insert",
            "fullDocument": {"_id": "a", "n": 1}, "documentKey": {"_id": "a"},
        };
        assert_eq!(
            change_of(&insert),
            Some(ServerChange::Insert {
                id: "a".to_owned(),
                doc: json!({"_id": "a", "n": 1})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            })
        );
        let replace = doc! {"operationType": "replace", "documentKey": {"_id": "a"}};
        assert_eq!(
            change_of(&replace),
            Some(ServerChange::Update {
                id: "a".to_owned(),
                doc: None
            })
        );
        let delete = doc! {"operationType": "delete", "documentKey": {"_id": 7}};
        assert_eq!(
            change_of(&delete),
            Some(ServerChange::Delete {
                id: "7".to_owned(),
                before: None
            })
        );
        assert_eq!(
            change_of(&doc! {"operationType": "rename"}),
            Some(ServerChange::Dropped)
        );
        assert_eq!(change_of(&doc! {"operationType": "invalidate"}), None);
        assert_eq!(change_of(&doc! {"operationType": "insert"}), None);
    }
}
