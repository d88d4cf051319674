#![no_main]
//! See `fluxdb::fuzzing::parse_filter`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluxdb::fuzzing::parse_filter(data));
