//! # conformance
//!
//! A relying party that checks an OpenID Provider against the OpenID
//! Foundation's OP test plans, module by module, with the suite's module ids
//! and pass rules (see `shared/oidf-op-test-plans.md` in the project).
//!
//! Implemented so far: `oidcc-discovery-endpoint-verification` (Config OP).
//! The Basic, Form Post, Dynamic and logout plans come with the conformance
//! issue.

pub mod modules;
pub mod report;

pub use report::{Outcome, Report, Status};

/// Runs every implemented module against `issuer`.
pub async fn run_all(http: &reqwest::Client, issuer: &str) -> Vec<Report> {
    vec![modules::discovery::run(http, issuer).await]
}
