#![no_main]
//! See `idp_core::fuzzing::cookies` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_core::fuzzing::cookies(data));
