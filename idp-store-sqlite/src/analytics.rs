//! [`AnalyticsStore`] for [`SqliteStore`]: sign-in events and their
//! roll-ups (migration 20). What a roll-up counts is the port's
//! definition; each day is rebuilt in one `BEGIN IMMEDIATE` transaction.

use crate::SqliteStore;
use idp_core::analytics::{Day, Month};
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{AnalyticsStore, DayRollup, SignInEvent, StoreResult};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use std::collections::BTreeMap;

/// The statements that rebuild one day: `?1` tenant, `?2` day, `?3` its
/// first second, `?4` the next day's, `?5` its month.
const REBUILD_DAY: &[&str] = &[
    "DELETE FROM analytics_days WHERE tenant_id = ?1 AND day = ?2",
    "DELETE FROM analytics_day_counts WHERE tenant_id = ?1 AND day = ?2",
    "INSERT INTO analytics_days (tenant_id, day, logins, signups, active_users)
     SELECT ?1, ?2,
        (SELECT count(*) FROM analytics_events
          WHERE tenant_id = ?1 AND time >= ?3 AND time < ?4 AND failure IS NULL),
        (SELECT count(*) FROM users
          WHERE tenant_id = ?1 AND created_at >= ?3 AND created_at < ?4),
        (SELECT count(DISTINCT user_id) FROM analytics_events
          WHERE tenant_id = ?1 AND time >= ?3 AND time < ?4 AND failure IS NULL)",
    "INSERT INTO analytics_day_counts (tenant_id, day, kind, key, n)
     SELECT ?1, ?2, 'failure', failure, count(*) FROM analytics_events
      WHERE tenant_id = ?1 AND time >= ?3 AND time < ?4 AND failure IS NOT NULL
      GROUP BY failure",
    "INSERT INTO analytics_day_counts (tenant_id, day, kind, key, n)
     SELECT ?1, ?2, 'client', client_id, count(*) FROM analytics_events
      WHERE tenant_id = ?1 AND time >= ?3 AND time < ?4 AND failure IS NULL
        AND client_id IS NOT NULL
      GROUP BY client_id",
    "INSERT OR IGNORE INTO analytics_month_users (tenant_id, month, user_id)
     SELECT DISTINCT ?1, ?5, user_id FROM analytics_events
      WHERE tenant_id = ?1 AND time >= ?3 AND time < ?4 AND failure IS NULL
        AND user_id IS NOT NULL",
    "INSERT OR REPLACE INTO analytics_months (tenant_id, month, active_users)
     SELECT ?1, ?5, count(*) FROM analytics_month_users WHERE tenant_id = ?1 AND month = ?5",
];

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

impl AnalyticsStore for SqliteStore {
    async fn append_sign_ins(&self, tenant: &TenantId, events: &[SignInEvent]) -> StoreResult<()> {
        let (tenant, events) = (tenant.clone(), events.to_vec());
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO analytics_events (tenant_id, time, failure, client_id, method, user_id)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?;
                for e in &events {
                    insert.execute(params![
                        tenant.as_str(),
                        e.time,
                        e.failure,
                        e.client_id.as_ref().map(ClientId::as_str),
                        e.method,
                        e.user_id.as_ref().map(|u| u.as_str()),
                    ])?;
                }
            }
            tx.commit()
        })
        .await
    }

    async fn oldest_sign_in(&self, tenant: &TenantId) -> StoreResult<Option<UnixTime>> {
        let tenant = tenant.clone();
        self.run(move |c| {
            c.prepare_cached("SELECT min(time) FROM analytics_events WHERE tenant_id = ?1")?
                .query_row([tenant.as_str()], |r| r.get(0))
        })
        .await
    }

    async fn rolled_up_until(&self, tenant: &TenantId) -> StoreResult<Option<UnixTime>> {
        let tenant = tenant.clone();
        self.run(move |c| {
            c.prepare_cached("SELECT rolled_until FROM analytics_rollups WHERE tenant_id = ?1")?
                .query_row([tenant.as_str()], |r| r.get(0))
                .optional()
        })
        .await
    }

    async fn roll_up_day(&self, tenant: &TenantId, day: Day, until: UnixTime) -> StoreResult<()> {
        let tenant = tenant.clone();
        self.run(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let p = params![
                tenant.as_str(),
                day.number(),
                day.start(),
                day.end(),
                day.month().number()
            ];
            for sql in REBUILD_DAY {
                // Each statement binds the parameters it names.
                let mut stmt = tx.prepare_cached(sql)?;
                let n = stmt.parameter_count();
                stmt.execute(&p[..n])?;
            }
            tx.execute(
                "INSERT INTO analytics_rollups (tenant_id, rolled_until) VALUES (?1, ?2)
                 ON CONFLICT (tenant_id) DO UPDATE SET rolled_until = excluded.rolled_until",
                params![tenant.as_str(), until],
            )?;
            tx.commit()
        })
        .await
    }

    async fn day_rollups(
        &self,
        tenant: &TenantId,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<DayRollup>> {
        let tenant = tenant.clone();
        self.run(move |c| {
            let range = params![tenant.as_str(), from.number(), to.number()];
            let mut days: BTreeMap<i64, DayRollup> = c
                .prepare_cached(
                    "SELECT day, logins, signups, active_users FROM analytics_days
                     WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3",
                )?
                .query_map(range, |r| {
                    Ok(DayRollup {
                        day: r.get(0)?,
                        logins: count(r.get(1)?),
                        signups: count(r.get(2)?),
                        active_users: count(r.get(3)?),
                        failures: BTreeMap::new(),
                    })
                })?
                .map(|d| d.map(|d| (d.day, d)))
                .collect::<rusqlite::Result<_>>()?;
            let mut failures = c.prepare_cached(
                "SELECT day, key, n FROM analytics_day_counts
                 WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3 AND kind = 'failure'",
            )?;
            let rows = failures.query_map(range, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })?;
            for row in rows {
                let (day, reason, n) = row?;
                if let Some(d) = days.get_mut(&day) {
                    d.failures.insert(reason, count(n));
                }
            }
            Ok(days.into_values().collect())
        })
        .await
    }

    async fn monthly_active_users(
        &self,
        tenant: &TenantId,
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<(i64, u64)>> {
        let tenant = tenant.clone();
        self.run(move |c| {
            c.prepare_cached(
                "SELECT month, active_users FROM analytics_months
                 WHERE tenant_id = ?1 AND month BETWEEN ?2 AND ?3 ORDER BY month",
            )?
            .query_map(params![tenant.as_str(), from.number(), to.number()], |r| {
                Ok((r.get(0)?, count(r.get(1)?)))
            })?
            .collect()
        })
        .await
    }

    async fn client_logins(
        &self,
        tenant: &TenantId,
        from: Day,
        to: Day,
        limit: usize,
    ) -> StoreResult<Vec<(ClientId, u64)>> {
        let tenant = tenant.clone();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.run(move |c| {
            c.prepare_cached(
                "SELECT key, sum(n) AS total FROM analytics_day_counts
                 WHERE tenant_id = ?1 AND day BETWEEN ?2 AND ?3 AND kind = 'client'
                 GROUP BY key ORDER BY total DESC, key LIMIT ?4",
            )?
            .query_map(
                params![tenant.as_str(), from.number(), to.number(), limit],
                |r| Ok((ClientId::new(r.get::<_, String>(0)?), count(r.get(1)?))),
            )?
            .collect()
        })
        .await
    }

    async fn purge_sign_ins(
        &self,
        tenant: &TenantId,
        before: UnixTime,
        limit: u32,
    ) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| {
            let n = c
                .prepare_cached(
                    "DELETE FROM analytics_events WHERE id IN (
                       SELECT id FROM analytics_events WHERE tenant_id = ?1 AND time < ?2
                       LIMIT ?3)",
                )?
                .execute(params![tenant.as_str(), before, limit])?;
            Ok(n as u64)
        })
        .await
    }

    async fn purge_monthly_user_sets(&self, tenant: &TenantId, before: Month) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| {
            let n = c
                .prepare_cached(
                    "DELETE FROM analytics_month_users WHERE tenant_id = ?1 AND month < ?2",
                )?
                .execute(params![tenant.as_str(), before.number()])?;
            Ok(n as u64)
        })
        .await
    }
}
