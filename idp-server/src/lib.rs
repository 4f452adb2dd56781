//! # idp-server
//!
//! The self-hostable idp server: configuration, the HTTP server around
//! `idp-core`, the login and consent pages, the admin console, health
//! endpoints and the CLI.

pub mod api;
pub mod app;
pub mod backend;
pub mod cli;
pub mod config;
pub mod connection_limits;
pub mod console;
pub mod forwarded;
pub mod health;
pub mod jobs;
pub mod metrics;
pub mod outbound;
pub mod pages;
pub mod password_pool;
pub mod rate_limit;
pub mod router;
pub mod server;
pub mod streamed;
