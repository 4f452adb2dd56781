//! Server-side login sessions. The browser holds a random 256-bit cookie; the
//! store holds its hash. The cookie is `HttpOnly`, `SameSite=Lax`, scoped to
//! the tenant's issuer path (so tenants never share it) and `Secure` when the
//! base URL is https.

use crate::clock::UnixTime;
use crate::crypto::{random, secret::SecretHash};
use crate::error::OAuthError;
use crate::ids::SessionId;
use crate::provider::Provider;
use crate::store::{SessionRecord, Store, UserRecord};
use crate::tenant::TenantContext;
use http::HeaderMap;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "idp_session";

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the attributes every idp cookie carries.
pub fn set_cookie(name: &str, value: &str, path: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

impl<S: Store> Provider<S> {
    /// The live session the request's cookie points to, if any.
    pub(crate) async fn current_session(
        &self,
        tenant: &TenantContext,
        headers: &HeaderMap,
    ) -> Result<Option<SessionRecord>, OAuthError> {
        let Some(value) = cookie(headers, SESSION_COOKIE) else {
            return Ok(None);
        };
        Ok(self
            .store
            .session_by_secret(&tenant.record.id, &SecretHash::of(value), self.clock.now())
            .await?)
    }

    /// Starts a new session for `user`, who authenticated by `amr` (stored,
    /// space-separated: [`crate::acr`]), with a fresh id on every login, so
    /// a session id planted before login is worthless; returns it with its
    /// `Set-Cookie` header value.
    pub(crate) async fn start_session(
        &self,
        tenant: &TenantContext,
        user: &UserRecord,
        amr: String,
    ) -> Result<(SessionRecord, String), OAuthError> {
        let now = self.clock.now();
        let secret = random::secret();
        let lifetime = self.config.lifetimes.session;
        let session = SessionRecord {
            id: SessionId::generate(),
            secret_hash: SecretHash::of(&secret),
            user_id: user.id.clone(),
            auth_time: now,
            amr,
            created_at: now,
            expires_at: now + lifetime,
        };
        self.store
            .create_session(&tenant.record.id, &session)
            .await?;
        let header = set_cookie(
            SESSION_COOKIE,
            &secret,
            &tenant.path,
            lifetime,
            self.config.secure_cookies(),
        );
        Ok((session, header))
    }
}

/// A session as an administrator or the user sees it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SessionInfo {
    /// Public id (the `sid` claim).
    pub id: String,
    /// The user.
    pub user_id: String,
    /// When the user last authenticated in it.
    pub auth_time: UnixTime,
    /// When it started.
    pub created_at: UnixTime,
    /// When it ends at the latest.
    pub expires_at: UnixTime,
}

impl From<SessionRecord> for SessionInfo {
    fn from(s: SessionRecord) -> Self {
        Self {
            id: s.id.as_str().to_owned(),
            user_id: s.user_id.as_str().to_owned(),
            auth_time: s.auth_time,
            created_at: s.created_at,
            expires_at: s.expires_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cookie_among_several_headers() {
        let mut h = HeaderMap::new();
        h.append(
            http::header::COOKIE,
            "a=1; idp_session=xyz"
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        h.append(
            http::header::COOKIE,
            "b=2".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "b"), Some("2"));
        assert_eq!(cookie(&h, "c"), None);
    }

    #[test]
    fn cookie_attributes() {
        let c = set_cookie("n", "v", "/t/acme/", 60, true);
        assert_eq!(
            c,
            "n=v; Path=/t/acme/; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
        );
    }
}
