//! One module per OpenID Foundation test module id.

pub mod discovery;
