#![no_main]
//! See `fluxdb::fuzzing::open_legacy`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluxdb::fuzzing::open_legacy(data));
