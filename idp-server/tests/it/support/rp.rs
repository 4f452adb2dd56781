//! The relying party: an `openidconnect` client as the independent judge.

use super::*;
use openidconnect::core::{
    CoreAuthPrompt, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse,
};
use openidconnect::{
    AccessTokenHash, AuthType, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use std::time::Duration;
use url::Url;

/// The `openidconnect` client type after discovery.
pub type OidcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A relying party: an `openidconnect` client and its HTTP client.
pub struct Rp {
    /// The client.
    pub client: OidcClient,
    /// Its HTTP client (no redirects).
    pub http: reqwest::Client,
    /// The registration it uses.
    pub registered: RegisteredClient,
    /// The provider metadata it discovered.
    pub metadata: CoreProviderMetadata,
}

/// A prepared authorization request.
pub struct AuthRequest {
    /// The URL to send the browser to.
    pub url: Url,
    /// `state`.
    pub state: String,
    /// `nonce`.
    pub nonce: Nonce,
    /// The PKCE verifier (if a challenge was sent).
    pub verifier: Option<String>,
}

/// Options for [`Rp::auth_request`].
#[derive(Clone, Debug, Default)]
pub struct AuthOptions {
    /// Scopes beyond `openid`.
    pub scopes: Vec<String>,
    /// `state` (random if `None`).
    pub state: Option<String>,
    /// Send no PKCE challenge.
    pub no_pkce: bool,
    /// `prompt`.
    pub prompt: Option<CoreAuthPrompt>,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
    /// More parameters.
    pub extra: Vec<(String, String)>,
}

impl AuthOptions {
    /// Asks for these scopes beyond `openid`.
    pub fn scopes(scopes: &[&str]) -> Self {
        Self {
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            ..Self::default()
        }
    }
}

/// The outcome of a complete code flow.
pub struct Flow {
    /// The token response as `openidconnect` parsed it.
    pub tokens: CoreTokenResponse,
    /// The nonce sent.
    pub nonce: Nonce,
    /// The authorization response.
    pub callback: Callback,
    /// Pages shown on the way.
    pub pages: Vec<&'static str>,
}

impl Rp {
    /// Discovers `issuer` with `openidconnect` and sets the client up.
    pub async fn discover(issuer: &str, registered: &RegisteredClient) -> Self {
        let http = plain_client();
        let metadata = CoreProviderMetadata::discover_async(
            IssuerUrl::new(issuer.to_owned()).expect("issuer URL"),
            &http,
        )
        .await
        .unwrap_or_else(|e| panic!("openidconnect discovery of {issuer} failed: {e:?}"));
        let mut client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(registered.client_id.clone()),
            registered.client_secret.clone().map(ClientSecret::new),
        )
        // Clients without a redirect URI (device, service) get a placeholder:
        // the RP is then only used to verify tokens.
        .set_redirect_uri(
            RedirectUrl::new(if registered.redirect_uri.is_empty() {
                REDIRECT_URI.to_owned()
            } else {
                registered.redirect_uri.clone()
            })
            .expect("redirect URI"),
        );
        if registered.auth_method == "client_secret_post" {
            client = client.set_auth_type(AuthType::RequestBody);
        }
        Self {
            client,
            http,
            registered: registered.clone(),
            metadata,
        }
    }

    /// The authorization URL for `opts`.
    pub fn auth_request(&self, opts: &AuthOptions) -> AuthRequest {
        let state = opts
            .state
            .clone()
            .unwrap_or_else(|| CsrfToken::new_random().secret().clone());
        let nonce = Nonce::new_random();
        let (state_c, nonce_c) = (state.clone(), nonce.clone());
        let mut req = self.client.authorize_url(
            AuthenticationFlow::<openidconnect::core::CoreResponseType>::AuthorizationCode,
            move || CsrfToken::new(state_c),
            move || nonce_c,
        );
        for s in &opts.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let verifier = if opts.no_pkce {
            None
        } else {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            req = req.set_pkce_challenge(challenge);
            Some(verifier.secret().clone())
        };
        if let Some(p) = &opts.prompt {
            req = req.add_prompt(p.clone());
        }
        if let Some(m) = opts.max_age {
            req = req.set_max_age(Duration::from_secs(m));
        }
        for (k, v) in &opts.extra {
            req = req.add_extra_param(k.clone(), v.clone());
        }
        let (url, _, _) = req.url();
        AuthRequest {
            url,
            state,
            nonce,
            verifier,
        }
    }

    /// Starts a flow with `opts` in `browser` and opens the page the
    /// provider sends it to (the login page on a first visit): the request
    /// and that page.
    pub async fn open_login(&self, browser: &Browser, opts: &AuthOptions) -> (AuthRequest, Resp) {
        let req = self.auth_request(opts);
        let res = browser.get(req.url.as_str()).await;
        let page = browser.get(res.redirect().as_str()).await;
        (req, page)
    }

    /// Exchanges a code with `openidconnect`.
    pub async fn exchange(
        &self,
        code: &str,
        verifier: Option<&str>,
    ) -> Result<CoreTokenResponse, String> {
        let mut req = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .expect("token endpoint discovered");
        if let Some(v) = verifier {
            req = req.set_pkce_verifier(PkceCodeVerifier::new(v.to_owned()));
        }
        req.request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }

    /// Uses a refresh token with `openidconnect`.
    pub async fn refresh(&self, refresh_token: &str) -> Result<CoreTokenResponse, String> {
        let rt = openidconnect::RefreshToken::new(refresh_token.to_owned());
        self.client
            .exchange_refresh_token(&rt)
            .expect("token endpoint discovered")
            .request_async(&self.http)
            .await
            .map_err(|e| format!("{e:?}"))
    }

    /// A complete flow in `browser` as `user`: authorize, pages, code
    /// exchange (with PKCE), state and `iss` checked.
    pub async fn flow(&self, browser: &Browser, user: &User, opts: &AuthOptions) -> Flow {
        let req = self.auth_request(opts);
        let (callback, pages) = browser
            .authorize(req.url.as_str(), &self.registered.redirect_uri, user)
            .await;
        assert_eq!(
            callback.state.as_deref(),
            Some(req.state.as_str()),
            "state echoed"
        );
        assert_eq!(
            callback.iss.as_deref(),
            Some(self.metadata.issuer().as_str()),
            "iss in the authorization response (RFC 9207)"
        );
        let tokens = self
            .exchange(&callback.code(), req.verifier.as_deref())
            .await
            .unwrap_or_else(|e| panic!("code exchange failed: {e}"));
        Flow {
            tokens,
            nonce: req.nonce,
            callback,
            pages,
        }
    }

    /// [`Self::flow`] with scope `offline_access`: the flow and its refresh
    /// token, which must be there.
    pub async fn offline_flow(&self, browser: &Browser, user: &User) -> (Flow, String) {
        let flow = self
            .flow(browser, user, &AuthOptions::scopes(&["offline_access"]))
            .await;
        let rt = refresh_token_of(&flow.tokens).expect("a refresh token with offline_access");
        (flow, rt)
    }

    /// Signs `user` in from a fresh browser with default options and checks
    /// the RS256 ID token names them: proof the provider can log them in.
    pub async fn assert_signs_in(&self, user: &User) {
        let flow = self
            .flow(&Browser::new(), user, &AuthOptions::default())
            .await;
        let claims = self.verify_id_token(
            &flow.tokens,
            Some(&flow.nonce),
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        );
        assert_eq!(claims.subject().as_str(), user.id, "ID token subject");
    }

    /// Verifies the ID token of `tokens` with `openidconnect`, allowing only
    /// `alg`; checks the nonce (if given) and `at_hash`. Returns the claims.
    pub fn verify_id_token(
        &self,
        tokens: &CoreTokenResponse,
        nonce: Option<&Nonce>,
        alg: CoreJwsSigningAlgorithm,
    ) -> CoreIdTokenClaims {
        let id_token = tokens
            .id_token()
            .expect("an ID token in the token response");
        assert_eq!(
            id_token.signing_alg().expect("signed ID token"),
            &alg,
            "ID token signing algorithm"
        );
        let verifier = self
            .client
            .id_token_verifier()
            .set_allowed_algs(vec![alg.clone()]);
        let claims = match nonce {
            Some(n) => id_token.claims(&verifier, n),
            None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())),
        }
        .unwrap_or_else(|e| panic!("openidconnect rejected the ID token: {e:?}"))
        .clone();
        let key = id_token
            .signing_key(&verifier)
            .expect("signing key in JWKS");
        let expected = AccessTokenHash::from_token(tokens.access_token(), &alg, key)
            .expect("at_hash computable");
        assert_eq!(
            claims.access_token_hash(),
            Some(&expected),
            "at_hash matches the access token"
        );
        claims
    }
}
