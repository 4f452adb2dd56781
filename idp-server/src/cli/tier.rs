//! `idp-server tier create|list|get|update|delete`, and the tenant's side:
//! `tenant set-tier SLUG TIER|--none` and `tenant usage SLUG`. A create
//! past a limit fails with the limit, the allowed value and the usage, and
//! exit status 4 ([`super::exit`]).

use super::{CliError, PageArgs, print_json, print_object, print_page};
use crate::api::representation;
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::admin::{NewTier, TierUpdate};
use idp_core::tier::{Limit, Limits};

/// A limit on the command line: a count, or `unlimited`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitValue(Option<u64>);

impl std::str::FromStr for LimitValue {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "unlimited" {
            return Ok(Self(None));
        }
        s.parse::<u64>()
            .map(|n| Self(Some(n)))
            .map_err(|_| format!("'{s}' is neither a non-negative integer nor 'unlimited'"))
    }
}

/// The limits a command sets.
#[derive(clap::Args, Debug, Default)]
pub struct LimitArgs {
    /// Most users (`unlimited` for no limit).
    #[arg(long, value_name = "N")]
    users: Option<LimitValue>,
    /// Most clients, operators' and self-registered (`unlimited` for no limit).
    #[arg(long, value_name = "N")]
    clients: Option<LimitValue>,
    /// Most upstream identity providers (`unlimited` for no limit).
    #[arg(long, value_name = "N")]
    upstreams: Option<LimitValue>,
    /// Most live API keys limited to the tenant (`unlimited` for no limit).
    #[arg(long, value_name = "N")]
    api_keys: Option<LimitValue>,
}

impl LimitArgs {
    /// Each limit given.
    fn given(&self) -> Vec<(Limit, Option<u64>)> {
        [
            (Limit::Users, self.users),
            (Limit::Clients, self.clients),
            (Limit::Upstreams, self.upstreams),
            (Limit::ApiKeys, self.api_keys),
        ]
        .into_iter()
        .filter_map(|(limit, v)| v.map(|v| (limit, v.0)))
        .collect()
    }
}

/// Tier commands (platform operators).
#[derive(clap::Subcommand, Debug)]
pub enum TierCommand {
    /// Create a tier: named limits to assign to tenants (a limit not given
    /// is unlimited).
    Create {
        /// Name: a-z, 0-9, '-' and '_'.
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List tiers, a page at a time, by name.
    List(PageArgs),
    /// Show one tier.
    Get {
        /// Tier name.
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change a tier's limits; tenants on it are held to them at once.
    Update {
        /// Tier name.
        name: String,
        #[command(flatten)]
        limits: LimitArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete a tier no tenant is assigned to (else exit status 4).
    Delete {
        /// Tier name.
        name: String,
    },
}

/// `tenant set-tier SLUG TIER|--none`.
#[derive(clap::Args, Debug)]
pub struct SetTierArgs {
    /// Tenant slug.
    slug: String,
    /// The tier to assign.
    #[arg(required_unless_present = "none", conflicts_with = "none")]
    tier: Option<String>,
    /// Assign no tier: the tenant is unlimited.
    #[arg(long)]
    none: bool,
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: TierCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    let ctx = super::operator();
    match command {
        TierCommand::Create { name, limits, json } => {
            let mut l = Limits::default();
            for (limit, v) in limits.given() {
                l.set(limit, v);
            }
            let t = admin.create_tier(&ctx, NewTier { name, limits: l }).await?;
            if json {
                print_json(&representation::tier(&t));
            } else {
                println!("created tier '{}'", t.name);
            }
        }
        TierCommand::List(page) => {
            let list = admin.list_tiers(&page.request()).await?;
            print_page(page.json, list.map(|t| representation::tier(&t)), |t| {
                let limits: Vec<String> = Limit::ALL
                    .iter()
                    .map(|l| match t[l.as_str()].as_u64() {
                        Some(n) => format!("{l}={n}"),
                        None => format!("{l}=unlimited"),
                    })
                    .collect();
                format!("{}\t{}", t["name"].as_str().unwrap_or(""), limits.join(" "))
            });
        }
        TierCommand::Get { name, json } => {
            print_object(json, &representation::tier(&admin.get_tier(&name).await?));
        }
        TierCommand::Update { name, limits, json } => {
            let set = limits.given();
            if set.is_empty() {
                return Err(CliError::Invalid(
                    "give at least one of --users, --clients, --upstreams, --api-keys".into(),
                ));
            }
            let t = admin.update_tier(&ctx, &name, TierUpdate { set }).await?;
            print_object(json, &representation::tier(&t));
        }
        TierCommand::Delete { name } => {
            admin.delete_tier(&ctx, &name).await?;
            println!("deleted tier '{name}'");
        }
    }
    Ok(())
}

/// `tenant set-tier`.
pub(super) async fn set_tier<S: Backend>(
    provider: &Provider<S>,
    args: SetTierArgs,
) -> Result<(), CliError> {
    let tier = if args.none { None } else { args.tier };
    provider
        .admin()
        .set_tenant_tier(&super::operator(), &args.slug, tier.as_deref())
        .await?;
    match tier {
        Some(t) => println!("tenant '{}' is on tier '{t}'", args.slug),
        None => println!("tenant '{}' has no tier (unlimited)", args.slug),
    }
    Ok(())
}

/// `tenant usage`.
pub(super) async fn usage<S: Backend>(
    provider: &Provider<S>,
    slug: &str,
    json: bool,
) -> Result<(), CliError> {
    let u = provider.admin().tenant_usage(slug).await?;
    let doc = representation::usage(slug, &u);
    if json {
        print_json(&doc);
        return Ok(());
    }
    println!(
        "tier: {}",
        doc["tier"].as_str().unwrap_or("none (unlimited)")
    );
    for limit in Limit::ALL {
        let allowed = u
            .limits()
            .get(limit)
            .map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
        println!("{limit}: {} of {allowed}", u.usage.get(limit));
    }
    Ok(())
}
