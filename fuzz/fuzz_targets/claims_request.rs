#![no_main]
//! See `idp_core::fuzzing::claims_request` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_core::fuzzing::claims_request(data));
