#![no_main]
//! See `fluxdb::fuzzing::import_jsonl`.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| fluxdb::fuzzing::import_jsonl(data));
