#![no_main]
//! See `idp_core::fuzzing::endpoints::Endpoints::request_object` for what is checked.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let fixture = idp_fuzz::fixture();
    fixture
        .runtime
        .block_on(fixture.endpoints.request_object(data));
});
