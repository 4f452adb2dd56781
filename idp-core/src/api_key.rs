//! TEMPORARY SHIM (issue 16 integration): the interface of the API-key
//! module being written on branch h/apikey, so the HTTP layer compiles.
//! Deleted when that branch is merged.

use crate::Admin;
use crate::admin::AdminError;
use crate::clock::UnixTime;
use crate::store::{ApiKeyRecord, Store};

/// Read or write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// GET.
    Read,
    /// Anything else.
    Write,
}

/// The request's facts.
#[derive(Clone, Copy, Debug)]
pub struct AccessRequest<'a> {
    /// Read or write.
    pub operation: Operation,
    /// The tenant, if any.
    pub tenant: Option<&'a str>,
    /// The path.
    pub path: &'a str,
    /// Now.
    pub now: UnixTime,
}

/// Shim.
#[derive(Clone)]
pub struct ApiKeyVerifier;

impl ApiKeyVerifier {
    /// Shim.
    pub async fn load<S: Store>(_admin: &Admin<S>) -> Result<Self, AdminError> {
        Ok(Self)
    }
}

/// Shim.
pub struct VerifiedKey;

impl VerifiedKey {
    /// Shim.
    pub fn key_id(&self) -> &str {
        ""
    }
    /// Shim.
    pub fn permits(&self, _req: &AccessRequest<'_>) -> bool {
        false
    }
}

/// Shim.
pub enum Denied {
    /// 401.
    Unauthenticated(&'static str),
    /// 403.
    Forbidden,
    /// 404.
    Hidden,
}

impl<S: Store> Admin<S> {
    /// Shim.
    pub async fn authorize_api_key(
        &self,
        _verifier: &ApiKeyVerifier,
        _token: &str,
        _req: &AccessRequest<'_>,
    ) -> Result<(VerifiedKey, ApiKeyRecord), Denied> {
        Err(Denied::Unauthenticated("shim"))
    }
}
