//! Lines written from inside an engine call (a streamed find, a watch, a
//! diff): an output error stops the call, as `Error::Cancelled`, and is
//! what the command reports, not the cancellation it caused.

use std::io::Write;

use serde::Serialize;

use crate::Error;

pub(super) struct LineOut<'o, W: Write> {
    out: &'o mut W,
    failed: Option<std::io::Error>,
}

impl<'o, W: Write> LineOut<'o, W> {
    pub(super) fn new(out: &'o mut W) -> Self {
        LineOut { out, failed: None }
    }

    /// Writes `text` and a newline.
    pub(super) fn text(&mut self, text: &str) -> crate::Result<()> {
        let written = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"));
        self.keep(written)
    }

    /// Writes `value` as one line of JSON.
    pub(super) fn json(&mut self, value: &impl Serialize) -> crate::Result<()> {
        let written = serde_json::to_writer(&mut *self.out, value)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        self.keep(written)
    }

    pub(super) fn flush(&mut self) -> crate::Result<()> {
        let flushed = self.out.flush();
        self.keep(flushed)
    }

    fn keep(&mut self, written: std::io::Result<()>) -> crate::Result<()> {
        written.map_err(|e| {
            self.failed = Some(e);
            Error::Cancelled
        })
    }

    /// The engine call's outcome, an output error first (it caused the
    /// call's `Cancelled`).
    pub(super) fn outcome<T, F>(&mut self, result: crate::Result<T>) -> Result<T, F>
    where
        F: From<std::io::Error> + From<Error>,
    {
        match self.failed.take() {
            Some(e) => Err(e.into()),
            None => result.map_err(F::from),
        }
    }
}
