//! `idp-server session list|revoke`: a user's login sessions, and revoking
//! one or all of them (its refresh tokens die, its access tokens turn
//! inactive at introspection and userinfo).

use super::{CliError, OutboundArgs, print_json};
use crate::backend::Backend;
use crate::config::Flags;
use idp_core::Provider;

/// Session commands.
#[derive(clap::Subcommand, Debug)]
pub enum SessionCommand {
    /// List a user's live sessions, newest first.
    List {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// The user's email.
        #[arg(long)]
        email: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke one session (by id) or all sessions of a user (--all --email).
    Revoke {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// The session id (the `sid` claim), as `session list` shows it.
        #[arg(
            required_unless_present = "all",
            conflicts_with = "all",
            allow_hyphen_values = true
        )]
        id: Option<String>,
        /// Revoke every session of the user given by --email.
        #[arg(long, requires = "email")]
        all: bool,
        /// The user's email (with --all).
        #[arg(long)]
        email: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Where the Logout Tokens of clients with a back-channel logout URI may go.
        #[command(flatten)]
        outbound: OutboundArgs,
    },
}

impl SessionCommand {
    /// The settings given as this command's options.
    pub(super) fn settings(&self, flags: &mut Flags) {
        if let Self::Revoke { outbound, .. } = self {
            outbound.apply(flags);
        }
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: SessionCommand,
) -> Result<(), CliError> {
    super::index_emails(provider).await?;
    let admin = provider.admin();
    match command {
        SessionCommand::List {
            tenant,
            email,
            json,
        } => {
            let user = admin.find_user_by_email(&tenant, &email).await?;
            let sessions = admin.list_sessions(&tenant, user.id.as_str()).await?;
            if json {
                print_json(&serde_json::json!({ "sessions": sessions }));
            } else if sessions.is_empty() {
                println!("no live sessions");
            } else {
                println!("{:<24} {:>12} {:>12}", "id", "auth_time", "expires_at");
                for s in sessions {
                    println!("{:<24} {:>12} {:>12}", s.id, s.auth_time, s.expires_at);
                }
            }
        }
        SessionCommand::Revoke {
            tenant,
            id,
            all,
            email,
            json,
            outbound: _,
        } => {
            let revoked = match (id, all, email) {
                (Some(id), false, _) => {
                    admin
                        .revoke_session(&super::operator(), &tenant, &id)
                        .await?;
                    1
                }
                (_, true, Some(email)) => {
                    let user = admin.find_user_by_email(&tenant, &email).await?;
                    admin
                        .revoke_user_sessions(&super::operator(), &tenant, user.id.as_str())
                        .await?
                }
                _ => {
                    return Err(CliError::Invalid(
                        "give a session id, or --all with --email".into(),
                    ));
                }
            };
            if json {
                print_json(&serde_json::json!({ "revoked": revoked }));
            } else {
                println!("revoked {revoked} session(s)");
            }
        }
    }
    Ok(())
}
