//! [`copy_collection`]: one collection from any [`Backend`] to any other
//! (folder → server, server → folder, server → server, folder → folder),
//! with its documents and its index definitions.
//!
//! The source is read on the calling thread, `COPY_BATCH` documents at a
//! time, and handed through a short channel to the destination, written on
//! a thread of its own: both sides work at once, and memory stays a few
//! batches whatever the collection's size. If either side fails, the other
//! stops at its next batch; the error says which collection, how far the
//! copy got and what the destination holds (nothing of it, for a folder).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use serde_json::Value;

use super::seam::{Backend, IndexDefinitions};
use crate::engine::Document;
use crate::error::{Error, Result};

/// Documents read, sent and written at a time.
pub const COPY_BATCH: usize = 1000;

/// Batches in flight between the source and the destination.
const BATCHES_IN_FLIGHT: usize = 4;

/// What one collection's copy did.
#[derive(Clone, Debug, PartialEq)]
pub struct CopyReport {
    pub collection: String,
    pub records: u64,
    /// The index definitions copied (fields).
    pub indexes: Vec<String>,
    /// Indexes the destination cannot hold, each with why.
    pub not_copied: Vec<String>,
}

/// What the source hands the destination.
enum Batch {
    Documents(Vec<Document>),
    /// Everything was read: the destination may commit.
    End,
}

/// Copies `collection` from `source` to `destination`, where it must not
/// exist or be empty (a copy does not merge). `progress(copied, total)`
/// hears the records handed over so far.
pub fn copy_collection(
    source: &dyn Backend,
    destination: &mut dyn Backend,
    collection: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<CopyReport> {
    if !source.has_collection(collection)? {
        return Err(Error::CollectionNotFound(collection.to_owned()));
    }
    let everything = Value::Object(Default::default());
    if destination.has_collection(collection)? {
        let there = destination.count(collection, &everything)?;
        if there > 0 {
            return Err(Error::NotEmpty {
                collection: collection.to_owned(),
                place: destination.place(),
                records: there,
            });
        }
    }
    let IndexDefinitions {
        mut fields,
        not_copied,
    } = source.index_definitions(collection)?;
    fields.sort();
    let total = source.count(collection, &everything)?;
    let written = AtomicU64::new(0);
    let atomic = destination.writes_atomically();
    let place = destination.place();
    let mut sent = 0u64;
    let (read, wrote) = std::thread::scope(|scope| {
        let (to_writer, batches) = sync_channel::<Batch>(BATCHES_IN_FLIGHT);
        let writer = scope.spawn(|| {
            let mut next = receiver(batches);
            destination.write_collection(collection, &fields, &mut next, &mut |n| {
                written.store(n, Ordering::Relaxed);
            })
        });
        let read = source.read_batches(collection, COPY_BATCH, &mut |batch| {
            let n = batch.len() as u64;
            // A closed channel: the writer stopped, and its error says why.
            to_writer
                .send(Batch::Documents(batch))
                .map_err(|_| Error::Cancelled)?;
            sent += n;
            progress(sent, total);
            Ok(())
        });
        if read.is_ok() {
            let _ = to_writer.send(Batch::End);
        }
        drop(to_writer);
        let wrote = writer.join().unwrap_or_else(|_| {
            Err(Error::Transaction(
                "the copy's writer thread stopped unexpectedly".to_owned(),
            ))
        });
        (read, wrote)
    });
    let cause = match (read, wrote) {
        (Ok(()), Ok(records)) => {
            return Ok(CopyReport {
                collection: collection.to_owned(),
                records,
                indexes: fields,
                not_copied,
            });
        }
        // The reader's error caused the writer's, unless the reader only
        // stopped because the writer had.
        (Err(Error::Cancelled), Err(writer)) => writer,
        (Err(reader), _) => reader,
        (Ok(()), Err(writer)) => writer,
    };
    let stored = written.load(Ordering::Relaxed);
    let left = if atomic {
        format!("nothing of it was kept in {place}")
    } else {
        format!("{stored} records of it are in {place}")
    };
    Err(Error::CopyStopped {
        collection: collection.to_owned(),
        copied: sent.max(stored),
        total,
        cause: Box::new(cause),
        left,
    })
}

/// The destination's source of batches: `None` after [`Batch::End`]; a
/// channel closed without it means the source failed, so the destination
/// must not keep a partial copy.
fn receiver(batches: Receiver<Batch>) -> impl FnMut() -> Result<Option<Vec<Document>>> + Send {
    move || match batches.recv() {
        Ok(Batch::Documents(docs)) => Ok(Some(docs)),
        Ok(Batch::End) => Ok(None),
        Err(_) => Err(Error::Cancelled),
    }
}
