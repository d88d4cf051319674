//! The open engine behind a Python `FluxDB`, shared with its iterators and
//! transaction blocks, and how every call reaches it: the GIL released,
//! one call at a time, panics caught.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use fluxdb::engine::FluxDB;
use pyo3::prelude::*;

use crate::codec::PyCodec;
use crate::errors::{Context, Failure};

thread_local! {
    /// Set while this thread is inside the engine: a storage_backend that
    /// calls back into the database would otherwise wait for itself.
    static IN_ENGINE: Cell<bool> = const { Cell::new(false) };
}

pub struct Shared {
    db: Mutex<Option<FluxDB>>,
    /// The storage_backend, whose last Python exception becomes the
    /// `__cause__` of the error the call raises.
    codec: Option<Arc<PyCodec>>,
    /// Set when the engine panicked: later calls are refused.
    broken: OnceLock<String>,
    /// Whether `close` ran, readable without the lock: a thread holding the
    /// GIL must not wait for the lock, whose holder may be waiting for the
    /// GIL (to call a storage_backend).
    closed: AtomicBool,
}

/// Every open database, so that an interpreter exit closes them (their
/// buffered writes reach the disk) even if a reference outlives it.
static OPEN: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

impl Shared {
    pub fn new(db: FluxDB, codec: Option<Arc<PyCodec>>) -> Arc<Shared> {
        let shared = Arc::new(Shared {
            db: Mutex::new(Some(db)),
            codec,
            broken: OnceLock::new(),
            closed: AtomicBool::new(false),
        });
        let mut open = OPEN.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|weak| weak.strong_count() > 0);
        open.push(Arc::downgrade(&shared));
        shared
    }

    /// Runs `f` on the engine with the GIL released, so other Python
    /// threads run meanwhile; calls from several threads take turns.
    pub fn call<R: Send>(
        &self,
        py: Python<'_>,
        context: Context,
        f: impl FnOnce(&mut FluxDB) -> fluxdb::Result<R> + Send,
    ) -> PyResult<R> {
        py.detach(|| self.call_detached(context, f))
            .map_err(|failure| self.raise(py, failure))
    }

    fn call_detached<R>(
        &self,
        context: Context,
        f: impl FnOnce(&mut FluxDB) -> fluxdb::Result<R>,
    ) -> Result<R, Failure> {
        if IN_ENGINE.get() {
            return Err(Failure::Reentrant);
        }
        let mut guard = self.db.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(message) = self.broken.get() {
            return Err(Failure::Panicked(message.clone()));
        }
        let db = guard.as_mut().ok_or(Failure::Closed)?;
        if let Some(codec) = &self.codec {
            // Only this call's own backend exception may become its cause.
            drop(codec.take_error());
        }
        IN_ENGINE.set(true);
        let outcome = catch_unwind(AssertUnwindSafe(|| f(db)));
        IN_ENGINE.set(false);
        match outcome {
            Ok(result) => result.map_err(|e| Failure::Engine(e, context)),
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic".to_owned());
                let _ = self.broken.set(message.clone());
                Err(Failure::Panicked(message))
            }
        }
    }

    /// The Python exception for a failure, caused by the storage_backend's
    /// own exception when that is what failed.
    pub fn raise(&self, py: Python<'_>, failure: Failure) -> PyErr {
        let err = failure.into_py();
        if let Some(cause) = self.codec.as_ref().and_then(|c| c.take_error()) {
            err.set_cause(py, Some(cause));
        }
        err
    }

    /// Flushes and closes the engine (releasing the folder's lock); later
    /// calls raise "closed". Closing twice does nothing.
    pub fn close(&self, py: Python<'_>) -> PyResult<()> {
        let closed = py.detach(|| {
            let db = self
                .db
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            self.closed.store(true, Ordering::Release);
            match db {
                Some(db) => db.close().map_err(Failure::from),
                None => Ok(()),
            }
        });
        closed.map_err(|failure| self.raise(py, failure))
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Closes every database still open (the package registers it with
/// `atexit`): what was buffered is written, the folders are unlocked.
#[pyfunction]
pub fn _close_all(py: Python<'_>) -> PyResult<()> {
    let open: Vec<Arc<Shared>> = OPEN
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .drain(..)
        .filter_map(|weak| weak.upgrade())
        .collect();
    let mut first_error = None;
    for shared in open {
        if let Err(e) = shared.close(py) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
