//! Signing in at a first-party client: the code flow with PKCE (S256),
//! `state` and `nonce`, through the tenant's own authorization endpoint and
//! login page, redeemed at its token endpoint in process.
//!
//! [`Provider::begin_first_party_sign_in`] returns where to send the
//! browser and what it must keep until the callback: the sign-in sealed
//! with the master key (bound to the tenant and the client, with its own
//! expiry), for the embedding server to put in a cookie scoped to the
//! callback. [`Provider::finish_first_party_sign_in`] opens it, checks the
//! callback (`error`, `state`, RFC 9207 `iss`), redeems the code with the
//! verifier and checks the ID token's `nonce` (the token comes from this
//! process, over no network, so its signature needs no check): the session
//! the login started (`sid`) and its user (`sub`).

use super::FirstParty;
use crate::crypto::{random, secret::SecretHash};
use crate::endpoint::Endpoint;
use crate::jose::{b64, b64_decode};
use crate::provider::Provider;
use crate::store::Store;
use crate::tenant::TenantContext;
use crate::wire::Params;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde::{Deserialize, Serialize};

/// How long a sign-in may take from the redirect to the callback.
pub const SIGN_IN_LIFETIME: i64 = 600;

/// A sign-in started: send the browser to `location`, keep `sealed` (in a
/// cookie) for the callback.
#[derive(Debug)]
pub struct SignInStarted {
    /// The authorization request's URL.
    pub location: String,
    /// What the callback needs, sealed.
    pub sealed: String,
}

/// A finished sign-in: the tenant's session the login started and its user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedIn {
    /// The session's public id (`sid`).
    pub sid: String,
    /// The user's id (`sub`: first-party clients get public subjects).
    pub sub: String,
    /// Where the sign-in was started from, to return to.
    pub back_to: String,
}

/// Why a sign-in did not finish; each is a page for the person, none an
/// error of the server but [`SignInError::Unavailable`].
#[derive(Debug, PartialEq, Eq)]
pub enum SignInError {
    /// No sign-in was started in this browser, or it expired.
    Expired,
    /// The person cancelled on the login page (`error` in the callback).
    Cancelled,
    /// `state` or `iss` is not the sign-in's.
    Mismatch,
    /// The code was refused, or the ID token is not the sign-in's.
    Refused,
    /// The client could not be made, or the sign-in not sealed.
    Unavailable,
}

/// What the sealed cookie holds.
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    back_to: String,
    expires_at: i64,
}

/// Where the master key binds a sign-in: this tenant's `which` only.
fn seal_location(tenant: &TenantContext, which: FirstParty) -> String {
    format!(
        "first-party/{}/{}/sign-in",
        tenant.record.id.as_str(),
        which.client_id()
    )
}

impl<S: Store> Provider<S> {
    /// Starts a sign-in of `which` in `tenant` (making or mending its
    /// client), to come back to `back_to` (the server's own page).
    pub async fn begin_first_party_sign_in(
        &self,
        tenant: &TenantContext,
        which: FirstParty,
        back_to: &str,
    ) -> Result<SignInStarted, SignInError> {
        let slug = &tenant.record.slug;
        if let Err(e) = self.admin().ensure_first_party_client(slug, which).await {
            tracing::error!(error = %e, tenant = %slug, client = which.client_id(), "a first-party client cannot be made");
            return Err(SignInError::Unavailable);
        }
        let pending = Pending {
            state: random::token(24),
            nonce: random::token(24),
            verifier: random::token(32),
            back_to: back_to.to_owned(),
            expires_at: self.clock.now() + SIGN_IN_LIFETIME,
        };
        let challenge = b64(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            pending.verifier.as_bytes(),
        )
        .as_ref());
        let redirect_uri = which.redirect_uri(&self.config.base_url, slug);
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", which.client_id())
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", "openid")
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        let json = serde_json::to_vec(&pending).map_err(|_| SignInError::Unavailable)?;
        let sealed = self
            .config
            .master_key
            .seal_platform(&json, &seal_location(tenant, which))
            .map_err(|_| SignInError::Unavailable)?;
        Ok(SignInStarted {
            location: format!("{}?{query}", tenant.url(Endpoint::Authorize)),
            sealed: b64(&sealed),
        })
    }

    /// Finishes a sign-in of `which` in `tenant` from its callback's query
    /// `params` and the `sealed` sign-in the browser kept.
    pub async fn finish_first_party_sign_in(
        &self,
        tenant: &TenantContext,
        which: FirstParty,
        sealed: Option<&str>,
        params: &Params,
    ) -> Result<SignedIn, SignInError> {
        let get = |name: &'static str| params.single(name).ok().flatten().unwrap_or_default();
        let now = self.clock.now();
        let pending: Pending = sealed
            .and_then(b64_decode)
            .and_then(|s| {
                self.config
                    .master_key
                    .open_platform(&s, &seal_location(tenant, which))
                    .ok()
            })
            .and_then(|json| serde_json::from_slice(&json).ok())
            .filter(|p: &Pending| p.expires_at >= now)
            .ok_or(SignInError::Expired)?;
        if !get("error").is_empty() {
            return Err(SignInError::Cancelled);
        }
        let (state, iss) = (get("state"), get("iss"));
        if state.is_empty()
            || !SecretHash::of(&pending.state).matches(state)
            || (!iss.is_empty() && iss != tenant.issuer)
        {
            return Err(SignInError::Mismatch);
        }
        let claims = self
            .redeem_first_party_code(tenant, which, get("code"), &pending.verifier)
            .await
            .ok_or(SignInError::Refused)?;
        if claims["nonce"].as_str() != Some(pending.nonce.as_str()) {
            tracing::info!(
                client = which.client_id(),
                "a first-party ID token has another nonce"
            );
            return Err(SignInError::Refused);
        }
        match (claims["sid"].as_str(), claims["sub"].as_str()) {
            (Some(sid), Some(sub)) => Ok(SignedIn {
                sid: sid.to_owned(),
                sub: sub.to_owned(),
                back_to: pending.back_to,
            }),
            _ => Err(SignInError::Refused),
        }
    }

    /// Redeems `code` at the tenant's token endpoint, in process: the ID
    /// token's claims, or `None` if the code was refused.
    async fn redeem_first_party_code(
        &self,
        tenant: &TenantContext,
        which: FirstParty,
        code: &str,
        verifier: &str,
    ) -> Option<serde_json::Value> {
        let redirect_uri = which.redirect_uri(&self.config.base_url, &tenant.record.slug);
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("client_id", which.client_id())
            .append_pair("code_verifier", verifier)
            .finish();
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("{}token", tenant.path))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(Bytes::from(form))
            .ok()?;
        let res = Box::pin(self.handle(req)).await;
        if res.status() != StatusCode::OK {
            tracing::info!(status = %res.status(), client = which.client_id(), "a first-party code was refused");
            return None;
        }
        let body: serde_json::Value = serde_json::from_slice(res.body()).ok()?;
        let id_token = body["id_token"].as_str()?;
        let payload = b64_decode(id_token.split('.').nth(1)?)?;
        serde_json::from_slice(&payload).ok()
    }
}
