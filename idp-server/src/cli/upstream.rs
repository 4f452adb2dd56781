//! `idp-server upstream create|list|get|update|delete`: a tenant's upstream
//! identity providers (GitHub, Google, Microsoft or any OpenID Provider).
//! The client secret is read from standard input (`--client-secret-stdin`,
//! never an argument, which other users of the machine could read in the
//! process list), sealed, and never printed; `create` prints the callback
//! URL to register at the upstream.

use super::{CliError, OutboundArgs, PageArgs, print_json, print_object, print_page};
use crate::api::representation;
use crate::backend::Backend;
use crate::config::Flags;
use idp_core::Provider;
use idp_core::admin::{NewUpstream, UpstreamUpdate};
use idp_core::upstream::UpstreamKind;
use std::io::BufRead;

/// An upstream's kind on the command line.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    /// Any OpenID Provider, by `--issuer`.
    Oidc,
    /// GitHub (`--issuer`: GitHub Enterprise Server's base URL).
    Github,
    /// Google.
    Google,
    /// Microsoft (the multi-tenant `common` issuer unless `--issuer`).
    Microsoft,
}

impl From<KindArg> for UpstreamKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Oidc => Self::Oidc,
            KindArg::Github => Self::Github,
            KindArg::Google => Self::Google,
            KindArg::Microsoft => Self::Microsoft,
        }
    }
}

/// `on` or `off`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnOff {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

impl OnOff {
    fn enabled(self) -> bool {
        self == Self::On
    }
}

/// A client secret read from standard input; `Debug` never shows it.
#[derive(Clone, Default)]
pub struct SecretInput(Option<String>);

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretInput(redacted)")
    }
}

/// `upstream create`'s options.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Tenant slug.
    #[arg(long)]
    tenant: String,
    /// What kind of upstream.
    #[arg(long, value_enum)]
    kind: KindArg,
    /// The name on the login page ("Continue with NAME").
    #[arg(long)]
    name: String,
    /// The issuer URL (required for oidc); for github, GitHub Enterprise Server's base URL.
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// The client id registered at the upstream.
    #[arg(long)]
    client_id: String,
    /// Read the client secret from the first line of standard input.
    #[arg(long, required = true)]
    client_secret_stdin: bool,
    /// A first sign-in through this upstream does not create a user.
    #[arg(long)]
    no_signup: bool,
    /// A first sign-in with a verified email links to the existing user with that email.
    #[arg(long)]
    auto_link: bool,
    #[command(flatten)]
    outbound: OutboundArgs,
    /// Print JSON (with `id` and `callback_url`).
    #[arg(long)]
    json: bool,
    #[arg(skip)]
    secret: SecretInput,
}

/// `upstream update`'s options: each one given replaces the stored value.
#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    /// The upstream's id.
    id: String,
    /// Tenant slug.
    #[arg(long)]
    tenant: String,
    /// A new name.
    #[arg(long)]
    name: Option<String>,
    /// A new issuer URL (or base URL); an empty value returns to the kind's default.
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
    /// A new client id.
    #[arg(long)]
    client_id: Option<String>,
    /// Read a new client secret from the first line of standard input.
    #[arg(long)]
    client_secret_stdin: bool,
    /// Whether a first sign-in creates a user.
    #[arg(long, value_enum, value_name = "ON_OFF")]
    signup: Option<OnOff>,
    /// Whether a first sign-in with a verified email links to the user with that email.
    #[arg(long, value_enum, value_name = "ON_OFF")]
    auto_link: Option<OnOff>,
    #[command(flatten)]
    outbound: OutboundArgs,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    #[arg(skip)]
    secret: SecretInput,
}

/// Upstream commands.
#[derive(clap::Subcommand, Debug)]
pub enum UpstreamCommand {
    /// Add an upstream identity provider to a tenant; prints the callback URL to register there.
    Create(Box<CreateArgs>),
    /// List a tenant's upstreams, a page at a time.
    List {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one upstream (never its secret).
    Get {
        /// The upstream's id.
        id: String,
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an upstream's name, issuer, credentials or rules (its id and kind stay).
    Update(Box<UpdateArgs>),
    /// Delete an upstream and the identities linked through it.
    Delete {
        /// The upstream's id.
        id: String,
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
    },
}

/// The first line of standard input, as a client secret.
fn read_secret_line() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        CliError::Failed(format!(
            "cannot read the client secret from standard input: {e}"
        ))
    })?;
    let secret = line.trim_end_matches(['\n', '\r']).to_owned();
    if secret.is_empty() {
        return Err(CliError::Invalid(
            "the client secret on standard input is empty".into(),
        ));
    }
    Ok(secret)
}

impl UpstreamCommand {
    /// Reads the secret from standard input before the database opens, and
    /// puts the outbound options where the configuration reads them.
    pub(super) fn prepare(&mut self, flags: &mut Flags) -> Result<(), CliError> {
        match self {
            Self::Create(args) => {
                args.outbound.apply(flags);
                args.secret = SecretInput(Some(read_secret_line()?));
            }
            Self::Update(args) => {
                args.outbound.apply(flags);
                if args.client_secret_stdin {
                    args.secret = SecretInput(Some(read_secret_line()?));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: UpstreamCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    let ctx = super::operator();
    match command {
        UpstreamCommand::Create(args) => {
            let args = *args;
            let secret = args.secret.0.unwrap_or_default();
            let mut new = NewUpstream::new(args.kind.into(), args.name, args.client_id, secret);
            new.issuer = args.issuer;
            new.signup = !args.no_signup;
            new.auto_link = args.auto_link;
            let u = admin.create_upstream(&ctx, &args.tenant, new).await?;
            if args.json {
                print_json(&representation::upstream(&u));
            } else {
                println!("created upstream '{}' ({})", u.id, u.kind.as_str());
                println!(
                    "callback URL to register at the upstream: {}",
                    u.callback_url
                );
            }
        }
        UpstreamCommand::List { tenant, page } => {
            let list = admin.list_upstreams(&tenant, &page.request()).await?;
            print_page(page.json, list.map(|u| representation::upstream(&u)), |u| {
                let s = |f: &str| u[f].as_str().unwrap_or("").to_owned();
                format!(
                    "{}\t{}\t{}\t{}",
                    s("id"),
                    s("kind"),
                    s("name"),
                    s("callback_url")
                )
            });
        }
        UpstreamCommand::Get { id, tenant, json } => {
            let u = admin.get_upstream(&tenant, &id).await?;
            print_object(json, &representation::upstream(&u));
        }
        UpstreamCommand::Update(args) => {
            let args = *args;
            let update = UpstreamUpdate {
                name: args.name,
                issuer: args.issuer.map(|i| Some(i).filter(|i| !i.is_empty())),
                client_id: args.client_id,
                client_secret: args.secret.0,
                signup: args.signup.map(OnOff::enabled),
                auto_link: args.auto_link.map(OnOff::enabled),
            };
            let nothing = update.name.is_none()
                && update.issuer.is_none()
                && update.client_id.is_none()
                && update.client_secret.is_none()
                && update.signup.is_none()
                && update.auto_link.is_none();
            if nothing {
                return Err(CliError::Invalid(
                    "give at least one of --name, --issuer, --client-id, --client-secret-stdin, --signup, --auto-link".into(),
                ));
            }
            let u = admin
                .update_upstream(&ctx, &args.tenant, &args.id, update)
                .await?;
            print_object(args.json, &representation::upstream(&u));
        }
        UpstreamCommand::Delete { id, tenant } => {
            admin.delete_upstream(&ctx, &tenant, &id).await?;
            println!("deleted upstream '{id}'");
        }
    }
    Ok(())
}
