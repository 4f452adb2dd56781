//! The provider as a relying party of an upstream: builds the authorization
//! URL of a round trip and redeems its code for what the upstream vouches
//! for ([`Asserted`]).
//!
//! OpenID upstreams (`oidc`, `google`, `microsoft`) go through the
//! `openidconnect` crate: discovery (OIDC Discovery 1.0 §4), the code flow
//! with PKCE S256, `state` and `nonce`, ID-token validation (OIDC Core
//! §3.1.3.7: signature, `iss`, `aud`, `exp`, `nonce`), then userinfo.
//! GitHub is OAuth 2 plus its REST API (`/user`, `/user/emails`). Every
//! request goes through the embedding application's [`UpstreamHttp`].
//!
//! Error texts ([`UpstreamFailure`]'s) name the endpoint and the failed
//! check, never the client secret, the code, a token or the verifier.

mod github;
mod issuer;
mod openid;
mod transport;

use super::{Asserted, UpstreamFailure, UpstreamHttp};
use crate::store::UpstreamRecord;
use transport::Transport;

/// An upstream ready to use: its record and its opened client secret.
#[derive(Clone, Copy)]
pub struct Configured<'a> {
    /// The stored upstream.
    pub record: &'a UpstreamRecord,
    /// Its client secret, opened ([`super::secret::open`]).
    pub client_secret: &'a str,
}

/// What one round trip sends, and must send again when redeeming.
#[derive(Clone, Copy, Debug)]
pub struct Outgoing<'a> {
    /// Our callback, `{issuer}/upstream/{id}/callback`.
    pub redirect_uri: &'a str,
    /// The `state` (RFC 6749 §10.12).
    pub state: &'a str,
    /// The `nonce` (OIDC Core §3.1.2.1; unused for GitHub).
    pub nonce: &'a str,
    /// The PKCE code verifier (RFC 7636 §4.1); its S256 challenge is sent.
    pub pkce_verifier: &'a str,
}

/// The relying party: the transport and what it caches (discovery
/// documents and key sets, per issuer, for a few minutes).
pub struct RelyingParty {
    http: Option<Transport>,
    openid: openid::OpenId,
}

impl RelyingParty {
    /// A relying party sending through `http` (without one, every round
    /// trip fails as unreachable).
    pub fn new(http: Option<UpstreamHttp>) -> Self {
        Self {
            http: http.map(Transport),
            openid: openid::OpenId::default(),
        }
    }

    fn transport(&self) -> Result<&Transport, UpstreamFailure> {
        self.http.as_ref().ok_or_else(|| {
            UpstreamFailure::Unreachable("no outbound HTTP client is configured".into())
        })
    }

    /// The URL to send the browser to.
    pub async fn authorization_url(
        &self,
        upstream: Configured<'_>,
        out: Outgoing<'_>,
    ) -> Result<String, UpstreamFailure> {
        if upstream.record.kind.is_openid() {
            let http = self.transport()?;
            self.openid.authorization_url(http, upstream, out).await
        } else {
            github::authorization_url(upstream, out)
        }
    }

    /// Redeems the callback's `code`: what the upstream vouches for.
    pub async fn redeem(
        &self,
        upstream: Configured<'_>,
        code: &str,
        out: Outgoing<'_>,
    ) -> Result<Asserted, UpstreamFailure> {
        let http = self.transport()?;
        if upstream.record.kind.is_openid() {
            self.openid.redeem(http, upstream, code, out).await
        } else {
            github::redeem(http, upstream, code, out).await
        }
    }
}
