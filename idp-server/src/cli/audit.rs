//! `idp-server audit list`: the audit log (design.md "Admin API"), oldest
//! first, filtered and paged like the admin API's `GET /api/v1/audit-events`.

use super::{PageArgs, print_page};
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::clock::{UnixTime, parse_rfc3339};
use idp_core::store::AuditFilter;

/// Audit log commands.
#[derive(clap::Subcommand, Debug)]
pub enum AuditCommand {
    /// List audit events, oldest first. With --json, prints one JSON object
    /// {"items": [event, ...], "next_cursor": ...}, each event {"id",
    /// "time", "actor": {"kind", "id", "name"}, "action", "tenant",
    /// "target": {"kind", "id"}, "address", "request_id", "changes"};
    /// otherwise a table.
    List {
        /// Only events in this tenant (slug).
        #[arg(long)]
        tenant: Option<String>,
        /// Only events by this actor id (an API key id, a user id, an OS user).
        #[arg(long)]
        actor: Option<String>,
        /// Only this action (client.create), or every action under a prefix (client).
        #[arg(long)]
        action: Option<String>,
        /// Only events at or after this time: RFC 3339 (2026-01-31T12:00:00Z) or Unix seconds.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        since: Option<UnixTime>,
        /// Only events before this time: RFC 3339 or Unix seconds.
        #[arg(long, value_name = "TIME", value_parser = parse_time)]
        until: Option<UnixTime>,
        /// Which page.
        #[command(flatten)]
        page: PageArgs,
    },
}

/// Unix seconds, or an RFC 3339 date-time (RFC 3339 §5.6, `Z` or a
/// numeric offset; fractions of a second are dropped).
fn parse_time(text: &str) -> Result<UnixTime, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    parse_rfc3339(text).ok_or_else(|| {
        format!("'{text}' is neither RFC 3339 (2026-01-31T12:00:00Z) nor Unix seconds")
    })
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: AuditCommand,
) -> Result<(), super::CliError> {
    let admin = provider.admin();
    let AuditCommand::List {
        tenant,
        actor,
        action,
        since,
        until,
        page,
    } = command;
    let filter = AuditFilter {
        tenant,
        actor,
        action,
        since,
        until,
    };
    let events = admin.audit_events(&filter, &page.request()).await?;
    if !page.json {
        if events.items.is_empty() {
            println!("no audit events");
            return Ok(());
        }
        println!(
            "{:>6} {:<20} {:<24} {:<24} {:<12} target",
            "id", "time", "actor", "action", "tenant"
        );
    }
    print_page(
        page.json,
        events.map(|e| crate::api::representation::audit_event(&e)),
        |e| {
            let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_owned();
            format!(
                "{:>6} {:<20} {:<24} {:<24} {:<12} {}:{}",
                text(&e["id"]),
                text(&e["time"]),
                format!("{}:{}", text(&e["actor"]["kind"]), text(&e["actor"]["id"])),
                text(&e["action"]),
                text(&e["tenant"]),
                text(&e["target"]["kind"]),
                text(&e["target"]["id"]),
            )
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_unix_seconds_or_rfc3339() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:00Z"), Ok(0));
        assert_eq!(parse_time("2026-01-31T12:00:00Z"), Ok(1_769_860_800));
        assert_eq!(
            parse_time("2026-01-31T14:00:00.123+02:00"),
            Ok(1_769_860_800)
        );
        assert_eq!(parse_time("2000-02-29T00:00:00Z"), Ok(951_782_400));
        for bad in [
            "yesterday",
            "2026-01-31",
            "2026-02-30T00:00:00Z",
            "2026-01-31T25:00:00Z",
            "2026-01-31T12:00:00",
            "2026-01-31T12:00:00+2:00",
            "2026-01-31T12:00:00.Z",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
