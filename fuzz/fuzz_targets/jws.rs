#![no_main]
//! See `idp_core::fuzzing::jws` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_core::fuzzing::jws(data));
