//! `idp-server user create|list|get|update|disable|enable|set-password|delete`.

mod create;

pub(super) use create::{Password, read_password_line};
mod manage;

use super::CliError;
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::store::UserRecord;
use serde_json::{Value, json};

/// User commands.
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user.
    Create(create::CreateArgs),
    /// List a tenant's users, a page at a time, by id.
    List(super::ListArgs),
    /// Show one user (by id, or --email in any spelling of it).
    Get(manage::UserRef),
    /// Change a user's name or email.
    Update(manage::UpdateArgs),
    /// Disable a user: they cannot sign in, and their sessions and refresh
    /// tokens are revoked at once.
    Disable(manage::UserRef),
    /// Enable a disabled user again.
    Enable(manage::UserRef),
    /// Set a user's password, read from the first line of standard input.
    SetPassword(manage::UserRef),
    /// Delete a user: their sessions, refresh tokens and consents end at once.
    Delete(manage::UserRef),
}

impl UserCommand {
    /// Reads a password from standard input if the command takes one,
    /// before anything is opened.
    pub(super) fn read_password(&mut self) -> Result<(), CliError> {
        match self {
            Self::Create(args) => args.read_password(),
            Self::SetPassword(user) => {
                user.password = Some(manage::Secret(create::read_password_line()?));
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: UserCommand,
) -> Result<(), CliError> {
    super::index_emails(provider).await?;
    match command {
        UserCommand::Create(args) => create::run(provider, args).await,
        other => manage::run(provider, other).await,
    }
}

/// A user as the CLI prints it (`--json`), never the password hash.
pub(super) fn user_json(u: &UserRecord) -> Value {
    json!({
        "id": u.id.as_str(),
        "email": u.email,
        "email_verified": u.email_verified,
        "name": u.name,
        "disabled": u.disabled,
        "has_password": u.password_hash.is_some(),
        "created_at": u.created_at,
        "updated_at": u.updated_at,
    })
}
