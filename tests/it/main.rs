//! Integration tests of the engine and the `fluxdb` binary (one test binary
//! keeps link times down).

mod cli;
mod crash;
mod engine;
mod faults;
mod legacy;
mod query;
mod storage_format;
mod support;
