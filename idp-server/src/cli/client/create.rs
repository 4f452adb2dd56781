//! `idp-server client create`.

use crate::backend::Backend;
use crate::cli::{CliError, OutboundArgs, print_json};
use crate::config::Flags;
use idp_core::jwks::SigningAlg;
use idp_core::store::{GrantType, SubjectType, TokenEndpointAuthMethod};
use idp_core::{NewClient, Provider};

/// `client create`'s options.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Tenant slug.
    #[arg(long)]
    tenant: String,
    /// Display name, shown on the consent page.
    #[arg(long)]
    name: String,
    /// Redirect URI, matched exactly (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// A public client (SPA, native app): no secret, PKCE required.
    #[arg(long)]
    public: bool,
    /// Allowed grant type (repeatable; default authorization_code and refresh_token).
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Do not require PKCE (confidential clients only).
    #[arg(long)]
    no_pkce: bool,
    /// ID-token signing algorithm: RS256 (default), ES256 or EdDSA.
    #[arg(long, default_value = "RS256")]
    id_token_alg: String,
    /// Token endpoint auth method: client_secret_basic (default),
    /// client_secret_post, or private_key_jwt (with --jwks or --jwks-uri).
    #[arg(long)]
    auth_method: Option<String>,
    /// API scope the client may request, with client_credentials or at
    /// authorization (repeatable).
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Audience (resource server, RFC 8707) its access tokens may name, in every
    /// grant (repeatable; the first is the default `aud`).
    #[arg(long = "audience")]
    audiences: Vec<String>,
    /// The client's public keys, a JWK Set as JSON (for private_key_jwt).
    #[arg(long)]
    jwks: Option<String>,
    /// Where the client publishes its JWK Set (for private_key_jwt).
    #[arg(long)]
    jwks_uri: Option<String>,
    /// Where the browser may go after logout, matched exactly (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Loaded in an iframe when the user logs out (Front-Channel Logout);
    /// https (http on loopback only), same origin as a redirect URI.
    #[arg(long)]
    frontchannel_logout_uri: Option<String>,
    /// Where Logout Tokens are POSTed when a session ends (Back-Channel Logout).
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Accept only pushed authorization requests (RFC 9126 §6): the
    /// authorization endpoint refuses its requests unless they were pushed
    /// to the PAR endpoint first.
    #[arg(long = "require-par")]
    require_par: bool,
    /// Subject identifiers its users get: public (default, the user id) or
    /// pairwise (one per sector, OIDC Core §8.1).
    #[arg(long, default_value = "public", value_name = "public|pairwise")]
    subject_type: String,
    /// https URL of a JSON array listing every redirect URI; fetched now. Its
    /// host is the pairwise sector (needed when the redirect URIs are on
    /// several hosts).
    #[arg(long)]
    sector_identifier_uri: Option<String>,
    /// Web origin a browser app (SPA) of the client calls the token,
    /// userinfo, revocation and introspection endpoints from, beyond those
    /// of its redirect URIs: scheme://host[:port], https (http on loopback
    /// only) (repeatable).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// Development only: accept http redirect and post-logout redirect URIs on any host, not only on loopback: on or off [env: ALLOW_INSECURE_REDIRECT_URIS] [default: off]
    #[arg(long, value_name = "ON_OFF")]
    allow_insecure_redirect_uris: Option<String>,
    /// Which addresses --jwks-uri, --backchannel-logout-uri and
    /// --sector-identifier-uri may name.
    #[command(flatten)]
    outbound: OutboundArgs,
}

impl CreateArgs {
    /// The settings given as this command's options.
    pub(super) fn settings(&self, flags: &mut Flags) {
        let Self {
            allow_insecure_redirect_uris,
            outbound,
            ..
        } = self;
        flags
            .allow_insecure_redirect_uris
            .clone_from(allow_insecure_redirect_uris);
        outbound.apply(flags);
    }
}

/// Grant types by their wire names.
pub(super) fn parse_grant_types(names: &[String]) -> Result<Vec<GrantType>, CliError> {
    names
        .iter()
        .map(|g| {
            GrantType::parse(g)
                .ok_or_else(|| CliError::Invalid(format!("unknown grant type '{g}'")))
        })
        .collect()
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: CreateArgs,
) -> Result<(), CliError> {
    let CreateArgs {
        tenant,
        name,
        redirect_uris,
        public,
        grant_types,
        no_pkce,
        id_token_alg,
        auth_method,
        scopes,
        audiences,
        jwks,
        jwks_uri,
        post_logout_redirect_uris,
        frontchannel_logout_uri,
        backchannel_logout_uri,
        require_par,
        subject_type,
        sector_identifier_uri,
        allowed_origins,
        json,
        allow_insecure_redirect_uris: _,
        outbound: _,
    } = command;
    let grant_types = parse_grant_types(&grant_types)?;
    let id_token_alg = SigningAlg::parse(&id_token_alg).ok_or_else(|| {
        CliError::Invalid(format!(
            "unknown ID-token algorithm '{id_token_alg}' (RS256, ES256, EdDSA)"
        ))
    })?;
    let auth_method = auth_method
        .map(|m| {
            TokenEndpointAuthMethod::parse(&m)
                .ok_or_else(|| CliError::Invalid(format!("unknown auth method '{m}'")))
        })
        .transpose()?;
    let subject_type = SubjectType::parse(&subject_type).ok_or_else(|| {
        CliError::Invalid(format!(
            "unknown subject type '{subject_type}' (public, pairwise)"
        ))
    })?;
    let new = NewClient {
        name,
        redirect_uris,
        public,
        grant_types,
        require_pkce: !no_pkce,
        id_token_alg,
        auth_method,
        allowed_scopes: scopes,
        audiences,
        jwks,
        jwks_uri,
        post_logout_redirect_uris,
        frontchannel_logout_uri,
        backchannel_logout_uri,
        require_pushed_authorization_requests: require_par,
        subject_type,
        sector_identifier_uri,
        allowed_origins,
        ..NewClient::new("", Vec::new())
    };
    let created = provider
        .admin()
        .create_client(&crate::cli::operator(), &tenant, new)
        .await?;
    let c = &created.client;
    if json {
        let mut doc = super::client_json(c);
        doc["client_secret"] = serde_json::json!(created.secret);
        print_json(&doc);
    } else {
        println!("client_id:     {}", c.id);
        match &created.secret {
            Some(s) => {
                println!("client_secret: {s}");
                println!("(the secret is shown only now; it is stored hashed)");
            }
            None if c.auth_method == TokenEndpointAuthMethod::None => {
                println!("public client: no secret; PKCE (S256) required")
            }
            None => println!("authenticates with private_key_jwt: no secret"),
        }
    }
    Ok(())
}
