//! Integration tests of the engine and the `fluxdb` binary (one test binary
//! keeps link times down).

mod architecture;
mod catalogue;
mod chart;
mod cli;
mod cli_diff;
mod compression;
mod crash;
mod crash_checkpoint;
mod crash_more;
mod engine;
mod explain;
mod faults;
mod follow;
mod interchange;
mod legacy;
mod mongo;
mod persisted;
mod properties;
mod query;
mod regressions;
mod schema;
mod shared;
mod storage_format;
mod support;
mod watch;
