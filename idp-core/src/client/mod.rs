//! The tenant's client registry: registering clients and authenticating them.

pub mod assertion;
pub mod auth;
pub mod cache;
pub mod directory;
pub mod display_name;
pub mod jwks_cache;
pub mod metadata_bounds;
mod outbound_uris;
pub mod redirect_match;
pub mod sector_identifier;
pub mod uri_policy;

use crate::admin::AdminError;
use crate::crypto::{random, secret::SecretHash};
use crate::ids::ClientId;
use crate::jwks::SigningAlg;
use crate::provider::{Provider, ProviderConfig};
use crate::store::{ClientRecord, GrantType, Store, TokenEndpointAuthMethod};

/// What an operator asks for when registering a client.
#[derive(Clone, Debug)]
pub struct NewClient {
    /// Display name, shown on the consent page.
    pub name: String,
    /// Redirect URIs, matched exactly (but any port on a loopback IP literal, RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    /// A public client (no secret; RFC 6749 §2.1), e.g. a SPA or native app.
    pub public: bool,
    /// Grant types; empty means authorization_code and refresh_token.
    pub grant_types: Vec<GrantType>,
    /// Require PKCE. Forced on for public clients.
    pub require_pkce: bool,
    /// ID-token signing algorithm.
    pub id_token_alg: SigningAlg,
    /// Token endpoint authentication method for confidential clients
    /// (default `client_secret_basic`; `client_secret_post` is accepted too;
    /// `private_key_jwt` needs `jwks` or `jwks_uri` and gets no secret).
    pub auth_method: Option<TokenEndpointAuthMethod>,
    /// API scopes the client may ask for: with `client_credentials`, and in
    /// the code flow beside the OpenID Connect scopes.
    pub allowed_scopes: Vec<String>,
    /// Audiences (resource servers) its access tokens may name, in every
    /// grant (RFC 8707, `crate::resource`); the first is the default.
    pub audiences: Vec<String>,
    /// Its public keys, a JWK Set document (for `private_key_jwt`).
    pub jwks: Option<String>,
    /// Where it publishes its JWK Set (for `private_key_jwt`).
    pub jwks_uri: Option<String>,
    /// Registered `post_logout_redirect_uri`s, matched like redirect URIs.
    pub post_logout_redirect_uris: Vec<String>,
    /// Front-channel logout URI (see [`validate_frontchannel_logout_uri`]).
    pub frontchannel_logout_uri: Option<String>,
    /// Front-Channel Logout §2 `frontchannel_logout_session_required`.
    pub frontchannel_logout_session_required: bool,
    /// Back-channel logout URI (see [`validate_backchannel_logout_uri`]).
    pub backchannel_logout_uri: Option<String>,
    /// Back-Channel Logout §2.2 `backchannel_logout_session_required`.
    pub backchannel_logout_session_required: bool,
    /// RFC 9126 §6: refuse its authorization requests unless pushed.
    pub require_pushed_authorization_requests: bool,
    /// `public` (default) or `pairwise` subjects (OIDC Core §8).
    pub subject_type: crate::store::SubjectType,
    /// OIDC Registration §2 `sector_identifier_uri`: fetched at registration,
    /// it must list every redirect URI ([`crate::subject`]).
    pub sector_identifier_uri: Option<String>,
    /// Web origins a browser app of the client calls the provider from,
    /// beyond those of its redirect URIs ([`crate::cors`]); normalized by
    /// [`validate`].
    pub allowed_origins: Vec<String>,
}

impl NewClient {
    /// A confidential client with secure defaults.
    pub fn new(name: &str, redirect_uris: Vec<String>) -> Self {
        Self {
            name: name.to_owned(),
            redirect_uris,
            public: false,
            grant_types: Vec::new(),
            require_pkce: true,
            id_token_alg: SigningAlg::Rs256,
            auth_method: None,
            allowed_scopes: Vec::new(),
            audiences: Vec::new(),
            jwks: None,
            jwks_uri: None,
            post_logout_redirect_uris: Vec::new(),
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            require_pushed_authorization_requests: false,
            subject_type: crate::store::SubjectType::Public,
            sector_identifier_uri: None,
            allowed_origins: Vec::new(),
        }
    }
}

/// A registered client and, for a confidential one, its secret: shown once,
/// stored only as a hash.
#[derive(Debug)]
pub struct CreatedClient {
    /// The stored client.
    pub client: ClientRecord,
    /// The plain secret, never retrievable again.
    pub secret: Option<String>,
}

/// An absolute http(s) URL without a fragment, for the logout URIs.
fn logout_url(name: &str, uri: &str) -> Result<url::Url, AdminError> {
    let parsed = url::Url::parse(uri).map_err(|e| {
        AdminError::invalid(name, format!("{name} '{uri}' is not an absolute URL: {e}"))
    })?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host().is_none() {
        return Err(AdminError::invalid(
            name,
            format!("{name} '{uri}' must be an http(s) URL"),
        ));
    }
    if parsed.fragment().is_some() {
        return Err(AdminError::invalid(
            name,
            format!("{name} '{uri}' must not contain a fragment"),
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(AdminError::invalid(
            name,
            format!("{name} '{uri}' must not contain userinfo"),
        ));
    }
    Ok(parsed)
}

fn is_loopback(url: &url::Url) -> bool {
    uri_policy::is_loopback_host(url.host())
}

/// Front-Channel Logout 1.0 §2: an absolute URL without a fragment, whose
/// scheme, host and port are those of a registered redirect URI. It must use
/// https; http only on a loopback host (`localhost`, 127.0.0.0/8, `::1`),
/// for development: the browser loads it in the provider's page.
pub fn validate_frontchannel_logout_uri(
    uri: &str,
    redirect_uris: &[String],
) -> Result<(), AdminError> {
    let name = "frontchannel_logout_uri";
    let parsed = logout_url(name, uri)?;
    if parsed.scheme() == "http" && !is_loopback(&parsed) {
        return Err(AdminError::invalid(
            name,
            format!("{name} '{uri}' must use https (http only on a loopback host)"),
        ));
    }
    let origin = parsed.origin();
    if !redirect_uris
        .iter()
        .filter_map(|r| url::Url::parse(r).ok())
        .any(|r| r.origin() == origin)
    {
        return Err(AdminError::invalid(
            name,
            format!(
                "{name} '{uri}' must have the scheme, host and port of a redirect URI (Front-Channel Logout §2)"
            ),
        ));
    }
    Ok(())
}

/// Back-Channel Logout 1.0 §2.2: an absolute URL without a fragment. It
/// should use https; http is allowed for confidential clients only, as the
/// specification permits.
pub fn validate_backchannel_logout_uri(uri: &str, public: bool) -> Result<(), AdminError> {
    let name = "backchannel_logout_uri";
    let parsed = logout_url(name, uri)?;
    if parsed.scheme() == "http" && public {
        return Err(AdminError::invalid(
            name,
            format!("{name} '{uri}' must use https for a public client (Back-Channel Logout §2.2)"),
        ));
    }
    Ok(())
}

/// What a client that registered itself (RFC 7591) carries besides
/// [`NewClient`].
pub(crate) struct SelfRegistration {
    /// Hash of its registration access token (RFC 7592).
    pub token_hash: SecretHash,
    /// Other metadata to echo, a JSON object.
    pub metadata: String,
}

impl<S: Store> Provider<S> {
    /// Validates `new` and stores it as a client of `tenant` (RFC 7591
    /// registration; operators go through [`crate::admin::Admin::create_client`]).
    pub(crate) async fn insert_client(
        &self,
        tenant: &crate::tenant::TenantContext,
        new: NewClient,
        registration: Option<SelfRegistration>,
    ) -> Result<CreatedClient, AdminError> {
        use crate::audit::{AuditAction, AuditContext, Changes, Target};
        let now = self.clock.now();
        let created = build(&self.config, now, new, registration)?;
        let c = &created.client;
        sector_identifier::verify(
            self.fetch.as_ref(),
            c.sector_identifier_uri.as_deref(),
            &c.redirect_uris,
        )
        .await?;
        // Audited like an operator's create (never the secret), and
        // counted against the tenant's tier like one.
        let event = AuditContext::system("dynamic-registration").event(
            AuditAction::ClientRegister,
            Some(tenant),
            Target::new("client", c.id.as_str()),
            Changes::none()
                .set("name", &c.name)
                .set("redirect_uris", &c.redirect_uris),
            now,
        );
        let change = crate::store::AdminChange::CreateClient {
            tenant: &tenant.record.id,
            client: c,
        };
        crate::tier::apply_within_limit(
            &*self.store,
            (&tenant.record.id, &tenant.record.slug),
            crate::tier::Limit::Clients,
            change,
            &event,
            now,
            format!("client '{}'", c.id),
        )
        .await?;
        // Its web origins answer preflights at once in this process.
        self.clients.forget_origins(&tenant.record.id);
        Ok(created)
    }
}

fn invalid(field: &str, reason: impl Into<String>) -> AdminError {
    AdminError::invalid(field, reason)
}

/// Checks `new` against every registration rule: what an operator
/// creates, what a client registers itself and what an update changes to
/// pass the same checks. On success, the grant types (empty means
/// authorization_code and refresh_token) and the authentication method.
pub(crate) fn validate(
    config: &ProviderConfig,
    new: &NewClient,
    metadata: Option<&str>,
) -> Result<(Vec<GrantType>, TokenEndpointAuthMethod), AdminError> {
    if new.name.trim().is_empty() {
        return Err(invalid("name", "client name must not be empty"));
    }
    display_name::check("client name", &new.name).map_err(|r| invalid("name", r))?;
    let grant_types = if new.grant_types.is_empty() {
        vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
    } else {
        new.grant_types.clone()
    };
    if grant_types.contains(&GrantType::AuthorizationCode) && new.redirect_uris.is_empty() {
        return Err(invalid(
            "redirect_uris",
            "a client using authorization_code needs at least one redirect URI",
        ));
    }
    config
        .uri_policy
        .client_uris(new)
        .map_err(|r| invalid("redirect_uris", r))?;
    if new.public && !new.require_pkce {
        return Err(invalid(
            "require_pkce",
            "PKCE cannot be turned off for a public client (RFC 9700 §2.1.1)",
        ));
    }
    if let Some(uri) = &new.frontchannel_logout_uri {
        validate_frontchannel_logout_uri(uri, &new.redirect_uris)?;
    }
    if let Some(uri) = &new.backchannel_logout_uri {
        validate_backchannel_logout_uri(uri, new.public)?;
    }
    outbound_uris::validate(&config.outbound, new, metadata)?;
    crate::subject::check_sector(
        new.subject_type,
        &new.redirect_uris,
        new.sector_identifier_uri.as_deref(),
    )
    .map_err(|r| invalid("sector_identifier_uri", r))?;
    allowed_origins(&new.allowed_origins)?;
    if new.public && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(invalid(
            "grant_types",
            "client_credentials is for confidential clients only (RFC 6749 §4.4)",
        ));
    }
    for scope in &new.allowed_scopes {
        if !crate::scope::is_valid_token(scope) {
            return Err(invalid("scopes", format!("'{scope}' is not a valid scope")));
        }
    }
    for audience in &new.audiences {
        if audience.is_empty() || audience.chars().any(char::is_whitespace) {
            return Err(invalid(
                "audiences",
                format!("'{audience}' is not a valid audience"),
            ));
        }
    }
    let method = match (new.public, new.auth_method) {
        (true, None | Some(TokenEndpointAuthMethod::None)) => TokenEndpointAuthMethod::None,
        (true, Some(m)) => {
            return Err(invalid(
                "auth_method",
                format!("a public client cannot use auth method '{}'", m.as_str()),
            ));
        }
        (false, Some(TokenEndpointAuthMethod::None)) => {
            return Err(invalid(
                "auth_method",
                "a confidential client cannot use auth method 'none'",
            ));
        }
        (false, Some(m)) => m,
        (false, None) => TokenEndpointAuthMethod::ClientSecretBasic,
    };
    // Keys are also used for signed request objects: check them whatever the method.
    if let Some(jwks) = &new.jwks {
        crate::jwks::PublicKeySet::parse(jwks.as_bytes())
            .map_err(|e| invalid("jwks", format!("jwks: {e}")))?;
    }
    if method == TokenEndpointAuthMethod::PrivateKeyJwt {
        match (&new.jwks, &new.jwks_uri) {
            (Some(_), None) => {}
            (None, Some(uri)) => {
                let parsed = url::Url::parse(uri)
                    .map_err(|e| invalid("jwks_uri", format!("jwks_uri: {e}")))?;
                if !matches!(parsed.scheme(), "https" | "http") {
                    return Err(invalid("jwks_uri", "jwks_uri must be an http(s) URL"));
                }
            }
            _ => {
                return Err(invalid(
                    "jwks",
                    "private_key_jwt needs exactly one of jwks and jwks_uri",
                ));
            }
        }
    }
    Ok((grant_types, method))
}

/// The `allowed_origins` in the form browsers send them, each checked by
/// [`crate::cors::parse_allowed_origin`], without duplicates.
pub(crate) fn allowed_origins(origins: &[String]) -> Result<Vec<String>, AdminError> {
    let mut out = Vec::with_capacity(origins.len());
    for o in origins {
        let origin =
            crate::cors::parse_allowed_origin(o).map_err(|r| invalid("allowed_origins", r))?;
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    Ok(out)
}

/// Validates `new` and builds its record, with a fresh secret if its
/// method uses one.
pub(crate) fn build(
    config: &ProviderConfig,
    now: crate::clock::UnixTime,
    new: NewClient,
    registration: Option<SelfRegistration>,
) -> Result<CreatedClient, AdminError> {
    let (grant_types, method) = validate(
        config,
        &new,
        registration.as_ref().map(|r| r.metadata.as_str()),
    )?;
    let allowed_origins = allowed_origins(&new.allowed_origins)?;
    let (secret, secret_hash) = match method {
        TokenEndpointAuthMethod::ClientSecretBasic | TokenEndpointAuthMethod::ClientSecretPost => {
            let secret = random::secret();
            let hash = SecretHash::of(&secret);
            (Some(secret), Some(hash))
        }
        TokenEndpointAuthMethod::PrivateKeyJwt | TokenEndpointAuthMethod::None => (None, None),
    };
    let client = ClientRecord {
        id: ClientId::generate(),
        name: new.name.trim().to_owned(),
        secret_hash,
        auth_method: method,
        redirect_uris: new.redirect_uris,
        grant_types,
        require_pkce: new.public || new.require_pkce,
        id_token_alg: new.id_token_alg,
        allowed_scopes: new.allowed_scopes,
        audiences: new.audiences,
        jwks: new.jwks,
        jwks_uri: new.jwks_uri,
        post_logout_redirect_uris: new.post_logout_redirect_uris,
        frontchannel_logout_uri: new.frontchannel_logout_uri,
        frontchannel_logout_session_required: new.frontchannel_logout_session_required,
        backchannel_logout_uri: new.backchannel_logout_uri,
        backchannel_logout_session_required: new.backchannel_logout_session_required,
        registration_token_hash: registration.as_ref().map(|r| r.token_hash),
        metadata: registration.map_or_else(|| "{}".to_owned(), |r| r.metadata),
        previous_secret: None,
        created_at: now,
        require_pushed_authorization_requests: new.require_pushed_authorization_requests,
        subject_type: new.subject_type,
        sector_identifier_uri: new.sector_identifier_uri,
        allowed_origins,
    };
    Ok(CreatedClient { client, secret })
}

/// The stored client `record` changed to the registration `wanted`,
/// checked by every rule of creation ([`validate`]; `metadata` is a
/// self-registered client's other metadata, which replaces the stored
/// one). What an update may not change stays: the id, the secret and the
/// authentication method that uses it, the registration access token,
/// the creation time.
pub(crate) fn revise(
    config: &ProviderConfig,
    record: &ClientRecord,
    wanted: NewClient,
    metadata: Option<String>,
) -> Result<ClientRecord, AdminError> {
    let (grant_types, method) = validate(config, &wanted, metadata.as_deref())?;
    if method != record.auth_method {
        return Err(invalid(
            "auth_method",
            format!(
                "the authentication method cannot be changed from '{}' (register a new client)",
                record.auth_method.as_str()
            ),
        ));
    }
    Ok(ClientRecord {
        name: wanted.name.trim().to_owned(),
        redirect_uris: wanted.redirect_uris,
        grant_types,
        require_pkce: wanted.public || wanted.require_pkce,
        id_token_alg: wanted.id_token_alg,
        allowed_scopes: wanted.allowed_scopes,
        audiences: wanted.audiences,
        jwks: wanted.jwks,
        jwks_uri: wanted.jwks_uri,
        post_logout_redirect_uris: wanted.post_logout_redirect_uris,
        frontchannel_logout_uri: wanted.frontchannel_logout_uri,
        frontchannel_logout_session_required: wanted.frontchannel_logout_session_required,
        backchannel_logout_uri: wanted.backchannel_logout_uri,
        backchannel_logout_session_required: wanted.backchannel_logout_session_required,
        metadata: metadata.unwrap_or_else(|| record.metadata.clone()),
        require_pushed_authorization_requests: wanted.require_pushed_authorization_requests,
        allowed_origins: allowed_origins(&wanted.allowed_origins)?,
        ..record.clone()
    })
}

impl NewClient {
    /// The registration of a stored client, as the input an update edits
    /// and [`validate`] checks again.
    pub(crate) fn from_record(r: &ClientRecord) -> Self {
        Self {
            name: r.name.clone(),
            redirect_uris: r.redirect_uris.clone(),
            public: r.auth_method == TokenEndpointAuthMethod::None,
            grant_types: r.grant_types.clone(),
            require_pkce: r.require_pkce,
            id_token_alg: r.id_token_alg,
            auth_method: Some(r.auth_method),
            allowed_scopes: r.allowed_scopes.clone(),
            audiences: r.audiences.clone(),
            jwks: r.jwks.clone(),
            jwks_uri: r.jwks_uri.clone(),
            post_logout_redirect_uris: r.post_logout_redirect_uris.clone(),
            frontchannel_logout_uri: r.frontchannel_logout_uri.clone(),
            frontchannel_logout_session_required: r.frontchannel_logout_session_required,
            backchannel_logout_uri: r.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: r.backchannel_logout_session_required,
            require_pushed_authorization_requests: r.require_pushed_authorization_requests,
            subject_type: r.subject_type,
            sector_identifier_uri: r.sector_identifier_uri.clone(),
            allowed_origins: r.allowed_origins.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontchannel_logout_uri_shares_a_redirect_uri_origin() {
        let redirects = vec![
            "https://app.example/cb".to_owned(),
            "http://localhost:8080/cb".to_owned(),
        ];
        let check = |uri: &str| validate_frontchannel_logout_uri(uri, &redirects);
        assert!(check("https://app.example/logout?x=1").is_ok());
        assert!(check("http://localhost:8080/logout").is_ok());
        assert!(check("https://app.example:8443/logout").is_err(), "port");
        assert!(check("https://other.example/logout").is_err(), "host");
        assert!(check("http://app.example/logout").is_err(), "http");
        assert!(check("https://app.example/logout#f").is_err(), "fragment");
        assert!(check("/logout").is_err(), "relative");
        assert!(check("javascript:alert(1)").is_err(), "scheme");
        assert!(validate_frontchannel_logout_uri("https://app.example/l", &[]).is_err());
    }

    #[test]
    fn backchannel_logout_uri_is_https_or_http_for_confidential_clients() {
        assert!(validate_backchannel_logout_uri("https://rp.example/bc", true).is_ok());
        assert!(validate_backchannel_logout_uri("http://10.0.0.5:8080/bc", false).is_ok());
        assert!(validate_backchannel_logout_uri("http://rp.example/bc", true).is_err());
        assert!(validate_backchannel_logout_uri("https://rp.example/bc#x", false).is_err());
        assert!(validate_backchannel_logout_uri("urn:x:y", false).is_err());
    }
}
