#![no_main]
//! See `idp_core::fuzzing::form_params` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_core::fuzzing::form_params(data));
