#![no_main]
//! See `fluxdb::fuzzing::import_csv`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluxdb::fuzzing::import_csv(data));
