//! `idp-server owner create --email EMAIL [--password-stdin] [--json]`:
//! makes the platform owner (creating the platform tenant if needed). With
//! a password the owner can sign in at once; without, the command prints
//! a one-time set-up link (valid one hour) where they choose one.

use crate::backend::Backend;
use crate::cli::{CliError, index_emails, print_json};
use idp_core::Provider;

/// Owner commands.
#[derive(clap::Subcommand, Debug)]
pub enum OwnerCommand {
    /// Make a user of the platform its owner (creating them if needed).
    Create(CreateArgs),
}

/// `owner create`'s options.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// Email, the login name.
    #[arg(long)]
    email: String,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The password read by [`OwnerCommand::read_password`].
    #[arg(skip)]
    password: super::user::Password,
}

impl OwnerCommand {
    /// Reads the password from standard input if asked to, before anything
    /// is opened.
    pub(super) fn read_password(&mut self) -> Result<(), CliError> {
        let Self::Create(args) = self;
        if args.password_stdin {
            args.password = super::user::Password::new(super::user::read_password_line()?);
        }
        Ok(())
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: OwnerCommand,
) -> Result<(), CliError> {
    let OwnerCommand::Create(mut args) = command;
    index_emails(provider).await?;
    let created = provider
        .admin()
        .create_owner(&crate::cli::operator(), &args.email, args.password.take())
        .await?;
    let link = created.setup_link.as_ref();
    if args.json {
        print_json(&serde_json::json!({
            "id": created.user.id.as_str(),
            "email": created.user.email,
            "tenant": idp_core::platform::PLATFORM_SLUG,
            "role": "owner",
            "setup_link": link.map(|l| l.url.as_str()),
            "setup_link_expires_at": link.map(|l| l.expires_at),
        }));
    } else {
        println!(
            "{} (id {}) is an owner of the platform",
            created.user.email, created.user.id
        );
        if let Some(link) = link {
            println!("one-time set-up link (valid one hour): {}", link.url);
        }
    }
    Ok(())
}
