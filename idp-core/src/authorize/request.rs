//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) as a
//! pipeline of small checks. Until the client and its redirect URI are
//! validated, errors are shown on a page; after that they go back to the
//! client (RFC 6749 §4.1.2.1).

use super::bounds;
use super::pkce;
use super::prompt::{self, Prompt};
use super::response::ResponseMode;
use crate::claims::ClaimsRequest;
use crate::client::redirect_match;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::ClientId;
use crate::resource;
use crate::scope::Scopes;
use crate::store::{ClientRecord, GrantType, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;
use serde::{Deserialize, Serialize};

/// A validated authorization request, kept while the user logs in or consents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: ClientId,
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// Requested scopes (supported ones only), space-separated.
    pub scope: String,
    /// Opaque client state, echoed byte for byte.
    pub state: Option<String>,
    /// Replay protection for the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: Option<String>,
    /// `prompt`.
    pub prompt: Prompt,
    /// `max_age` in seconds.
    pub max_age: Option<i64>,
    /// Pre-fills the login form.
    pub login_hint: Option<String>,
    /// `sub` of a valid `id_token_hint`.
    pub hint_sub: Option<String>,
    /// The pairwise sector that `hint_sub` belongs to, if any (OIDC Core §8.1).
    #[serde(default)]
    pub hint_sector: Option<String>,
    /// How the response goes back.
    #[serde(default)]
    pub response_mode: ResponseMode,
    /// The `claims` parameter.
    #[serde(default)]
    pub claims: Option<ClaimsRequest>,
    /// Validated resource indicators (RFC 8707 §2.1), space-separated.
    #[serde(default)]
    pub resource: Option<String>,
}

/// Why a request was refused, and where the answer may go.
#[derive(Debug)]
pub enum Rejection {
    /// Shown to the user: the redirect URI is not trustworthy.
    Page(OAuthError),
    /// Sent to the validated redirect URI.
    Redirect {
        /// Validated redirect URI.
        redirect_uri: String,
        /// `state` to echo.
        state: Option<String>,
        /// How the response goes back.
        mode: ResponseMode,
        /// The error.
        error: OAuthError,
    },
}

/// check_client: `client_id` names a client of this tenant.
async fn check_client<S: Store>(
    store: &S,
    tenant: &TenantContext,
    params: &Params,
) -> Result<ClientRecord, OAuthError> {
    let id = params.required("client_id")?;
    if !bounds::fits("client_id", id) {
        return Err(OAuthError::invalid_request("unknown client_id"));
    }
    store
        .client(&tenant.record.id, &ClientId::new(id))
        .await?
        .ok_or(OAuthError::new(
            ErrorCode::InvalidRequest,
            "unknown client_id",
        ))
}

/// check_redirect_uri: exact string match against a registered URI
/// (RFC 9700 §2.1, OIDC Core §3.1.2.1), except for the port of a loopback
/// IP literal (RFC 8252 §7.3, [`redirect_match`]). Always required, as OIDC
/// requires it and OAuth 2.1 allows a server to.
fn check_redirect_uri(client: &ClientRecord, params: &Params) -> Result<String, OAuthError> {
    match params.single("redirect_uri")? {
        Some(uri) if redirect_match::any_matches(&client.redirect_uris, uri) => Ok(uri.to_owned()),
        Some(_) => Err(OAuthError::invalid_request(
            "redirect_uri is not registered for this client",
        )),
        None => Err(OAuthError::invalid_request("redirect_uri is required")),
    }
}

/// check_unsupported_features: the `registration` parameter is refused with
/// its dedicated code (OIDC Core §3.1.2.6). (Request objects were resolved
/// before the pipeline.)
fn check_unsupported_features(params: &Params) -> Result<(), OAuthError> {
    if params.single("registration")?.is_some() {
        return Err(OAuthError::new(
            ErrorCode::RegistrationNotSupported,
            "the registration parameter is not supported",
        ));
    }
    Ok(())
}

/// check_response_type: only `code` (implicit and hybrid flows are not
/// offered: OAuth 2.1, RFC 9700 §2.1.2), and only for clients allowed the
/// authorization_code grant.
fn check_response_type(client: &ClientRecord, params: &Params) -> Result<(), OAuthError> {
    match params.single("response_type")? {
        None => Err(OAuthError::invalid_request("response_type is required")),
        Some("code") if client.grant_types.contains(&GrantType::AuthorizationCode) => Ok(()),
        Some("code") => Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "client is not allowed the authorization_code grant",
        )),
        Some(_) => Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        )),
    }
}

/// check_response_mode: `query` (the default for `code`) or `form_post`.
/// Read before any other check so that their errors go back the same way.
fn check_response_mode(params: &Params) -> Result<ResponseMode, OAuthError> {
    match params.single("response_mode")? {
        None | Some("query") => Ok(ResponseMode::Query),
        Some("form_post") => Ok(ResponseMode::FormPost),
        Some(_) => Err(OAuthError::invalid_request(
            "response_mode must be query or form_post",
        )),
    }
}

/// check_claims: the `claims` parameter, if any (OIDC Core §5.5).
fn check_claims(params: &Params) -> Result<Option<ClaimsRequest>, OAuthError> {
    match params.single("claims")? {
        Some(raw) => ClaimsRequest::parse(raw),
        None => Ok(None),
    }
}

/// check_scope: supported scopes, and the API scopes registered for the
/// client (`--scope`, the ones resource servers check, RFC 9068 §2.2.3);
/// others are ignored (RFC 6749 §3.3). `offline_access` only for clients
/// allowed refresh tokens.
fn check_scope(client: &ClientRecord, params: &Params) -> Result<Scopes, OAuthError> {
    let raw = params.single("scope")?.unwrap_or("");
    let mut scopes = Scopes::parse_supported(raw);
    if !client.allowed_scopes.is_empty() {
        let api: Vec<&str> = raw
            .split(' ')
            .filter(|s| client.allowed_scopes.iter().any(|a| a == s))
            .collect();
        scopes = scopes.union(&Scopes::from_stored(&api.join(" ")));
    }
    if !client.grant_types.contains(&GrantType::RefreshToken) {
        scopes.remove("offline_access");
    }
    Ok(scopes)
}

/// The registered redirect URI of the request's client, if both check out:
/// where an error may be sent.
pub async fn validate_target<S: Store>(
    store: &S,
    tenant: &TenantContext,
    params: &Params,
) -> Option<String> {
    let client = check_client(store, tenant, params).await.ok()?;
    check_redirect_uri(&client, params).ok()
}

/// Runs every check, in order.
pub async fn validate<S: Store>(
    store: &S,
    tenant: &TenantContext,
    params: &Params,
) -> Result<(AuthorizationRequest, ClientRecord), Rejection> {
    let client = check_client(store, tenant, params)
        .await
        .map_err(Rejection::Page)?;
    let redirect_uri = check_redirect_uri(&client, params).map_err(Rejection::Page)?;
    let redirect = |state: Option<String>, mode, error| Rejection::Redirect {
        redirect_uri: redirect_uri.clone(),
        state,
        mode,
        error,
    };
    let state = params
        .single("state")
        .map_err(|e| redirect(None, ResponseMode::Query, e))?;
    let state = bounds::echoable_state(state).map(str::to_owned);
    bounds::check_parameter_sizes(params)
        .map_err(|e| redirect(state.clone(), ResponseMode::Query, e))?;
    let response_mode =
        check_response_mode(params).map_err(|e| redirect(state.clone(), ResponseMode::Query, e))?;
    let fail = |error| redirect(state.clone(), response_mode, error);
    check_unsupported_features(params).map_err(fail)?;
    check_response_type(&client, params).map_err(fail)?;
    let scope = check_scope(&client, params).map_err(fail)?;
    let resource = resource::check_authorization(&client, params).map_err(fail)?;
    let code_challenge = pkce::check_challenge(&client, params).map_err(fail)?;
    let prompt = prompt::check_prompt(params).map_err(fail)?;
    let max_age = prompt::check_max_age(params).map_err(fail)?;
    let hint = prompt::check_id_token_hint(store, tenant, params)
        .await
        .map_err(fail)?;
    let (hint_sub, hint_sector) = match hint {
        Some(h) => (Some(h.sub), h.sector),
        None => (None, None),
    };
    let claims = check_claims(params).map_err(fail)?;
    crate::acr::check_acr(params).map_err(fail)?;
    let nonce = params.single("nonce").map_err(fail)?.map(str::to_owned);
    let login_hint = params
        .single("login_hint")
        .map_err(fail)?
        .map(str::to_owned);
    Ok((
        AuthorizationRequest {
            client_id: client.id.clone(),
            redirect_uri,
            scope: scope.to_param(),
            state,
            nonce,
            code_challenge,
            prompt,
            max_age,
            login_hint,
            hint_sub,
            hint_sector,
            response_mode,
            claims,
            resource,
        },
        client,
    ))
}
