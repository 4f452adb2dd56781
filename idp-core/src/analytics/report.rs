//! The series the admin API serves: per day logins, sign-ups, active users
//! and failures by reason; monthly active users of the months the range
//! touches; the clients most signed in to. For one tenant, or for the
//! platform (the sum over its tenants: users belong to one tenant each, so
//! active users add up too).
//!
//! Figures are as of the last roll-up (see [`super::rollup`]): a day not
//! rolled up yet reads as zeros.

use super::calendar::{Day, Month};
use crate::admin::{Admin, AdminError, FieldError};
use crate::store::{DayRollup, Store, TenantRecord};
use std::collections::{BTreeMap, HashMap};

/// The longest range served, in days (a leap year).
pub const MAX_RANGE_DAYS: i64 = 366;

/// The days served when no `from` is given: 30 ending on `to`.
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// How many clients [`AnalyticsReport::top_clients`] lists.
pub const TOP_CLIENTS: usize = 10;

/// A validated range of days, both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateRange {
    /// The first day.
    pub from: Day,
    /// The last day.
    pub to: Day,
}

impl DateRange {
    /// The range the query's `from` and `to` (`YYYY-MM-DD`) name: `to`
    /// defaults to `today`, `from` to [`DEFAULT_RANGE_DAYS`] ending on `to`.
    /// Every wrong field is reported at once, by name.
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Day) -> Result<Self, AdminError> {
        let mut errors = Vec::new();
        let mut day = |field: &str, text: Option<&str>| match text {
            None => Some(None),
            Some(t) => match Day::parse(t) {
                Some(d) => Some(Some(d)),
                None => {
                    errors.push(FieldError {
                        field: field.to_owned(),
                        reason: "must be a date YYYY-MM-DD (UTC) from 1970 to 9999".into(),
                    });
                    None
                }
            },
        };
        let (from, to) = (day("from", from), day("to", to));
        let (Some(from), Some(to)) = (from, to) else {
            return Err(AdminError::Invalid(errors));
        };
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to.plus(1 - DEFAULT_RANGE_DAYS));
        if from > to {
            return Err(AdminError::invalid("from", "must not be after to"));
        }
        if to.number() - from.number() + 1 > MAX_RANGE_DAYS {
            return Err(AdminError::invalid(
                "to",
                format!("must be at most {MAX_RANGE_DAYS} days from from, both included"),
            ));
        }
        Ok(Self { from, to })
    }

    /// Its days, in order.
    pub fn days(self) -> impl Iterator<Item = Day> {
        (self.from.number()..=self.to.number()).map(Day::from_number)
    }

    /// The months it touches, in order.
    pub fn months(self) -> impl Iterator<Item = Month> {
        (self.from.month().number()..=self.to.month().number()).map(Month::from_number)
    }
}

/// One day of the series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaySeries {
    /// The day.
    pub day: Day,
    /// Successful sign-ins.
    pub logins: u64,
    /// New users.
    pub signups: u64,
    /// Distinct users who signed in.
    pub active_users: u64,
    /// Failed sign-ins by reason (reasons that occurred only).
    pub failures: BTreeMap<String, u64>,
}

impl DaySeries {
    fn add(&mut self, r: &DayRollup) {
        self.logins += r.logins;
        self.signups += r.signups;
        self.active_users += r.active_users;
        for (reason, n) in &r.failures {
            *self.failures.entry(reason.clone()).or_default() += n;
        }
    }
}

/// Distinct users who signed in during a whole calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthActive {
    /// The month.
    pub month: Month,
    /// Its active users.
    pub active_users: u64,
}

/// A client and its successful sign-ins over the range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientLogins {
    /// The client's tenant (slug).
    pub tenant: String,
    /// The client.
    pub client_id: String,
    /// Its sign-ins.
    pub logins: u64,
}

/// The answer to an analytics request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyticsReport {
    /// The range.
    pub range: DateRange,
    /// Every day of the range, in order (zeros where nothing happened).
    pub days: Vec<DaySeries>,
    /// Every month the range touches, in order (whole months).
    pub months: Vec<MonthActive>,
    /// The [`TOP_CLIENTS`] clients most signed in to, most first.
    pub top_clients: Vec<ClientLogins>,
}

impl<S: Store> Admin<S> {
    /// The series of tenant `slug` over `range`.
    pub async fn tenant_analytics(
        &self,
        slug: &str,
        range: DateRange,
    ) -> Result<AnalyticsReport, AdminError> {
        let tenant = self.get_tenant(slug).await?;
        self.analytics_of(&[tenant], range).await
    }

    /// The platform's series over `range`: the sum over every tenant.
    pub async fn platform_analytics(
        &self,
        range: DateRange,
    ) -> Result<AnalyticsReport, AdminError> {
        let tenants = self.store().list_tenants().await?;
        self.analytics_of(&tenants, range).await
    }

    async fn analytics_of(
        &self,
        tenants: &[TenantRecord],
        range: DateRange,
    ) -> Result<AnalyticsReport, AdminError> {
        let mut days: Vec<DaySeries> = range
            .days()
            .map(|d| DaySeries {
                day: d,
                ..DaySeries::default()
            })
            .collect();
        let mut months: Vec<MonthActive> = range
            .months()
            .map(|month| MonthActive {
                month,
                active_users: 0,
            })
            .collect();
        let (first_month, last_month) = (range.from.month(), range.to.month());
        let mut clients = Vec::new();
        for tenant in tenants {
            let store = self.store();
            for r in store.day_rollups(&tenant.id, range.from, range.to).await? {
                let index = r.day - range.from.number();
                if let Some(day) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) {
                    day.add(&r);
                }
            }
            let counts: HashMap<i64, u64> = store
                .monthly_active_users(&tenant.id, first_month, last_month)
                .await?
                .into_iter()
                .collect();
            for m in &mut months {
                m.active_users += counts.get(&m.month.number()).copied().unwrap_or(0);
            }
            let top = store
                .client_logins(&tenant.id, range.from, range.to, TOP_CLIENTS)
                .await?;
            clients.extend(top.into_iter().map(|(id, logins)| ClientLogins {
                tenant: tenant.slug.clone(),
                client_id: id.as_str().to_owned(),
                logins,
            }));
        }
        // Each tenant's top clients hold the platform's: the first
        // TOP_CLIENTS of their union, most first, ties by name.
        clients.sort_by(|a, b| {
            b.logins
                .cmp(&a.logins)
                .then_with(|| a.tenant.cmp(&b.tenant))
                .then_with(|| a.client_id.cmp(&b.client_id))
        });
        clients.truncate(TOP_CLIENTS);
        Ok(AnalyticsReport {
            range,
            days,
            months,
            top_clients: clients,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Day {
        Day::parse("2026-12-05").unwrap_or(Day::from_number(0))
    }

    fn fields(e: AdminError) -> Vec<String> {
        match e {
            AdminError::Invalid(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => vec![other.to_string()],
        }
    }

    #[test]
    fn ranges_default_and_refuse_by_field() {
        let r = DateRange::parse(None, None, today()).ok();
        assert_eq!(r.map(|r| r.from.to_string()), Some("2026-11-06".into()));
        assert_eq!(r.map(|r| r.to), Some(today()));
        let r = DateRange::parse(Some("2026-12-01"), Some("2026-12-01"), today()).ok();
        assert_eq!(r.map(|r| r.days().count()), Some(1));
        let r = DateRange::parse(Some("2026-01-01"), Some("2026-12-31"), today());
        assert_eq!(r.ok().map(|r| r.months().count()), Some(12));
        let err = |from, to| {
            DateRange::parse(from, to, today())
                .err()
                .map(fields)
                .unwrap_or_default()
        };
        assert_eq!(err(Some("2026-13-01"), Some("x")), ["from", "to"]);
        assert_eq!(err(Some("2026-12-02"), Some("2026-12-01")), ["from"]);
        assert_eq!(err(Some("2024-01-01"), Some("2025-01-01")), ["to"]);
        assert!(err(Some("2024-01-01"), Some("2024-12-31")).is_empty());
    }
}
