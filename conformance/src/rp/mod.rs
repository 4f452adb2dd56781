//! The relying party the modules are made of: a browser ([`agent`]), the
//! OP's metadata and endpoints ([`op`]), JWS verification ([`jose`]), the
//! suite's shared condition classes ([`checks`]) and the configuration ([`target`]).

pub mod agent;
pub mod checks;
pub mod host;
pub mod html;
pub mod jose;
pub mod key;
pub mod op;
pub mod target;
