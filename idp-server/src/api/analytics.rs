//! `GET /api/v1/tenants/{slug}/analytics?from&to` and the platform's
//! `GET /api/v1/analytics?from&to`: sign-in analytics
//! (`idp_core::analytics`), per day, as of the last roll-up. `from` and
//! `to` are UTC dates (`YYYY-MM-DD`), both included; the range rules are
//! the core's (`DateRange::parse`).

use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply};
use crate::backend::Backend;
use idp_core::AdminError;
use idp_core::analytics::{AnalyticsReport, DateRange, Day};
use serde_json::{Value, json};

/// One tenant's series.
pub(super) async fn tenant<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let range = range(c)?;
    let report = c.admin.tenant_analytics(c.slug(), range).await?;
    Ok(Reply::list(show(&report)))
}

/// The platform's series: the sum over every tenant.
pub(super) async fn platform<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let range = range(c)?;
    let report = c.admin.platform_analytics(range).await?;
    Ok(Reply::list(show(&report)))
}

/// The query's range; every invalid or unknown parameter is a 422 naming it.
fn range<S: Backend>(c: &Call<'_, S>) -> Result<DateRange, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let (from, to) = (q.take("from"), q.take("to"));
    let range = match DateRange::parse(from.as_deref(), to.as_deref(), Day::of(c.now)) {
        Ok(range) => Some(range),
        Err(AdminError::Invalid(errors)) => {
            for e in errors {
                q.invalid(&e.field, e.reason);
            }
            None
        }
        Err(other) => return Err(other.into()),
    };
    q.finish()?;
    range.ok_or_else(|| Problem::from(AdminError::Invalid(Vec::new())))
}

fn show(r: &AnalyticsReport) -> Value {
    json!({
        "from": r.range.from.to_string(),
        "to": r.range.to.to_string(),
        "days": r.days.iter().map(|d| json!({
            "date": d.day.to_string(),
            "logins": d.logins,
            "signups": d.signups,
            "active_users": d.active_users,
            "failures": d.failures,
        })).collect::<Vec<_>>(),
        "months": r.months.iter().map(|m| json!({
            "month": m.month.to_string(),
            "active_users": m.active_users,
        })).collect::<Vec<_>>(),
        "top_clients": r.top_clients.iter().map(|c| json!({
            "tenant": c.tenant,
            "client_id": c.client_id,
            "logins": c.logins,
        })).collect::<Vec<_>>(),
    })
}
