//! `idp-server user create`.

use crate::backend::Backend;
use crate::cli::{CliError, index_emails, print_json};
use idp_core::{NewUser, Provider};
use std::io::BufRead;

/// `user create`'s options.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
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
    /// The password read by [`CreateArgs::read_password`].
    #[arg(skip)]
    password: Password,
}

impl CreateArgs {
    /// Reads the password from standard input if asked to, before anything
    /// is opened.
    pub(super) fn read_password(&mut self) -> Result<(), CliError> {
        if !self.password_stdin {
            return Ok(());
        }
        self.password = Password(Some(read_password_line()?));
        Ok(())
    }
}

/// The first line of standard input, which must not be empty.
pub(crate) fn read_password_line() -> Result<String, CliError> {
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
    Ok(pw)
}

/// A password read from standard input; `Debug` never shows it.
#[derive(Clone, Default)]
pub struct Password(Option<String>);

impl Password {
    /// A password that was read.
    pub fn new(password: String) -> Self {
        Self(Some(password))
    }

    /// The password, if one was read, leaving none.
    pub fn take(&mut self) -> Option<String> {
        self.0.take()
    }
}

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
    command: CreateArgs,
) -> Result<(), CliError> {
    let CreateArgs {
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
            &crate::cli::operator(),
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
        let mut doc = super::user_json(&user);
        doc["tenant"] = serde_json::json!(tenant);
        print_json(&doc);
    } else {
        println!("created user {} (id {})", user.email, user.id);
        if user.password_hash.is_none() {
            println!("no password set: pass --password-stdin to let the user sign in");
        }
    }
    Ok(())
}
