//! `idp-server client create|list|get|update|delete|rotate-secret`.

mod create;
mod manage;

use super::CliError;
use crate::backend::Backend;
use crate::config::Flags;
use idp_core::Provider;
use idp_core::store::{ClientRecord, TokenEndpointAuthMethod};
use serde_json::{Value, json};

/// Client commands.
#[derive(clap::Subcommand, Debug)]
pub enum ClientCommand {
    /// Register a client. A confidential client's secret is printed once.
    Create(create::CreateArgs),
    /// List a tenant's clients, a page at a time, by client id.
    List(super::ListArgs),
    /// Show one client (never its secret).
    Get(manage::ClientRef),
    /// Change a client's name, redirect URIs, grant types, logout URIs,
    /// allowed origins or whether it must push its authorization requests
    /// (--require-par); checked by the rules of `client create`.
    Update(manage::UpdateArgs),
    /// Delete a client: its refresh tokens stop working at once and its
    /// access tokens are inactive.
    Delete(manage::ClientRef),
    /// Give a client a new secret, printed once; the old one keeps working
    /// for --grace-seconds (default 86400, 24 hours; 0: refused at once).
    RotateSecret(manage::RotateArgs),
}

impl ClientCommand {
    /// The settings given as this command's options.
    pub(super) fn settings(&self, flags: &mut Flags) {
        match self {
            Self::Create(args) => args.settings(flags),
            Self::Update(args) => args.settings(flags),
            _ => {}
        }
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: ClientCommand,
) -> Result<(), CliError> {
    match command {
        ClientCommand::Create(args) => create::run(provider, args).await,
        other => manage::run(provider, other).await,
    }
}

/// A client as the CLI prints it (`--json`): its registration, never a secret.
pub(super) fn client_json(c: &ClientRecord) -> Value {
    json!({
        "client_id": c.id.as_str(),
        "name": c.name,
        "redirect_uris": c.redirect_uris,
        "grant_types": c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "public": c.auth_method == TokenEndpointAuthMethod::None,
        "require_pkce": c.require_pkce,
        "id_token_signed_response_alg": c.id_token_alg.as_str(),
        "token_endpoint_auth_method": c.auth_method.as_str(),
        "scopes": c.allowed_scopes,
        "audiences": c.audiences,
        "jwks_uri": c.jwks_uri,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "frontchannel_logout_uri": c.frontchannel_logout_uri,
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "require_pushed_authorization_requests": c.require_pushed_authorization_requests,
        "subject_type": c.subject_type.as_str(),
        "sector_identifier_uri": c.sector_identifier_uri,
        "allowed_origins": c.allowed_origins,
        "created_at": c.created_at,
    })
}
