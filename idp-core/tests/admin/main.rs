//! The admin service (`idp_core::admin`) over the real SQLite store: every
//! operation, its typed errors, pagination, and what a write does to the
//! protocol (`Provider::handle`) at once. `cargo test -p idp-core --test admin`.

mod account;
mod clients;
mod fixture;
mod sessions;
mod tenants;
mod users;
