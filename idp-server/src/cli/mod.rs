//! The command line (design.md "Command line"): `serve` (the default) and
//! administration commands that work on the same database whether or not a
//! server is running, over whichever store `DATABASE_URL` names.
//!
//! One file per noun (`tenant`, `tier`, `client`, `user`, `upstream`, `session`, `api-key`,
//! `audit`, `backup`, `health`, `platform`, `owner`), each with its clap types and its `run`. The server's settings
//! are options of `serve` only; every command takes `--database-url`; an
//! administration command reads the few other settings it needs
//! (`ENCRYPTION_KEY`, `BASE_URL`, the outbound policy) from the environment,
//! and `client create` and `session revoke` also take the outbound policy as
//! options of their own, as `tenant rotate-keys` takes
//! `--key-publication-seconds`. How a command ends is [`exit`].

mod api_key;
mod audit;
mod backup;
mod client;
pub mod exit;
mod health;
mod owner;
mod platform;
mod session;
mod tenant;
mod tier;
mod upstream;
mod user;

use crate::app::build_provider;
use crate::backend::{Backend, OpenError, WithStore};
use crate::config::{Config, ConfigError, Flags};
use clap::{Parser, Subcommand};
use idp_core::Provider;
use idp_store_sqlite::SqliteStore;
use std::future::Future;

/// idp: a multi-tenant OpenID Connect provider. With no command, runs the
/// server (`serve`), with the server options below.
#[derive(Parser, Debug)]
#[command(
    name = "idp-server",
    version,
    about,
    after_help = exit::HELP,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Where the data is: sqlite:PATH (or a file path), or postgres://USER:PASSWORD@HOST:PORT/DB [env: DATABASE_URL] [default: sqlite:./data/idp.db]
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// `serve`'s options, for `idp-server` with no command.
    #[command(flatten, next_help_heading = "Server options (as for `serve`)")]
    pub serve: Flags,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default). Every option is also an environment variable.
    Serve(Box<Flags>),
    /// Create, list, show, change and delete tenants; list and rotate their signing keys.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Register, list, show, change and delete clients (applications that
    /// sign users in or call APIs); rotate their secrets.
    /// Tiers: named limits (users, clients, upstreams, API keys) assigned
    /// to tenants with `tenant set-tier`.
    #[command(subcommand)]
    Tier(tier::TierCommand),
    #[command(subcommand)]
    Client(Box<client::ClientCommand>),
    /// Create, list, show, change, disable, enable and delete users; set passwords.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Add, list, show, change and delete a tenant's upstream identity
    /// providers (GitHub, Google, Microsoft, any OpenID Provider).
    #[command(subcommand)]
    Upstream(upstream::UpstreamCommand),
    /// List and revoke users' login sessions.
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Create, list, revoke and attenuate admin API keys (Biscuit tokens).
    #[command(subcommand)]
    ApiKey(api_key::ApiKeyCommand),
    /// Read the audit log: every change made through the admin API, the CLI or the console.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Make the platform owner (`owner create --email EMAIL [--password-stdin]`).
    #[command(subcommand)]
    Owner(owner::OwnerCommand),
    /// Write a consistent copy of the database while the server runs (SQLite).
    Backup(backup::BackupArgs),
    /// Ask the running server whether it is ready (GET /health/ready):
    /// exit 0 if so, 1 if not (for container health checks).
    Health(health::HealthArgs),
    /// Show or change the platform's own settings (who may sign up at /signup).
    #[command(subcommand)]
    Platform(platform::PlatformCommand),
}

/// Where requests the CLI makes itself may go (the same policy as the
/// server's): `client create` checks a client's `jwks_uri` and back-channel
/// logout URI against it, `session revoke` delivers Logout Tokens under it.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct OutboundArgs {
    /// Internal addresses/CIDRs (comma-separated) that jwks_uri and back-channel logout URIs may reach, or none [env: OUTBOUND_ALLOW] [default: none]
    #[arg(long, value_name = "CIDRS")]
    pub outbound_allow: Option<String>,
    /// Let those requests use plain http, not only https: on or off [env: OUTBOUND_ALLOW_HTTP] [default: off]
    #[arg(long, value_name = "ON_OFF")]
    pub outbound_allow_http: Option<String>,
}

impl OutboundArgs {
    /// Puts these options where [`Config::resolve`] reads them.
    fn apply(&self, flags: &mut Flags) {
        flags.outbound_allow.clone_from(&self.outbound_allow);
        flags
            .outbound_allow_http
            .clone_from(&self.outbound_allow_http);
    }
}

/// A failed command: one line for the user; [`exit::status`] gives its
/// exit status.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No store could be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The administration service refused or failed.
    #[error(transparent)]
    Admin(#[from] idp_core::AdminError),
    /// A value on the command line is invalid.
    #[error("{0}")]
    Invalid(String),
    /// What the command names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// What the command would create exists already.
    #[error("{0}")]
    Conflict(String),
    /// The operation failed.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// The exit status for this error ([`exit::status`]).
    pub fn exit(&self) -> exit::Exit {
        exit::status(self)
    }
}

/// Builds a provider over the SQLite store at `config.database_url`, as the
/// administration commands do (for tests and tools that provision tenants
/// in-process).
pub fn provider_for(config: &Config) -> Result<Provider<SqliteStore>, CliError> {
    let store = crate::backend::open_sqlite(&config.database_url)?;
    provider(config, store)
}

/// Builds the provider the administration commands use. BASE_URL (from
/// the environment) only shapes the issuers the commands print and the
/// Logout Tokens `session revoke` sends.
fn provider<S: Backend>(config: &Config, store: S) -> Result<Provider<S>, CliError> {
    let base_url = config.base_url.clone().unwrap_or_else(|| {
        format!(
            "http://localhost:{}",
            if config.port == 0 { 3000 } else { config.port }
        )
    });
    Ok(build_provider(config, store, &base_url)?)
}

/// Indexes users an older version stored under their canonical email
/// (`idp_core::email_index`) before a command that looks users up by email
/// or creates one, so that a look-alike of an older row is refused and an
/// older row is found; collisions are logged as warnings.
pub(crate) async fn index_emails<S: Backend>(provider: &Provider<S>) -> Result<(), CliError> {
    idp_core::email_index::index_emails(provider.store())
        .await
        .map(|_| ())
        .map_err(|e| CliError::Failed(format!("cannot index users' emails: {e}")))
}

/// `--tenant`, `--limit`, `--cursor` and `--json` of a list command.
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Tenant slug.
    #[arg(long)]
    pub tenant: String,
    /// Which page.
    #[command(flatten)]
    pub page: PageArgs,
}

/// A page of a list: `--limit`, `--cursor` (from the previous page) and `--json`.
#[derive(clap::Args, Debug)]
pub struct PageArgs {
    /// At most this many items (1-200) [default: 50]
    #[arg(long)]
    pub limit: Option<usize>,
    /// Continue after the page that printed this cursor.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Print JSON: {"items": [...], "next_cursor": ...}.
    #[arg(long)]
    pub json: bool,
}

impl PageArgs {
    /// The page asked for.
    pub fn request(&self) -> idp_core::admin::PageRequest {
        idp_core::admin::PageRequest {
            cursor: self.cursor.clone(),
            limit: self.limit,
        }
    }
}

impl ListArgs {
    /// The page asked for.
    pub fn page(&self) -> idp_core::admin::PageRequest {
        self.page.request()
    }
}

/// Prints a page: as `{"items", "next_cursor"}` JSON, or one `line` per
/// item and, if there is more, the option that shows the next page.
pub(crate) fn print_page(
    json: bool,
    page: idp_core::admin::Page<serde_json::Value>,
    line: impl Fn(&serde_json::Value) -> String,
) {
    if json {
        print_json(&serde_json::json!({
            "items": page.items,
            "next_cursor": page.next_cursor,
        }));
        return;
    }
    for item in &page.items {
        println!("{}", line(item));
    }
    if let Some(cursor) = page.next_cursor {
        println!("(more: --cursor {cursor})");
    }
}

/// Prints one object as pretty JSON or as `key: value` lines.
pub(crate) fn print_object(json: bool, value: &serde_json::Value) {
    if json {
        print_json(value);
    } else if let Some(map) = value.as_object() {
        for (k, v) in map {
            println!("{k}: {v}");
        }
    }
}

/// Prints `value` as pretty JSON.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Runs an administration command (`serve` is `main`'s) with the database
/// given by `--database-url`, else `DATABASE_URL`.
pub async fn run(database_url: Option<String>, mut command: Command) -> Result<(), CliError> {
    let mut flags = Flags {
        database_url,
        ..Flags::default()
    };
    match &mut command {
        Command::Serve(_) => return Ok(()),
        Command::Health(args) => return health::run(args).await,
        Command::Client(c) => c.settings(&mut flags),
        Command::Session(c) => c.settings(&mut flags),
        Command::Backup(args) => backup::check_destination(&args.path)?,
        Command::User(c) => c.read_password()?,
        Command::Owner(c) => c.read_password()?,
        Command::Tenant(c) => c.settings(&mut flags),
        Command::Upstream(c) => c.prepare(&mut flags)?,
        // Offline: reads a key on stdin, opens no database.
        Command::ApiKey(api_key::ApiKeyCommand::Attenuate(args)) => {
            return api_key::attenuate(args);
        }
        Command::ApiKey(_) | Command::Audit(_) | Command::Platform(_) | Command::Tier(_) => {}
    }
    let config = Config::resolve(&flags)?;
    let database_url = config.database_url.clone();
    let pool = config.database_pool;
    crate::backend::with_store(&database_url, pool, Admin { config, command }).await?
}

/// An administration command, as work for whichever store `DATABASE_URL`
/// names.
struct Admin {
    config: Config,
    command: Command,
}

impl WithStore for Admin {
    type Output = Result<(), CliError>;

    fn run<S: Backend>(self, store: S) -> impl Future<Output = Self::Output> + Send {
        let Admin { config, command } = self;
        async move {
            match command {
                Command::Serve(_) | Command::Health(_) => Ok(()),
                Command::Backup(args) => backup::run(&store, &args.path).await,
                Command::Tenant(c) => tenant::run(&provider(&config, store)?, c).await,
                Command::Tier(c) => tier::run(&provider(&config, store)?, c).await,
                Command::Client(c) => client::run(&provider(&config, store)?, *c).await,
                Command::User(c) => user::run(&provider(&config, store)?, c).await,
                Command::Upstream(c) => upstream::run(&provider(&config, store)?, c).await,
                Command::Session(c) => session::run(&provider(&config, store)?, c).await,
                Command::ApiKey(c) => api_key::run(&provider(&config, store)?, c).await,
                Command::Audit(c) => audit::run(&provider(&config, store)?, c).await,
                Command::Platform(c) => platform::run(&provider(&config, store)?, c).await,
                Command::Owner(c) => owner::run(&provider(&config, store)?, c).await,
            }
        }
    }
}

/// Who a command acts as in the audit log: `cli` with the OS user
/// (`$USER`, else `$LOGNAME`, else `unknown`).
pub(crate) fn operator() -> idp_core::AuditContext {
    let user = ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned());
    idp_core::AuditContext::cli(user)
}
