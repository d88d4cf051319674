#![no_main]
//! See `fluxdb::fuzzing::parse_projection`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluxdb::fuzzing::parse_projection(data));
