//! `idp-server user create`.

use super::{CliError, index_emails, print_json};
use crate::backend::Backend;
use idp_core::{NewUser, Provider};
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
        /// The password read by [`UserCommand::read_password`].
        #[arg(skip)]
        password: Password,
    },
}

impl UserCommand {
    /// Reads the password from standard input if asked to, before anything
    /// is opened.
    pub(super) fn read_password(&mut self) -> Result<(), CliError> {
        let Self::Create {
            password_stdin: true,
            password,
            ..
        } = self
        else {
            return Ok(());
        };
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).map_err(|e| {
            CliError::Failed(format!("cannot read the password from standard input: {e}"))
        })?;
        let pw = line.trim_end_matches(['\n', '\r']).to_owned();
        if pw.is_empty() {
            return Err(CliError::Invalid(
                "the password on standard input is empty".into(),
            ));
        }
        *password = Password(Some(pw));
        Ok(())
    }
}

/// A password read from standard input; `Debug` never shows it.
#[derive(Clone, Default)]
pub struct Password(Option<String>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Password(redacted)"
        } else {
            "Password(none)"
        })
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: UserCommand,
) -> Result<(), CliError> {
    let UserCommand::Create {
        tenant,
        email,
        name,
        password,
        email_verified,
        json,
        password_stdin: _,
    } = command;
    index_emails(provider).await?;
    let user = provider
        .admin()
        .create_user(
            &tenant,
            NewUser {
                email,
                name,
                password: password.0,
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
