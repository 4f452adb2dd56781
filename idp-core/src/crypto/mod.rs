//! Cryptographic building blocks: randomness, hashes of server-issued secrets,
//! password hashing and envelope encryption of secrets at rest.

pub mod envelope;
pub mod password;
pub mod random;
pub mod secret;
