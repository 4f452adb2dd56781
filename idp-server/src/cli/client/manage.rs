//! `idp-server client list|get|update|delete|rotate-secret`.

use super::{ClientCommand, client_json};
use crate::backend::Backend;
use crate::cli::{CliError, OutboundArgs, print_json, print_object, print_page};
use crate::config::Flags;
use idp_core::Provider;
use idp_core::admin::ClientUpdate;
use serde_json::json;

/// A client of a tenant.
#[derive(clap::Args, Debug)]
pub struct ClientRef {
    /// Tenant slug.
    #[arg(long)]
    tenant: String,
    /// The client_id.
    client_id: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `client update`'s options: each one given replaces the stored value.
#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    client: ClientRef,
    /// New display name.
    #[arg(long)]
    name: Option<String>,
    /// Redirect URIs, replacing all of them (repeatable).
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Grant types, replacing all of them (repeatable).
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// Post-logout redirect URIs, replacing all of them (repeatable).
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// Remove every post-logout redirect URI.
    #[arg(long, conflicts_with = "post_logout_redirect_uris")]
    no_post_logout_redirect_uris: bool,
    /// Front-channel logout URI; "" removes it.
    #[arg(long)]
    frontchannel_logout_uri: Option<String>,
    /// Back-channel logout URI; "" removes it.
    #[arg(long)]
    backchannel_logout_uri: Option<String>,
    /// Accept only pushed authorization requests (RFC 9126 §6): true (the
    /// default when given without a value) or false.
    #[arg(long = "require-par", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    require_par: Option<bool>,
    /// Allowed web origins (CORS) beyond the redirect URIs', replacing all
    /// of them (repeatable).
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    allowed_origins: Vec<String>,
    /// Remove every allowed origin (the redirect URIs' origins remain).
    #[arg(long, conflicts_with = "allowed_origins")]
    no_allowed_origins: bool,
    /// Development only: accept http redirect URIs on any host: on or off [env: ALLOW_INSECURE_REDIRECT_URIS] [default: off]
    #[arg(long, value_name = "ON_OFF")]
    allow_insecure_redirect_uris: Option<String>,
    /// Which addresses --backchannel-logout-uri may name.
    #[command(flatten)]
    outbound: OutboundArgs,
}

impl UpdateArgs {
    /// The settings given as this command's options.
    pub(super) fn settings(&self, flags: &mut Flags) {
        flags
            .allow_insecure_redirect_uris
            .clone_from(&self.allow_insecure_redirect_uris);
        self.outbound.apply(flags);
    }
}

/// `client rotate-secret`'s options.
#[derive(clap::Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    client: ClientRef,
    /// How long the old secret keeps working, in seconds (0: not at all).
    #[arg(long, default_value_t = idp_core::admin::DEFAULT_SECRET_GRACE)]
    grace_seconds: i64,
}

/// An optional URI option: absent keeps, "" removes, anything else sets.
fn optional_uri(value: Option<String>) -> Option<Option<String>> {
    value.map(|v| (!v.is_empty()).then_some(v))
}

/// A list option: absent (empty) keeps, anything else replaces.
fn list(values: Vec<String>) -> Option<Vec<String>> {
    (!values.is_empty()).then_some(values)
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: ClientCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    match command {
        ClientCommand::Create(_) => Ok(()),
        ClientCommand::List(args) => {
            let page = admin.list_clients(&args.tenant, &args.page()).await?;
            print_page(args.page.json, page.map(|c| client_json(&c)), |c| {
                format!("{}\t{}", c["client_id"].as_str().unwrap_or(""), c["name"])
            });
            Ok(())
        }
        ClientCommand::Get(r) => {
            let c = admin.get_client(&r.tenant, &r.client_id).await?;
            print_object(r.json, &client_json(&c));
            Ok(())
        }
        ClientCommand::Update(u) => {
            let grant_types = if u.grant_types.is_empty() {
                None
            } else {
                Some(super::create::parse_grant_types(&u.grant_types)?)
            };
            let post_logout = if u.no_post_logout_redirect_uris {
                Some(Vec::new())
            } else {
                list(u.post_logout_redirect_uris)
            };
            let update = ClientUpdate {
                name: u.name,
                redirect_uris: list(u.redirect_uris),
                grant_types,
                post_logout_redirect_uris: post_logout,
                frontchannel_logout_uri: optional_uri(u.frontchannel_logout_uri),
                backchannel_logout_uri: optional_uri(u.backchannel_logout_uri),
                require_pushed_authorization_requests: u.require_par,
                allowed_origins: if u.no_allowed_origins {
                    Some(Vec::new())
                } else {
                    list(u.allowed_origins)
                },
                ..ClientUpdate::default()
            };
            let c = admin
                .update_client(
                    &crate::cli::operator(),
                    &u.client.tenant,
                    &u.client.client_id,
                    update,
                )
                .await?;
            print_object(u.client.json, &client_json(&c));
            Ok(())
        }
        ClientCommand::Delete(r) => {
            admin
                .delete_client(&crate::cli::operator(), &r.tenant, &r.client_id)
                .await?;
            if r.json {
                print_json(&json!({ "client_id": r.client_id, "deleted": true }));
            } else {
                println!("deleted client {}", r.client_id);
            }
            Ok(())
        }
        ClientCommand::RotateSecret(a) => {
            if a.grace_seconds < 0 {
                return Err(CliError::Invalid(
                    "--grace-seconds must be 0 or more".into(),
                ));
            }
            let rotated = admin
                .with_secret_grace(a.grace_seconds)
                .rotate_client_secret(
                    &crate::cli::operator(),
                    &a.client.tenant,
                    &a.client.client_id,
                )
                .await?;
            if a.client.json {
                print_json(&json!({
                    "client_id": rotated.client.id.as_str(),
                    "client_secret": rotated.secret,
                    "previous_secret_expires_at": rotated.previous_expires_at,
                }));
            } else {
                println!("client_secret: {}", rotated.secret);
                println!("(the secret is shown only now; it is stored hashed)");
                match rotated.previous_expires_at {
                    Some(t) => println!("the old secret works until {t} (unix time)"),
                    None => println!("the old secret no longer works"),
                }
            }
            Ok(())
        }
    }
}
