//! `idp-server tenant create|list|get|update|delete|keys|rotate-keys`.

use super::{CliError, PageArgs, print_json, print_object, print_page};
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::admin::{NewTenant, TenantUpdate};
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
    /// List tenants, a page at a time, by slug.
    List(PageArgs),
    /// Show one tenant.
    Get {
        /// Tenant slug.
        slug: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a tenant's name or whether anyone may register clients.
    Update {
        /// Tenant slug.
        slug: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// Open (on) or close (off) `{issuer}/register` (RFC 7591).
        #[arg(long, value_name = "ON_OFF", value_parser = ["on", "off"])]
        dynamic_registration: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a tenant and everything in it (clients, users, sessions,
    /// tokens, keys). This cannot be undone.
    Delete {
        /// Tenant slug.
        slug: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the tenant's signing keys: active (signing) or retired (still
    /// published until what they signed has expired).
    Keys {
        /// Tenant slug.
        slug: String,
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
        TenantCommand::List(args) => {
            let page = admin.list_tenants(&args.request()).await?;
            print_page(args.json, page.map(|t| to_json(&t, &base_url)), |t| {
                format!(
                    "{}\t{}\t{}",
                    t["slug"].as_str().unwrap_or(""),
                    t["name"].as_str().unwrap_or(""),
                    t["issuer"].as_str().unwrap_or("")
                )
            });
        }
        TenantCommand::Get { slug, json } => {
            let t = admin.get_tenant(&slug).await?;
            print_object(json, &to_json(&t, &base_url));
        }
        TenantCommand::Update {
            slug,
            name,
            dynamic_registration,
            json,
        } => {
            let update = TenantUpdate {
                name,
                dynamic_registration: dynamic_registration.map(|v| v == "on"),
            };
            let t = admin.update_tenant(&slug, update).await?;
            print_object(json, &to_json(&t, &base_url));
        }
        TenantCommand::Delete { slug, json } => {
            admin.delete_tenant(&slug).await?;
            if json {
                print_json(&serde_json::json!({ "slug": slug, "deleted": true }));
            } else {
                println!("deleted tenant '{slug}' and everything in it");
            }
        }
        TenantCommand::Keys { slug, json } => {
            let keys: Vec<serde_json::Value> = admin
                .list_keys(&slug)
                .await?
                .iter()
                .map(|k| {
                    serde_json::json!({
                        "kid": k.kid,
                        "alg": k.alg.as_str(),
                        "state": k.state.as_str(),
                        "created_at": k.created_at,
                        "retired_at": k.retired_at,
                    })
                })
                .collect();
            if json {
                print_json(&serde_json::json!({ "slug": slug, "keys": keys }));
            } else {
                for k in &keys {
                    println!(
                        "{}\t{}\t{}",
                        k["kid"].as_str().unwrap_or(""),
                        k["alg"].as_str().unwrap_or(""),
                        k["state"].as_str().unwrap_or("")
                    );
                }
            }
        }
    }
    Ok(())
}
