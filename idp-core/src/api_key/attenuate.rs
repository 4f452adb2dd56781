//! Restricting a key: the checks a key is created with, and offline
//! attenuation by its holder, which appends a block of the same checks.
//! Attenuation needs neither the root key nor the database: Biscuit blocks
//! are signed with a fresh key pair chained to the previous block.

use super::{ApiKeyError, date};
use crate::clock::UnixTime;
use biscuit_auth::UnverifiedBiscuit;
use biscuit_auth::builder::{BlockBuilder, Term};
use std::collections::HashMap;

/// What a block restricts a key to; every `Some`/`true` adds one check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Restriction {
    /// Only requests concerning this tenant (slug): `check if tenant("{slug}")`.
    pub tenant: Option<String>,
    /// Only reads: `check if operation("read")`.
    pub read_only: bool,
    /// Only before this time: `check if time($t), $t < {expiry}`.
    pub expires_at: Option<UnixTime>,
}

/// The form of the expiry check, as Biscuit prints it back (`$t < ` then
/// an RFC 3339 date): how [`super::verify`] tells an expired key.
pub(crate) const EXPIRY_CHECK_PREFIX: &str = "check if time($t), $t < ";

impl Restriction {
    /// Whether it restricts nothing.
    pub fn is_empty(&self) -> bool {
        self.tenant.is_none() && !self.read_only && self.expires_at.is_none()
    }

    /// The block of checks. Values go in as Datalog parameters, never
    /// spliced into the source, so no slug can change a check's meaning.
    pub(crate) fn block(&self) -> Result<BlockBuilder, ApiKeyError> {
        let mut block = BlockBuilder::new();
        let built = |e: biscuit_auth::error::Token| ApiKeyError::Build(e.to_string());
        if let Some(slug) = &self.tenant {
            if slug.is_empty() {
                return Err(ApiKeyError::Invalid("the tenant must not be empty".into()));
            }
            let params = HashMap::from([("tenant".to_owned(), Term::Str(slug.clone()))]);
            block = block
                .code_with_params("check if tenant({tenant})", params, HashMap::new())
                .map_err(built)?;
        }
        if self.read_only {
            block = block.code("check if operation(\"read\")").map_err(built)?;
        }
        if let Some(expiry) = self.expires_at {
            let params = HashMap::from([("expiry".to_owned(), date(expiry))]);
            block = block
                .code_with_params("check if time($t), $t < {expiry}", params, HashMap::new())
                .map_err(built)?;
        }
        Ok(block)
    }
}

/// Appends a block restricting `key` as `r` says and returns the new key
/// (URL-safe base64, like every key). The original key keeps working; the
/// new one can do only what both allow. Needs no root key and no database;
/// the server checks the signature chain when the key is used.
pub fn attenuate(key: &str, r: &Restriction) -> Result<String, ApiKeyError> {
    if r.is_empty() {
        return Err(ApiKeyError::Invalid(
            "say what to restrict: a tenant, read-only or an expiry".into(),
        ));
    }
    let token = UnverifiedBiscuit::from_base64(key.trim()).map_err(|_| ApiKeyError::Malformed)?;
    let appended = token
        .append(r.block()?)
        .map_err(|e| ApiKeyError::Build(e.to_string()))?;
    appended
        .to_base64()
        .map_err(|e| ApiKeyError::Build(e.to_string()))
}
