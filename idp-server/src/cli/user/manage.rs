//! `idp-server user list|get|update|disable|enable|set-password|delete`.

use super::{UserCommand, user_json};
use crate::backend::Backend;
use crate::cli::{CliError, print_json, print_object, print_page};
use idp_core::Provider;
use idp_core::admin::{Admin, UserUpdate};
use serde_json::json;

/// A user of a tenant, by id or by email.
#[derive(clap::Args, Debug)]
pub struct UserRef {
    /// Tenant slug.
    #[arg(long)]
    tenant: String,
    /// The user's id (the `sub` claim).
    #[arg(required_unless_present = "email", conflicts_with = "email")]
    id: Option<String>,
    /// The user's email instead of the id (any spelling of its canonical form).
    #[arg(long)]
    email: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The password `set-password` read from standard input.
    #[arg(skip)]
    pub(super) password: Option<Secret>,
}

/// A password; `Debug` never shows it.
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

/// `user update`'s options: each one given replaces the stored value.
#[derive(clap::Args, Debug)]
pub struct UpdateArgs {
    #[command(flatten)]
    user: UserRef,
    /// New full name; "" removes it.
    #[arg(long)]
    name: Option<String>,
    /// New email (stored canonical; marked unverified unless --email-verified).
    #[arg(long)]
    new_email: Option<String>,
    /// Mark the email as verified.
    #[arg(long)]
    email_verified: bool,
}

impl UserRef {
    /// The user's id, looking the email up if that is what was given.
    async fn id<S: Backend>(&self, admin: &Admin<S>) -> Result<String, CliError> {
        match (&self.id, &self.email) {
            (Some(id), _) => Ok(id.clone()),
            (None, Some(email)) => Ok(admin
                .find_user_by_email(&self.tenant, email)
                .await?
                .id
                .as_str()
                .to_owned()),
            (None, None) => Err(CliError::Invalid("give a user id or --email".into())),
        }
    }
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: UserCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    let (r, user) = match command {
        UserCommand::Create(_) => return Ok(()),
        UserCommand::List(args) => {
            let page = admin.list_users(&args.tenant, &args.page()).await?;
            print_page(args.page.json, page.map(|u| user_json(&u)), |u| {
                format!(
                    "{}\t{}",
                    u["id"].as_str().unwrap_or(""),
                    u["email"].as_str().unwrap_or("")
                )
            });
            return Ok(());
        }
        UserCommand::Get(r) => {
            let id = r.id(&admin).await?;
            let user = admin.get_user(&r.tenant, &id).await?;
            (r, user)
        }
        UserCommand::Update(u) => {
            let id = u.user.id(&admin).await?;
            let update = UserUpdate {
                name: u.name.map(|n| (!n.is_empty()).then_some(n)),
                email: u.new_email,
                email_verified: u.email_verified.then_some(true),
            };
            let user = admin
                .update_user(&crate::cli::operator(), &u.user.tenant, &id, update)
                .await?;
            (u.user, user)
        }
        UserCommand::Disable(r) => {
            let id = r.id(&admin).await?;
            let user = admin
                .disable_user(&crate::cli::operator(), &r.tenant, &id)
                .await?;
            (r, user)
        }
        UserCommand::Enable(r) => {
            let id = r.id(&admin).await?;
            let user = admin
                .enable_user(&crate::cli::operator(), &r.tenant, &id)
                .await?;
            (r, user)
        }
        UserCommand::SetPassword(mut r) => {
            let id = r.id(&admin).await?;
            let Some(Secret(password)) = r.password.take() else {
                return Err(CliError::Invalid("no password on standard input".into()));
            };
            admin
                .set_password(&crate::cli::operator(), &r.tenant, &id, password)
                .await?;
            let user = admin.get_user(&r.tenant, &id).await?;
            (r, user)
        }
        UserCommand::Delete(r) => {
            let id = r.id(&admin).await?;
            admin
                .delete_user(&crate::cli::operator(), &r.tenant, &id)
                .await?;
            if r.json {
                print_json(&json!({ "id": id, "deleted": true }));
            } else {
                println!("deleted user {id}");
            }
            return Ok(());
        }
    };
    print_object(r.json, &user_json(&user));
    Ok(())
}
