//! The command line (design.md "Command line"): `serve` (the default) and
//! administration commands that work on the same database whether or not a
//! server is running.

mod backup;
mod client;
mod health;
mod session;
mod tenant;
mod user;

use crate::app::{IdpProvider, build_provider, open_store};
use crate::config::{Config, ConfigError, Flags};
use clap::{Parser, Subcommand};

/// idp: a multi-tenant OpenID Connect provider.
#[derive(Parser, Debug)]
#[command(name = "idp-server", version, about)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub flags: Flags,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage tenants.
    #[command(subcommand)]
    Tenant(tenant::TenantCommand),
    /// Manage clients (boxed: `client create` has many options).
    #[command(subcommand)]
    Client(Box<client::ClientCommand>),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// List and revoke login sessions.
    #[command(subcommand)]
    Session(session::SessionCommand),
    /// Take a consistent online copy of the database.
    Backup {
        /// Destination file.
        path: std::path::PathBuf,
    },
    /// Ask the running server whether it is ready (GET /health/ready):
    /// exit 0 if so, 1 if not (for container health checks).
    Health {
        /// URL to probe (default: /health/ready on SERVER_HOST:SERVER_PORT,
        /// loopback for a wildcard host).
        #[arg(long)]
        url: Option<String>,
    },
}

/// A failed command: one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A setting is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The operation failed.
    #[error("{0}")]
    Failed(String),
}

impl From<idp_core::AdminError> for CliError {
    fn from(e: idp_core::AdminError) -> Self {
        CliError::Failed(e.to_string())
    }
}

/// Builds the provider the administration commands use (also for tests
/// that provision tenants in-process).
pub fn provider_for(config: &Config) -> Result<IdpProvider, CliError> {
    provider(config)
}

/// Builds the provider the administration commands use.
pub(crate) fn provider(config: &Config) -> Result<IdpProvider, CliError> {
    let store = open_store(config)?;
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
pub(crate) async fn index_emails(provider: &IdpProvider) -> Result<(), CliError> {
    idp_core::email_index::index_emails(provider.store())
        .await
        .map(|_| ())
        .map_err(|e| CliError::Failed(format!("cannot index users' emails: {e}")))
}

/// Prints `value` as pretty JSON.
pub(crate) fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Runs an administration command.
pub async fn run(config: &Config, command: Command) -> Result<(), CliError> {
    match command {
        Command::Serve => Ok(()),
        Command::Tenant(c) => tenant::run(config, c).await,
        Command::Client(c) => client::run(config, *c).await,
        Command::User(c) => user::run(config, c).await,
        Command::Session(c) => session::run(config, c).await,
        Command::Backup { path } => backup::run(config, &path).await,
        Command::Health { url } => health::run(config, url).await,
    }
}
