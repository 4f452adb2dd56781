//! One module per OpenID Foundation test module (or plan).

pub mod basic;
pub mod channel_logout;
pub mod discovery;
pub mod dynamic;
pub mod logout;
