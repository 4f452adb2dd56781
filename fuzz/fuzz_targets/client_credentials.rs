#![no_main]
//! See `idp_core::fuzzing::client_credentials` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| idp_core::fuzzing::client_credentials(data));
