#![no_main]
//! See `fluxdb::fuzzing::open_checkpoint`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluxdb::fuzzing::open_checkpoint(data));
