//! `idp-server audit list`: the audit log (design.md "Admin API"), oldest
//! first, filtered and paged like the admin API's `GET /api/v1/audit-events`.

use super::{PageArgs, print_page};
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::clock::UnixTime;
use idp_core::store::{AuditEvent, AuditFilter};

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
    rfc3339(text).ok_or_else(|| {
        format!("'{text}' is neither RFC 3339 (2026-01-31T12:00:00Z) nor Unix seconds")
    })
}

fn rfc3339(text: &str) -> Option<UnixTime> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month) || !(1..=days_in(year, month)).contains(&day) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction.find(|c: char| !c.is_ascii_digit())?;
        if end == 0 {
            return None;
        }
        rest = &fraction[end..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let rb = rest.as_bytes();
            if rb.len() != 6 || !matches!(rb[0], b'+' | b'-') || rb[3] != b':' {
                return None;
            }
            let (h, m) = (digits_of(&rest[1..3])?, digits_of(&rest[4..6])?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if rb[0] == b'-' { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        }
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

fn digits_of(s: &str) -> Option<i64> {
    s.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| s.parse().ok())?
}

fn days_in(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the era-based
/// count: 400-year eras of 146097 days).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An event as the admin API shows it.
fn event_json(e: &AuditEvent) -> serde_json::Value {
    let changes: serde_json::Value =
        serde_json::from_str(&e.changes).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "id": e.id,
        "time": e.time,
        "actor": { "kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name },
        "action": e.action,
        "tenant": e.tenant,
        "target": { "kind": e.target_kind, "id": e.target_id },
        "address": e.address,
        "request_id": e.request_id,
        "changes": changes,
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
        page,
    } = command;
    let filter = AuditFilter {
        tenant,
        actor,
        action,
        since,
    };
    let events = admin.audit_events(&filter, &page.request()).await?;
    if !page.json {
        if events.items.is_empty() {
            println!("no audit events");
            return Ok(());
        }
        println!(
            "{:>6} {:>10} {:<24} {:<24} {:<12} target",
            "id", "time", "actor", "action", "tenant"
        );
    }
    print_page(page.json, events.map(|e| event_json(&e)), |e| {
        let text = |v: &serde_json::Value| v.as_str().unwrap_or("-").to_owned();
        format!(
            "{:>6} {:>10} {:<24} {:<24} {:<12} {}:{}",
            e["id"],
            e["time"],
            format!("{}:{}", text(&e["actor"]["kind"]), text(&e["actor"]["id"])),
            text(&e["action"]),
            text(&e["tenant"]),
            text(&e["target"]["kind"]),
            text(&e["target"]["id"]),
        )
    });
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
