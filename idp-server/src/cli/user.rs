//! `idp-server user create`.

use super::{CliError, index_emails, print_json, provider};
use crate::config::Config;
use idp_core::NewUser;
use std::io::BufRead;

/// User commands.
#[derive(clap::Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user.
    Create {
        /// Tenant slug.
        #[arg(long)]
        tenant: String,
        /// Email, the login name.
        #[arg(long)]
        email: String,
        /// Full name.
        #[arg(long)]
        name: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// Mark the email as verified.
        #[arg(long)]
        email_verified: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn run(config: &Config, command: UserCommand) -> Result<(), CliError> {
    let UserCommand::Create {
        tenant,
        email,
        name,
        password_stdin,
        email_verified,
        json,
    } = command;
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::Failed(format!("cannot read the password from standard input: {e}"))
        })?;
        let pw = line.trim_end_matches(['\n', '\r']).to_owned();
        if pw.is_empty() {
            return Err(CliError::Failed(
                "the password on standard input is empty".into(),
            ));
        }
        Some(pw)
    } else {
        None
    };
    let provider = provider(config)?;
    index_emails(&provider).await?;
    let user = provider
        .admin()
        .create_user(
            &tenant,
            NewUser {
                email,
                name,
                password,
                email_verified,
            },
        )
        .await?;
    if json {
        print_json(
            &serde_json::json!({"id": user.id.as_str(), "email": user.email, "tenant": tenant}),
        );
    } else {
        println!("created user {} (id {})", user.email, user.id);
        if user.password_hash.is_none() {
            println!("no password set: pass --password-stdin to let the user sign in");
        }
    }
    Ok(())
}
