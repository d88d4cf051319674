//! Durations in explain output: milliseconds as a number (`0.125`), which
//! reads better in JSON than serde's `{"secs", "nanos"}`.

use std::time::Duration;

use serde::Serializer;

pub(crate) fn as_millis<S: Serializer>(time: &Duration, out: S) -> Result<S::Ok, S::Error> {
    // Microsecond precision: finer is noise.
    out.serialize_f64((time.as_secs_f64() * 1e6).round() / 1e3)
}
