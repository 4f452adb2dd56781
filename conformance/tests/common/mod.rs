//! Helpers shared by the conformance test binaries (`mod common;` in each).

#![allow(dead_code)]

pub mod tls;
