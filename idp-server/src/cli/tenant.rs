//! `idp-server tenant create|list|rotate-keys`.

use super::{CliError, print_json};
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::admin::{NewTenant, PageRequest};
use idp_core::store::TenantRecord;

/// Tenant commands.
#[derive(clap::Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant: its own issuer, signing keys, clients and users.
    Create {
        /// URL name: lowercase letters, digits and dashes.
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Let anyone register clients at `{issuer}/register` (RFC 7591).
        #[arg(long)]
        dynamic_registration: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rotate the tenant's signing keys now: new keys sign from now on; the
    /// old ones stay published so tokens they signed keep verifying.
    RotateKeys {
        /// Tenant slug.
        slug: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tenants.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn to_json(t: &TenantRecord, base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "id": t.id.as_str(),
        "slug": t.slug,
        "name": t.name,
        "issuer": format!("{base_url}/t/{}", t.slug),
        "dynamic_registration": t.dynamic_registration,
    })
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: TenantCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    let base_url = provider.config().base_url.clone();
    match command {
        TenantCommand::Create {
            slug,
            name,
            dynamic_registration,
            json,
        } => {
            let t = admin
                .create_tenant(NewTenant {
                    slug,
                    name: name.unwrap_or_default(),
                    dynamic_registration,
                })
                .await?;
            if json {
                print_json(&to_json(&t, &base_url));
            } else {
                println!("created tenant '{}' (id {})", t.slug, t.id);
                println!("issuer: {base_url}/t/{}", t.slug);
            }
        }
        TenantCommand::RotateKeys { slug, json } => {
            let kids: Vec<String> = admin
                .rotate_keys(&slug)
                .await?
                .into_iter()
                .map(|k| k.kid)
                .collect();
            if json {
                print_json(&serde_json::json!({ "slug": slug, "new_kids": kids }));
            } else {
                println!("rotated the signing keys of '{slug}'; new key ids:");
                for kid in kids {
                    println!("  {kid}");
                }
            }
        }
        TenantCommand::List { json } => {
            let mut tenants = Vec::new();
            let mut page = PageRequest::limit(idp_core::admin::MAX_LIMIT);
            loop {
                let got = admin.list_tenants(&page).await?;
                tenants.extend(got.items);
                match got.next_cursor {
                    Some(c) => page = PageRequest::after(c, Some(idp_core::admin::MAX_LIMIT)),
                    None => break,
                }
            }
            if json {
                print_json(&serde_json::Value::Array(
                    tenants.iter().map(|t| to_json(t, &base_url)).collect(),
                ));
            } else {
                for t in &tenants {
                    println!("{}\t{}\t{base_url}/t/{}", t.slug, t.name, t.slug);
                }
            }
        }
    }
    Ok(())
}
