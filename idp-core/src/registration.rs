//! Dynamic client registration (RFC 7591, OpenID Connect Dynamic Client
//! Registration 1.0) and its management protocol (RFC 7592: read, update,
//! delete), for tenants that enable it.
//!
//! `POST {issuer}/register` takes the client's metadata as JSON and answers
//! 201 with its `client_id`, a secret for confidential clients, and a
//! registration access token for `{issuer}/register/{client_id}`. Only what
//! the provider implements is accepted: `response_types` `code`, the grant
//! types it serves, its auth methods and ID-token algorithms, `public` and
//! `pairwise` subjects (with `sector_identifier_uri`, fetched and checked:
//! [`crate::client::sector_identifier`]). Anything else is refused with `invalid_client_metadata` (or
//! `invalid_redirect_uri`) rather than silently ignored, so a client never
//! believes it has a feature it has not.
//!
//! An update (`PUT {issuer}/register/{client_id}`, RFC 7592 §2.2) sends the
//! whole metadata again: what it leaves out is removed or back to its
//! default, and it is checked by every rule of registration. It cannot
//! change what identifies and authenticates the client (`client_id`, the
//! secret, `token_endpoint_auth_method`); the registration access token
//! stays the same.

use crate::admin::AdminError;
use crate::client::uri_policy::{self, UriPolicy};
use crate::client::{CreatedClient, NewClient, SelfRegistration, metadata_bounds};
use crate::crypto::{random, secret::SecretHash};
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::ClientId;
use crate::jwks::{PublicKeySet, SigningAlg};
use crate::provider::Provider;
use crate::store::{
    ClientRecord, GrantType, Store, StoreError, SubjectType, TokenEndpointAuthMethod,
};
use crate::tenant::TenantContext;
use crate::wire;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use serde_json::{Map, Value, json};

/// Metadata kept as given and echoed back (URLs are checked).
const ECHOED_URLS: [&str; 5] = [
    "client_uri",
    "logo_uri",
    "policy_uri",
    "tos_uri",
    "initiate_login_uri",
];

fn metadata_error(description: String) -> OAuthError {
    OAuthError::with(ErrorCode::InvalidClientMetadata, description)
}

fn strings(doc: &Map<String, Value>, name: &str) -> Result<Option<Vec<String>>, OAuthError> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| metadata_error(format!("{name} must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(metadata_error(format!(
            "{name} must be an array of strings"
        ))),
    }
}

fn string<'a>(doc: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, OAuthError> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(metadata_error(format!("{name} must be a string"))),
    }
}

fn boolean(doc: &Map<String, Value>, name: &str) -> Result<bool, OAuthError> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(metadata_error(format!("{name} must be a boolean"))),
    }
}

/// Reads and checks a registration request into a [`NewClient`] and the
/// metadata to echo.
fn parse_metadata(
    body: &[u8],
    policy: &UriPolicy,
) -> Result<(NewClient, Map<String, Value>), OAuthError> {
    metadata_bounds::check_size(body.len()).map_err(metadata_error)?;
    let doc: Map<String, Value> = serde_json::from_slice(body)
        .map_err(|_| metadata_error("the request body must be a JSON object".into()))?;
    metadata_bounds::check(&doc).map_err(metadata_error)?;
    let redirect_uris = strings(&doc, "redirect_uris")?.unwrap_or_default();
    if let Some(types) = strings(&doc, "response_types")?
        && types.iter().any(|t| t != "code")
    {
        return Err(metadata_error(
            "only response_types [\"code\"] is supported (no implicit or hybrid)".into(),
        ));
    }
    let grant_types = match strings(&doc, "grant_types")? {
        None => vec![GrantType::AuthorizationCode],
        Some(list) => list
            .iter()
            .map(|g| {
                GrantType::parse(g)
                    .ok_or_else(|| metadata_error(format!("grant type '{g}' is not supported")))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    let auth_method = match string(&doc, "token_endpoint_auth_method")? {
        None => TokenEndpointAuthMethod::ClientSecretBasic,
        Some(m) => TokenEndpointAuthMethod::parse(m).ok_or_else(|| {
            metadata_error(format!("token_endpoint_auth_method '{m}' is not supported"))
        })?,
    };
    let id_token_alg = match string(&doc, "id_token_signed_response_alg")? {
        None => SigningAlg::Rs256,
        Some(a) => SigningAlg::parse(a).ok_or_else(|| {
            metadata_error(format!(
                "id_token_signed_response_alg '{a}' is not supported"
            ))
        })?,
    };
    // OIDC Registration §2; the sector rules are checked with every client's.
    let subject_type = match string(&doc, "subject_type")? {
        None => SubjectType::Public,
        Some(t) => SubjectType::parse(t)
            .ok_or_else(|| metadata_error(format!("subject_type '{t}' is not supported")))?,
    };
    let sector_identifier_uri = string(&doc, "sector_identifier_uri")?.map(str::to_owned);
    for unsupported in [
        "userinfo_encrypted_response_alg",
        "id_token_encrypted_response_alg",
        "request_object_encryption_alg",
    ] {
        if string(&doc, unsupported)?.is_some() {
            return Err(metadata_error(format!("{unsupported} is not supported")));
        }
    }
    let jwks = match doc.get("jwks") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => {
            let text = v.to_string();
            PublicKeySet::parse(text.as_bytes())
                .map_err(|e| metadata_error(format!("jwks: {e}")))?;
            Some(text)
        }
        Some(_) => return Err(metadata_error("jwks must be a JWK Set object".into())),
    };
    let jwks_uri = string(&doc, "jwks_uri")?.map(str::to_owned);
    let mut echoed = Map::new();
    for name in ECHOED_URLS {
        if let Some(u) = string(&doc, name)? {
            let parsed = url::Url::parse(u)
                .map_err(|_| metadata_error(format!("{name} is not an absolute URL")))?;
            if name == "initiate_login_uri" && parsed.scheme() != "https" {
                return Err(metadata_error("initiate_login_uri must use https".into()));
            }
            if matches!(name, "client_uri" | "logo_uri" | "policy_uri" | "tos_uri") {
                uri_policy::web_page_uri(name, u).map_err(metadata_error)?;
            }
            echoed.insert(name.into(), Value::String(u.to_owned()));
        }
    }
    for name in ["contacts", "request_uris"] {
        if let Some(list) = strings(&doc, name)? {
            echoed.insert(name.into(), json!(list));
        }
    }
    if let Some(alg) = string(&doc, "userinfo_signed_response_alg")? {
        if SigningAlg::parse(alg).is_none() {
            return Err(metadata_error(format!(
                "userinfo_signed_response_alg '{alg}' is not supported"
            )));
        }
        echoed.insert("userinfo_signed_response_alg".into(), json!(alg));
    }
    if let Some(alg) = string(&doc, "request_object_signing_alg")? {
        if alg != "none" && SigningAlg::parse(alg).is_none() {
            return Err(metadata_error(format!(
                "request_object_signing_alg '{alg}' is not supported"
            )));
        }
        echoed.insert("request_object_signing_alg".into(), json!(alg));
    }
    if let Some(t) = string(&doc, "application_type")? {
        if t != "web" && t != "native" {
            return Err(metadata_error(
                "application_type must be web or native".into(),
            ));
        }
        echoed.insert("application_type".into(), json!(t));
    }
    let public = auth_method == TokenEndpointAuthMethod::None;
    let new = NewClient {
        name: string(&doc, "client_name")?
            .unwrap_or("Unnamed client")
            .to_owned(),
        redirect_uris,
        public,
        grant_types,
        // Certification profiles send no PKCE; public clients still must.
        require_pkce: public,
        id_token_alg,
        auth_method: Some(auth_method),
        allowed_scopes: Vec::new(),
        audiences: Vec::new(),
        jwks,
        jwks_uri,
        post_logout_redirect_uris: strings(&doc, "post_logout_redirect_uris")?.unwrap_or_default(),
        // Front-Channel Logout §2 and Back-Channel Logout §2.2; the URIs
        // are checked with every client's.
        frontchannel_logout_uri: string(&doc, "frontchannel_logout_uri")?.map(str::to_owned),
        frontchannel_logout_session_required: boolean(
            &doc,
            "frontchannel_logout_session_required",
        )?,
        backchannel_logout_uri: string(&doc, "backchannel_logout_uri")?.map(str::to_owned),
        backchannel_logout_session_required: boolean(&doc, "backchannel_logout_session_required")?,
        // RFC 9126 §6.
        require_pushed_authorization_requests: boolean(
            &doc,
            "require_pushed_authorization_requests",
        )?,
        subject_type,
        sector_identifier_uri,
        // The web origins of a browser app beyond its redirect URIs'
        // (`crate::cors`), checked with every client's.
        allowed_origins: strings(&doc, "allowed_origins")?.unwrap_or_default(),
    };
    policy
        .client_uris(&new)
        .map_err(|e| OAuthError::with(ErrorCode::InvalidRedirectUri, e))?;
    Ok((new, echoed))
}

/// The registered metadata as RFC 7591 §3.2.1 returns it.
fn client_document(tenant: &TenantContext, c: &ClientRecord) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("client_id".into(), json!(c.id.as_str()));
    doc.insert("client_id_issued_at".into(), json!(c.created_at));
    doc.insert("client_name".into(), json!(c.name));
    doc.insert("redirect_uris".into(), json!(c.redirect_uris));
    doc.insert("response_types".into(), json!(["code"]));
    doc.insert(
        "grant_types".into(),
        json!(c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>()),
    );
    doc.insert(
        "token_endpoint_auth_method".into(),
        json!(c.auth_method.as_str()),
    );
    doc.insert(
        "id_token_signed_response_alg".into(),
        json!(c.id_token_alg.as_str()),
    );
    doc.insert("subject_type".into(), json!(c.subject_type.as_str()));
    if let Some(u) = &c.sector_identifier_uri {
        doc.insert("sector_identifier_uri".into(), json!(u));
    }
    if c.require_pushed_authorization_requests {
        doc.insert("require_pushed_authorization_requests".into(), json!(true));
    }
    if !c.post_logout_redirect_uris.is_empty() {
        doc.insert(
            "post_logout_redirect_uris".into(),
            json!(c.post_logout_redirect_uris),
        );
    }
    if let Some(u) = &c.frontchannel_logout_uri {
        doc.insert("frontchannel_logout_uri".into(), json!(u));
        doc.insert(
            "frontchannel_logout_session_required".into(),
            json!(c.frontchannel_logout_session_required),
        );
    }
    if let Some(u) = &c.backchannel_logout_uri {
        doc.insert("backchannel_logout_uri".into(), json!(u));
        doc.insert(
            "backchannel_logout_session_required".into(),
            json!(c.backchannel_logout_session_required),
        );
    }
    if let Some(j) = &c.jwks
        && let Ok(v) = serde_json::from_str::<Value>(j)
    {
        doc.insert("jwks".into(), v);
    }
    if let Some(u) = &c.jwks_uri {
        doc.insert("jwks_uri".into(), json!(u));
    }
    if !c.allowed_origins.is_empty() {
        doc.insert("allowed_origins".into(), json!(c.allowed_origins));
    }
    if let Ok(Value::Object(extra)) = serde_json::from_str::<Value>(&c.metadata) {
        doc.extend(extra);
    }
    doc.insert(
        "registration_client_uri".into(),
        json!(tenant.url_with(Endpoint::RegistrationManagement, c.id.as_str())),
    );
    doc
}

fn json_response(status: StatusCode, doc: &Map<String, Value>) -> Response<Bytes> {
    wire::json_no_store(status, serde_json::to_vec(doc).unwrap_or_default())
}

fn bearer(req: &Request<Bytes>) -> Option<&str> {
    wire::bearer_token(req.headers())
}

impl<S: Store> Provider<S> {
    /// `POST {issuer}/register` (RFC 7591 §3).
    pub(crate) async fn register(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let result = async {
            let (new, echoed) = parse_metadata(req.body(), &self.config.uri_policy)?;
            let token = random::secret();
            let registration = SelfRegistration {
                token_hash: SecretHash::of(&token),
                metadata: Value::Object(echoed).to_string(),
            };
            let CreatedClient { client, secret } = self
                .insert_client(tenant, new, Some(registration))
                .await
                .map_err(|e| match e {
                    e @ AdminError::Invalid(_) => metadata_error(e.to_string()),
                    // RFC 7591 §3.2.2 has no code for a policy refusal and
                    // lets a server use others: `access_denied` (RFC 6749
                    // §5.2's sense, status 400), naming the limit.
                    e @ AdminError::LimitExceeded { .. } => {
                        OAuthError::with(ErrorCode::AccessDenied, e.to_string())
                    }
                    AdminError::Unavailable(msg) => StoreError::Unavailable(msg).into(),
                    other => OAuthError::server(other),
                })?;
            let mut doc = client_document(tenant, &client);
            if let Some(s) = secret {
                doc.insert("client_secret".into(), json!(s));
                // RFC 7591 §3.2.1: 0 means the secret does not expire.
                doc.insert("client_secret_expires_at".into(), json!(0));
            }
            doc.insert("registration_access_token".into(), json!(token));
            Ok::<_, OAuthError>(json_response(StatusCode::CREATED, &doc))
        }
        .await;
        result.unwrap_or_else(|e| wire::json_error(&e))
    }

    /// `GET|DELETE {issuer}/register/{client_id}` (RFC 7592 §2.1, §2.3),
    /// authorized by the client's registration access token.
    pub(crate) async fn manage_registration(
        &self,
        tenant: &TenantContext,
        client_id: &str,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let denied = || {
            let e = OAuthError::new(
                ErrorCode::InvalidToken,
                "the registration access token is invalid",
            );
            let mut res = wire::json_error(&e);
            res.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer error=\"invalid_token\""),
            );
            res
        };
        let client = match self
            .store
            .client(&tenant.record.id, &ClientId::new(client_id))
            .await
        {
            Ok(Some(c)) => c,
            Ok(None) => return denied(),
            Err(e) => return wire::json_error(&e.into()),
        };
        let authorized = match (bearer(&req), &client.registration_token_hash) {
            (Some(token), Some(hash)) => hash.matches(token),
            _ => false,
        };
        if !authorized {
            return denied();
        }
        match *req.method() {
            Method::GET => json_response(StatusCode::OK, &client_document(tenant, &client)),
            // Its grants end with it, as when an operator deletes it.
            Method::DELETE => match self
                .store
                .remove_client(
                    &tenant.record.id,
                    &client.id,
                    self.clock.now() + self.config.lifetimes.access_token.max(0),
                )
                .await
            {
                Ok(_) => {
                    // RFC 7592 §2.3: the client is gone now, not when the
                    // cache entry expires (ADR 0018).
                    self.forget_client(&tenant.record.id, &client.id);
                    let mut res = Response::new(Bytes::new());
                    *res.status_mut() = StatusCode::NO_CONTENT;
                    res
                }
                Err(e) => wire::json_error(&e.into()),
            },
            Method::PUT => match self.update_registration(tenant, &client, req.body()).await {
                Ok(doc) => json_response(StatusCode::OK, &doc),
                Err(e) => wire::json_error(&e),
            },
            _ => wire::json_error(&OAuthError::invalid_request(
                "method not allowed on this endpoint",
            )),
        }
    }

    /// RFC 7592 §2.2: replaces `current`'s metadata by `body`'s, checked as
    /// at registration, and returns the new metadata.
    async fn update_registration(
        &self,
        tenant: &TenantContext,
        current: &ClientRecord,
        body: &[u8],
    ) -> Result<Map<String, Value>, OAuthError> {
        let (new, echoed) = parse_metadata(body, &self.config.uri_policy)?;
        let doc: Map<String, Value> = serde_json::from_slice(body)
            .map_err(|_| metadata_error("the request body must be a JSON object".into()))?;
        check_identity(&doc, tenant, current)?;
        let record = crate::client::revise(
            &self.config,
            current,
            new,
            Some(Value::Object(echoed).to_string()),
        )
        .map_err(registration_error)?;
        // OIDC Registration §5: a pairwise client's sector document must
        // list the new redirect URIs too (the sector itself cannot change).
        if record.redirect_uris != current.redirect_uris {
            crate::client::sector_identifier::verify(
                self.fetch.as_ref(),
                record.sector_identifier_uri.as_deref(),
                &record.redirect_uris,
            )
            .await
            .map_err(registration_error)?;
        }
        let stored = self.store.update_client(&tenant.record.id, &record).await?;
        // The next request sees the new metadata, not the cached one (ADR 0018).
        self.forget_client(&tenant.record.id, &record.id);
        if !stored {
            // Deleted while this update ran.
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "the registration access token is invalid",
            ));
        }
        Ok(client_document(tenant, &record))
    }
}

/// RFC 7592 §2.2: an update names the client it updates (`client_id`,
/// required), and may repeat what the server issued (the secret, the
/// registration access token and URI, the times) only with the values
/// issued; it cannot set them.
fn check_identity(
    doc: &Map<String, Value>,
    tenant: &TenantContext,
    current: &ClientRecord,
) -> Result<(), OAuthError> {
    match string(doc, "client_id")? {
        Some(id) if id == current.id.as_str() => {}
        Some(_) => {
            return Err(metadata_error(
                "client_id does not match the client being updated".into(),
            ));
        }
        None => return Err(metadata_error("client_id is required in an update".into())),
    }
    if let Some(secret) = string(doc, "client_secret")?
        && !current.secret_hash.is_some_and(|h| h.matches(secret))
    {
        return Err(metadata_error(
            "client_secret does not match the issued secret".into(),
        ));
    }
    if let Some(token) = string(doc, "registration_access_token")?
        && !current
            .registration_token_hash
            .is_some_and(|h| h.matches(token))
    {
        return Err(metadata_error(
            "registration_access_token does not match the issued token".into(),
        ));
    }
    if let Some(uri) = string(doc, "registration_client_uri")?
        && uri != tenant.url_with(Endpoint::RegistrationManagement, current.id.as_str())
    {
        return Err(metadata_error(
            "registration_client_uri does not match the issued one".into(),
        ));
    }
    let issued = |name: &str, value: i64| match doc.get(name) {
        None | Some(Value::Null) => Ok(()),
        Some(v) if v.as_i64() == Some(value) => Ok(()),
        Some(_) => Err(metadata_error(format!(
            "{name} does not match the issued value"
        ))),
    };
    issued("client_id_issued_at", current.created_at)?;
    // RFC 7591 §3.2.1: 0, the secret does not expire.
    issued("client_secret_expires_at", 0)?;
    Ok(())
}

/// An update's [`AdminError`] as the RFC 7591 §3.2.2 error it is.
fn registration_error(e: AdminError) -> OAuthError {
    match e {
        AdminError::Invalid(fields) if fields.iter().any(|f| f.field == "redirect_uris") => {
            OAuthError::with(
                ErrorCode::InvalidRedirectUri,
                AdminError::Invalid(fields).to_string(),
            )
        }
        e @ AdminError::Invalid(_) => metadata_error(e.to_string()),
        AdminError::Unavailable(msg) => StoreError::Unavailable(msg).into(),
        other => OAuthError::server(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_implemented() {
        let policy = UriPolicy::default();
        let code = |body: &str| {
            parse_metadata(body.as_bytes(), &policy)
                .err()
                .map(|e| e.code)
        };
        assert_eq!(
            code(r#"{"redirect_uris":["https://a/cb#frag"]}"#),
            Some(ErrorCode::InvalidRedirectUri)
        );
        assert_eq!(
            code(r#"{"redirect_uris":["https://a/cb"],"response_types":["id_token"]}"#),
            Some(ErrorCode::InvalidClientMetadata)
        );
        assert_eq!(
            code(r#"{"redirect_uris":["https://a/cb"],"subject_type":"secret"}"#),
            Some(ErrorCode::InvalidClientMetadata)
        );
        assert_eq!(
            code(r#"{"redirect_uris":["https://a/cb"],"initiate_login_uri":"http://a/login"}"#),
            Some(ErrorCode::InvalidClientMetadata)
        );
        assert_eq!(
            code(r#"{"redirect_uris":["https://a/cb"],"id_token_signed_response_alg":"none"}"#),
            Some(ErrorCode::InvalidClientMetadata)
        );
        assert_eq!(code("[]"), Some(ErrorCode::InvalidClientMetadata));
        assert_eq!(
            code(
                r#"{"redirect_uris":["https://a/cb"],"backchannel_logout_session_required":"yes"}"#
            ),
            Some(ErrorCode::InvalidClientMetadata)
        );
        assert!(
            parse_metadata(
                br#"{"redirect_uris":["https://a/cb"],"logo_uri":"https://a/l.png"}"#,
                &policy
            )
            .is_ok()
        );
        assert_eq!(
            code(r#"{"redirect_uris":["https://a/cb"],"allowed_origins":"https://a"}"#),
            Some(ErrorCode::InvalidClientMetadata)
        );
    }
}
