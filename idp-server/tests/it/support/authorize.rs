//! Hand-built authorization requests, for the requests `openidconnect`
//! would not send (without PKCE, with `plain`, with a parameter missing,
//! repeated or wrong): one builder, so each test states only what differs
//! from a valid request.

use super::*;

/// An authorization request as query parameters, in order.
#[derive(Clone, Debug)]
pub struct RawAuthorize {
    endpoint: String,
    params: Vec<(String, String)>,
}

impl RawAuthorize {
    /// A valid code request of `client_id` to [`REDIRECT_URI`] with scope
    /// `openid`, `state` and a nonce, without PKCE (see [`Self::pkce`]).
    pub fn code(endpoints: &Endpoints, client_id: &str, state: &str) -> Self {
        Self::with(
            endpoints,
            &[
                ("response_type", "code"),
                ("client_id", client_id),
                ("redirect_uri", REDIRECT_URI),
                ("scope", "openid"),
                ("state", state),
                ("nonce", "n-0S6_WzA2Mj"),
            ],
        )
    }

    /// [`Self::code`] with the S256 `challenge` (RFC 7636 §4.3).
    pub fn code_with_pkce(
        endpoints: &Endpoints,
        client_id: &str,
        challenge: &str,
        state: &str,
    ) -> Self {
        Self::code(endpoints, client_id, state).pkce(challenge)
    }

    /// Exactly `params`, nothing else.
    pub fn with(endpoints: &Endpoints, params: &[(&str, &str)]) -> Self {
        Self {
            endpoint: endpoints.authorization.clone(),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Adds `code_challenge` and `code_challenge_method=S256`.
    pub fn pkce(self, challenge: &str) -> Self {
        self.set("code_challenge", challenge)
            .set("code_challenge_method", "S256")
    }

    /// Sets `name` to `value`, replacing every earlier value.
    pub fn set(self, name: &str, value: &str) -> Self {
        self.without(name).add(name, value)
    }

    /// Appends `name=value`, even when `name` is already there (a repeated
    /// parameter).
    pub fn add(mut self, name: &str, value: &str) -> Self {
        self.params.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Removes `name`.
    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }

    /// Its parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }

    /// Its parameters, borrowed (for [`Browser::post_form`]).
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// The request URL.
    pub fn url(&self) -> String {
        with_query(&self.endpoint, &self.pairs())
    }

    /// Sends it from a fresh browser.
    pub async fn send(&self) -> Resp {
        Browser::new().get(&self.url()).await
    }

    /// Sends it from a fresh browser and reads the provider's immediate
    /// answer, which must be a redirect to the client (an error the client
    /// may see, RFC 6749 §4.1.2.1).
    pub async fn to_client(&self) -> Callback {
        Browser::new().answer_to_client(&self.url()).await
    }
}
