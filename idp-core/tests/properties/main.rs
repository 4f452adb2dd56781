//! Property tests of every parser of untrusted input (proptest): each
//! runs the same checks as its fuzz target in `fuzz/`
//! ([`idp_core::fuzzing`]) on generated inputs, arbitrary bytes and inputs
//! shaped like the real thing, and adds the round trips that need
//! structured input. `cargo test -p idp-core --test properties`.

mod endpoints;
mod parsers;
