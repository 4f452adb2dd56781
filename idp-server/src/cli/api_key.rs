//! `idp-server api-key create|list|revoke|attenuate`: admin API keys
//! (Biscuit tokens, `idp_core::api_key`). A key is printed once, by
//! `create` (and `attenuate`, which prints a narrower copy of the key it
//! reads); no other command ever prints one, and none is stored.

use super::{CliError, PageArgs, print_json, print_page};
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::admin::NewApiKey;
use idp_core::api_key::{ApiKeyError, Restriction};
use idp_core::clock::UnixTime;
use idp_core::store::ApiKeyRecord;
use std::io::Read;

/// API key commands.
#[derive(clap::Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key and print it (once: it is not stored and cannot be shown again).
    Create {
        /// Limit the key to this tenant (slug); requests about other tenants get 404.
        #[arg(long)]
        tenant: Option<String>,
        /// Limit the key to reads: every write gets 403.
        #[arg(long)]
        read_only: bool,
        /// The key stops working after this long: 30d, 12h, 90m or 3600s.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        expires: Option<i64>,
        /// A name for people (what the key is for).
        #[arg(long, default_value = "")]
        name: String,
        /// Print JSON: {"id": ..., "key": ...}.
        #[arg(long)]
        json: bool,
    },
    /// List the keys (never the keys themselves): id, name, tenant,
    /// read_only, expires_at, created_at, revoked_at.
    List {
        /// Which page.
        #[command(flatten)]
        page: PageArgs,
    },
    /// Revoke a key by id: it and every attenuation of it stop working at once.
    Revoke {
        /// The key's id, as `api-key list` shows it.
        #[arg(allow_hyphen_values = true)]
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read a key on standard input and print a narrower copy of it (an
    /// appended Biscuit block of checks). Offline: opens no database.
    Attenuate(AttenuateArgs),
}

/// `api-key attenuate`'s options.
#[derive(clap::Args, Debug)]
pub struct AttenuateArgs {
    /// Only requests about this tenant (slug).
    #[arg(long)]
    tenant: Option<String>,
    /// Only reads.
    #[arg(long)]
    read_only: bool,
    /// Only for this long from now: 30d, 12h, 90m or 3600s.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    expires: Option<i64>,
}

/// A duration in seconds from `30d`, `12h`, `90m` or `3600s`.
fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("'{text}' is not a duration like 30d, 12h, 90m or 3600s");
    let unit_at = text.len().checked_sub(1).ok_or_else(bad)?;
    let (number, unit) = text.split_at_checked(unit_at).ok_or_else(bad)?;
    let seconds: i64 = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        "s" => 1,
        _ => return Err(bad()),
    };
    let n: i64 = number.parse().map_err(|_| bad())?;
    if n <= 0 {
        return Err(bad());
    }
    n.checked_mul(seconds).ok_or_else(bad)
}

fn now() -> UnixTime {
    idp_core::clock::Clock::now(&idp_core::clock::SystemClock)
}

/// A record as lists show it: never the key.
fn record_json(r: &ApiKeyRecord) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "name": r.name,
        "tenant": r.tenant,
        "read_only": r.read_only,
        "expires_at": r.expires_at,
        "created_at": r.created_at,
        "revoked_at": r.revoked_at,
    })
}

fn show(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "-".to_owned(),
        serde_json::Value::String(s) if s.is_empty() => "-".to_owned(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `api-key attenuate`: offline, so it runs before any setting is read or
/// store opened.
pub(super) fn attenuate(args: &AttenuateArgs) -> Result<(), CliError> {
    let mut key = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut key)
        .map_err(|e| CliError::Failed(format!("cannot read the key from standard input: {e}")))?;
    let restriction = Restriction {
        tenant: args.tenant.clone(),
        read_only: args.read_only,
        expires_at: args.expires.map(|d| now().saturating_add(d)),
    };
    let narrowed = idp_core::api_key::attenuate(key.trim(), &restriction).map_err(|e| match e {
        ApiKeyError::Malformed => {
            CliError::Invalid("standard input does not hold an API key".into())
        }
        ApiKeyError::Invalid(reason) => CliError::Invalid(reason),
        ApiKeyError::Build(reason) => CliError::Failed(reason),
    })?;
    println!("{narrowed}");
    Ok(())
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: ApiKeyCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    match command {
        ApiKeyCommand::Create {
            tenant,
            read_only,
            expires,
            name,
            json,
        } => {
            let new = NewApiKey {
                name,
                tenant,
                read_only,
                expires_at: expires.map(|d| now().saturating_add(d)),
            };
            let issued = admin.create_api_key(&super::operator(), new).await?;
            if json {
                print_json(&serde_json::json!({ "id": issued.record.id, "key": issued.key }));
            } else {
                println!("{}", issued.key);
                eprintln!(
                    "API key {} created. The key above is shown once: it is not stored.",
                    issued.record.id
                );
            }
        }
        ApiKeyCommand::List { page } => {
            let keys = admin.list_api_keys(&page.request()).await?;
            if !page.json && keys.items.is_empty() {
                println!("no API keys");
                return Ok(());
            }
            if !page.json {
                println!(
                    "{:<22} {:<16} {:<12} {:<9} {:>10} {:>10} {:>10}",
                    "id", "name", "tenant", "read_only", "expires_at", "created_at", "revoked_at"
                );
            }
            print_page(page.json, keys.map(|r| record_json(&r)), |k| {
                format!(
                    "{:<22} {:<16} {:<12} {:<9} {:>10} {:>10} {:>10}",
                    show(&k["id"]),
                    show(&k["name"]),
                    show(&k["tenant"]),
                    show(&k["read_only"]),
                    show(&k["expires_at"]),
                    show(&k["created_at"]),
                    show(&k["revoked_at"]),
                )
            });
        }
        ApiKeyCommand::Revoke { id, json } => {
            admin.revoke_api_key(&super::operator(), &id).await?;
            if json {
                print_json(&serde_json::json!({ "id": id, "revoked": true }));
            } else {
                println!("revoked API key {id}");
            }
        }
        // Handled before any store is opened.
        ApiKeyCommand::Attenuate(args) => attenuate(&args)?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30d"), Ok(30 * 86_400));
        assert_eq!(parse_duration("12h"), Ok(12 * 3_600));
        assert_eq!(parse_duration("90m"), Ok(5_400));
        assert_eq!(parse_duration("3600s"), Ok(3_600));
        for bad in [
            "",
            "d",
            "30",
            "-1d",
            "0h",
            "1w",
            "1.5h",
            "99999999999999999d",
            "é",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
