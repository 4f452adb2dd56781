//! Minting a key: the authority block `key("{id}")` plus the checks it is
//! created with, signed by the root key pair.

use super::{ApiKeyError, Restriction, hex};
use biscuit_auth::builder::{Term, fact};
use biscuit_auth::{Biscuit, KeyPair};

/// A freshly signed key: the string handed to its holder once, and the
/// revocation id (hex) of its authority block, for its record.
pub struct Minted {
    /// The key, URL-safe base64 (the standard Biscuit serialization, so
    /// the `biscuit` command-line tool can inspect and attenuate it).
    pub key: String,
    /// The authority block's revocation id, hex.
    pub revocation_id: String,
}

impl std::fmt::Debug for Minted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Minted")
            .field("revocation_id", &self.revocation_id)
            .finish_non_exhaustive()
    }
}

/// Signs a key for the record `id`, restricted as `r` says.
pub fn mint(root: &KeyPair, id: &str, r: &Restriction) -> Result<Minted, ApiKeyError> {
    let built = |e: biscuit_auth::error::Token| ApiKeyError::Build(e.to_string());
    let token = Biscuit::builder()
        .fact(fact("key", &[Term::Str(id.to_owned())]))
        .map_err(built)?
        .merge(r.block()?)
        .build(root)
        .map_err(built)?;
    let revocation_id = token
        .revocation_identifiers()
        .first()
        .map(|id| hex(id))
        .ok_or_else(|| ApiKeyError::Build("no revocation id".into()))?;
    Ok(Minted {
        key: token.to_base64().map_err(built)?,
        revocation_id,
    })
}
