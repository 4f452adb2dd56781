//! `idp-server tenant create|list|get|update|delete|keys|rotate-keys`
//! (`set-tier` and `usage` are [`super::tier`]'s) and
//! the organisation lifecycle, `approve|reject|suspend|reactivate`.

use super::{CliError, PageArgs, print_json, print_object, print_page};
use crate::backend::Backend;
use crate::config::Flags;
use idp_core::Provider;
use idp_core::admin::{Activation, KeyInfo, NewTenant, RotatedKeys, TenantUpdate};
use idp_core::store::TenantRecord;
use idp_core::tenant::state::Transition;

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
        /// Create it pending: nobody signs in until `tenant approve`.
        #[arg(long)]
        pending: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve a pending tenant: its users can sign in.
    Approve(StateArgs),
    /// Reject a pending tenant (final), with --reason.
    Reject(StateArgs),
    /// Suspend an active tenant, with --reason: its users cannot sign in or
    /// get tokens and its tokens stop being active; discovery and JWKS
    /// stay up. A running server on PostgreSQL follows at once, on SQLite
    /// within its tenant cache (a minute).
    Suspend(StateArgs),
    /// Reactivate a suspended tenant.
    Reactivate(StateArgs),
    /// Rotate the tenant's signing keys: new keys are published in the JWKS
    /// now and sign after KEY_PUBLICATION_SECONDS (default one hour), so
    /// that servers and relying parties caching the JWKS know them first;
    /// the old keys sign until then and stay published so tokens they signed
    /// keep verifying.
    RotateKeys {
        /// Tenant slug.
        slug: String,
        /// The new keys sign at once (a compromised key). Trade-off: relying
        /// parties that cached the JWKS reject the new tokens until they fetch
        /// it again, and other running servers keep signing with the old key
        /// for up to a minute (their tenant cache).
        #[arg(long)]
        immediately: bool,
        /// Seconds the new keys are published before they sign; 0 signs at once [env: KEY_PUBLICATION_SECONDS] [default: 3600]
        #[arg(long, value_name = "SECONDS", conflicts_with = "immediately")]
        key_publication_seconds: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the tenant's signing keys, newest first, with their state:
    /// pending (published, not signing yet), active, or retired (published
    /// until the tokens it signed have expired).
    Keys {
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
    /// Change a tenant's name, whether anyone may register clients, or
    /// whether its users may sign in with a password.
    Update {
        /// Tenant slug.
        slug: String,
        /// New display name.
        #[arg(long)]
        name: Option<String>,
        /// Open (on) or close (off) `{issuer}/register` (RFC 7591).
        #[arg(long, value_name = "ON_OFF", value_parser = ["on", "off"])]
        dynamic_registration: Option<String>,
        /// Allow (on) or refuse (off) password login on the login page; off,
        /// the tenant is upstream-only (refused while it has no upstream).
        #[arg(long, value_name = "ON_OFF", value_parser = ["on", "off"])]
        password_login: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Assign a tier to a tenant (`--none`: no tier, unlimited); every
    /// later create is held to its limits.
    SetTier(super::tier::SetTierArgs),
    /// Show the tenant's tier, limits and current usage.
    Usage {
        /// Tenant slug.
        slug: String,
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
}

/// The arguments of a lifecycle move.
#[derive(clap::Args, Debug)]
pub struct StateArgs {
    /// Tenant slug.
    slug: String,
    /// Why (required to reject or suspend; kept with the state and audited).
    #[arg(long)]
    reason: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

impl TenantCommand {
    /// Puts the options this command shares with `serve` where
    /// [`Config::resolve`](crate::config::Config::resolve) reads them.
    pub(super) fn settings(&self, flags: &mut Flags) {
        if let Self::RotateKeys {
            key_publication_seconds,
            ..
        } = self
        {
            flags
                .key_publication_seconds
                .clone_from(key_publication_seconds);
        }
    }
}

fn key_json(k: &KeyInfo) -> serde_json::Value {
    serde_json::json!({
        "kid": k.kid,
        "alg": k.alg.as_str(),
        "state": k.state.as_str(),
        "created_at": k.created_at,
        "activates_at": k.activates_at,
        "retired_at": k.retired_at,
    })
}

/// `seconds` since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (UTC), for people.
fn utc(seconds: i64) -> String {
    idp_core::clock::format_rfc3339(seconds)
}

fn to_json(t: &TenantRecord, base_url: &str) -> serde_json::Value {
    serde_json::json!({
        "id": t.id.as_str(),
        "slug": t.slug,
        "name": t.name,
        "issuer": format!("{base_url}/t/{}", t.slug),
        "dynamic_registration": t.dynamic_registration,
        "password_login": t.password_login,
        "state": t.state.as_str(),
        "state_reason": t.state_reason,
        "state_changed_at": t.state_changed_at.map(utc),
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
            pending,
            json,
        } => {
            let t = admin
                .create_tenant(
                    &super::operator(),
                    NewTenant {
                        slug,
                        name: name.unwrap_or_default(),
                        dynamic_registration,
                        pending,
                        upstream_only: false,
                    },
                )
                .await?;
            if json {
                print_json(&to_json(&t, &base_url));
            } else {
                println!("created tenant '{}' (id {}, {})", t.slug, t.id, t.state);
                println!("issuer: {base_url}/t/{}", t.slug);
            }
        }
        TenantCommand::SetTier(args) => super::tier::set_tier(provider, args).await?,
        TenantCommand::Usage { slug, json } => super::tier::usage(provider, &slug, json).await?,
        TenantCommand::Approve(args) => {
            move_tenant(&admin, Transition::Approve, args, &base_url).await?
        }
        TenantCommand::Reject(args) => {
            move_tenant(&admin, Transition::Reject, args, &base_url).await?
        }
        TenantCommand::Suspend(args) => {
            move_tenant(&admin, Transition::Suspend, args, &base_url).await?
        }
        TenantCommand::Reactivate(args) => {
            move_tenant(&admin, Transition::Reactivate, args, &base_url).await?
        }
        TenantCommand::RotateKeys {
            slug,
            immediately,
            json,
            ..
        } => {
            let activation = if immediately {
                Activation::Immediately
            } else {
                Activation::AfterPublication
            };
            let RotatedKeys { kids, activates_at } = admin
                .rotate_keys(&super::operator(), &slug, activation)
                .await?;
            if json {
                print_json(&serde_json::json!({
                    "slug": slug,
                    "new_kids": kids,
                    "activates_at": activates_at,
                }));
            } else {
                let when = if immediately {
                    "they sign from now on".to_owned()
                } else {
                    format!("published now, they sign from {}", utc(activates_at))
                };
                println!("rotated the signing keys of '{slug}' ({when}); new key ids:");
                for kid in kids {
                    println!("  {kid}");
                }
            }
        }
        TenantCommand::Keys { slug, json } => {
            let keys = admin.list_keys(&slug).await?;
            if json {
                let keys: Vec<_> = keys.iter().map(key_json).collect();
                print_json(&serde_json::json!({ "slug": slug, "keys": keys }));
            } else {
                for k in &keys {
                    let retires = k.retired_at.map(utc).unwrap_or_else(|| "-".into());
                    println!(
                        "{}\t{}\t{}\tactivates {}\tretires {retires}",
                        k.kid,
                        k.alg.as_str(),
                        k.state.as_str(),
                        utc(k.activates_at)
                    );
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
            password_login,
            json,
        } => {
            let update = TenantUpdate {
                name,
                dynamic_registration: dynamic_registration.map(|v| v == "on"),
                password_login: password_login.map(|v| v == "on"),
            };
            let t = admin
                .update_tenant(&super::operator(), &slug, update)
                .await?;
            print_object(json, &to_json(&t, &base_url));
        }
        TenantCommand::Delete { slug, json } => {
            admin.delete_tenant(&super::operator(), &slug).await?;
            if json {
                print_json(&serde_json::json!({ "slug": slug, "deleted": true }));
            } else {
                println!("deleted tenant '{slug}' and everything in it");
            }
        }
    }
    Ok(())
}

/// `tenant approve|reject|suspend|reactivate SLUG [--reason TEXT] [--json]`.
async fn move_tenant<S: Backend>(
    admin: &idp_core::Admin<S>,
    transition: Transition,
    args: StateArgs,
    base_url: &str,
) -> Result<(), CliError> {
    if args.reason.is_some() && !transition.needs_reason() {
        return Err(CliError::Invalid(format!(
            "--reason is for reject and suspend, not {}",
            transition.as_str()
        )));
    }
    let t = admin
        .transition_tenant(
            &super::operator(),
            &args.slug,
            transition,
            args.reason.as_deref(),
        )
        .await?;
    if args.json {
        print_json(&to_json(&t, base_url));
    } else {
        println!("tenant '{}' is now {}", t.slug, t.state);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::utc;

    #[test]
    fn utc_text() {
        assert_eq!(utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc(1_796_425_199), "2026-12-04T22:59:59Z");
        assert_eq!(utc(-1), "1969-12-31T23:59:59Z");
    }
}
