//! [`AnalyticsStore`] for [`PostgresStore`]: sign-in events and their
//! roll-ups (migration 7), every statement under the tenant's scope. What
//! a roll-up counts is the port's definition; each day is rebuilt in one
//! tenant transaction.

use crate::admin::limit_param;
use crate::scoped::tenant_transaction;
use crate::{PostgresStore, db_error};
use idp_core::analytics::{Day, Month};
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{AnalyticsStore, DayRollup, SignInEvent, StoreResult};
use std::collections::BTreeMap;

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The statements that rebuild one day, each with the parameters it takes:
/// `T` tenant, `D` day, `S`/`E` its first second and the next day's, `M`
/// its month.
const REBUILD_DAY: &[(&str, &str)] = &[
    (
        "DELETE FROM analytics_days WHERE tenant_id = $1 AND day = $2",
        "TD",
    ),
    (
        "DELETE FROM analytics_day_counts WHERE tenant_id = $1 AND day = $2",
        "TD",
    ),
    (
        "INSERT INTO analytics_days (tenant_id, day, logins, signups, active_users)
         SELECT $1::text, $2::bigint,
            (SELECT count(*) FROM analytics_events
              WHERE tenant_id = $1 AND time >= $3 AND time < $4 AND failure IS NULL),
            (SELECT count(*) FROM users
              WHERE tenant_id = $1 AND created_at >= $3 AND created_at < $4),
            (SELECT count(DISTINCT user_id) FROM analytics_events
              WHERE tenant_id = $1 AND time >= $3 AND time < $4 AND failure IS NULL)",
        "TDSE",
    ),
    (
        "INSERT INTO analytics_day_counts (tenant_id, day, kind, key, n)
         SELECT $1::text, $2::bigint, 'failure', failure, count(*) FROM analytics_events
          WHERE tenant_id = $1 AND time >= $3 AND time < $4 AND failure IS NOT NULL
          GROUP BY failure",
        "TDSE",
    ),
    (
        "INSERT INTO analytics_day_counts (tenant_id, day, kind, key, n)
         SELECT $1::text, $2::bigint, 'client', client_id, count(*) FROM analytics_events
          WHERE tenant_id = $1 AND time >= $3 AND time < $4 AND failure IS NULL
            AND client_id IS NOT NULL
          GROUP BY client_id",
        "TDSE",
    ),
    (
        "INSERT INTO analytics_month_users (tenant_id, month, user_id)
         SELECT DISTINCT $1::text, $2::bigint, user_id FROM analytics_events
          WHERE tenant_id = $1 AND time >= $3 AND time < $4 AND failure IS NULL
            AND user_id IS NOT NULL
         ON CONFLICT DO NOTHING",
        "TMSE",
    ),
    (
        "INSERT INTO analytics_months (tenant_id, month, active_users)
         SELECT $1::text, $2::bigint, count(*) FROM analytics_month_users
          WHERE tenant_id = $1 AND month = $2
         ON CONFLICT (tenant_id, month) DO UPDATE SET active_users = excluded.active_users",
        "TM",
    ),
];

impl AnalyticsStore for PostgresStore {
    async fn append_sign_ins(&self, tenant: &TenantId, events: &[SignInEvent]) -> StoreResult<()> {
        let mut conn = self.client().await?;
        let tx = tenant_transaction(&mut conn, tenant).await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO analytics_events (tenant_id, time, failure, client_id, method, user_id)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .await
            .map_err(db_error)?;
        for e in events {
            let client = e.client_id.as_ref().map(ClientId::as_str);
            let user = e.user_id.as_ref().map(|u| u.as_str());
            tx.execute(
                &insert,
                &[
                    &tenant.as_str(),
                    &e.time,
                    &e.failure,
                    &client,
                    &e.method,
                    &user,
                ],
            )
            .await
            .map_err(db_error)?;
        }
        tx.commit().await.map_err(db_error)
    }

    async fn oldest_sign_in(&self, tenant: &TenantId) -> StoreResult<Option<UnixTime>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT min(time) FROM analytics_events WHERE tenant_id = $1",
                &[&tenant.as_str()],
            )
            .await?;
        match rows.first() {
            Some(row) => row.try_get(0).map_err(db_error),
            None => Ok(None),
        }
    }

    async fn rolled_up_until(&self, tenant: &TenantId) -> StoreResult<Option<UnixTime>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT rolled_until FROM analytics_rollups WHERE tenant_id = $1",
                &[&tenant.as_str()],
            )
            .await?;
        rows.first()
            .map(|r| r.try_get(0).map_err(db_error))
            .transpose()
    }

    async fn roll_up_day(&self, tenant: &TenantId, day: Day, until: UnixTime) -> StoreResult<()> {
        let (t, d, s, e, m) = (
            tenant.as_str(),
            day.number(),
            day.start(),
            day.end(),
            day.month().number(),
        );
        let mut conn = self.client().await?;
        let tx = tenant_transaction(&mut conn, tenant).await?;
        for (sql, takes) in REBUILD_DAY {
            let params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = takes
                .chars()
                .map(|c| -> &(dyn tokio_postgres::types::ToSql + Sync) {
                    match c {
                        'T' => &t,
                        'D' => &d,
                        'S' => &s,
                        'E' => &e,
                        _ => &m,
                    }
                })
                .collect();
            let stmt = tx.prepare_cached(sql).await.map_err(db_error)?;
            tx.execute(&stmt, &params).await.map_err(db_error)?;
        }
        tx.execute(
            "INSERT INTO analytics_rollups (tenant_id, rolled_until) VALUES ($1, $2)
             ON CONFLICT (tenant_id) DO UPDATE SET rolled_until = excluded.rolled_until",
            &[&t, &until],
        )
        .await
        .map_err(db_error)?;
        tx.commit().await.map_err(db_error)
    }

    async fn day_rollups(
        &self,
        tenant: &TenantId,
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<DayRollup>> {
        let (t, f, l) = (tenant.as_str(), from.number(), to.number());
        let rows = self
            .tenant_query(
                tenant,
                "SELECT day, logins, signups, active_users FROM analytics_days
                 WHERE tenant_id = $1 AND day BETWEEN $2 AND $3",
                &[&t, &f, &l],
            )
            .await?;
        let mut days = BTreeMap::new();
        for r in &rows {
            let day: i64 = r.try_get(0).map_err(db_error)?;
            days.insert(
                day,
                DayRollup {
                    day,
                    logins: count(r.try_get(1).map_err(db_error)?),
                    signups: count(r.try_get(2).map_err(db_error)?),
                    active_users: count(r.try_get(3).map_err(db_error)?),
                    failures: BTreeMap::new(),
                },
            );
        }
        let rows = self
            .tenant_query(
                tenant,
                "SELECT day, key, n FROM analytics_day_counts
                 WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 AND kind = 'failure'",
                &[&t, &f, &l],
            )
            .await?;
        for r in &rows {
            let day: i64 = r.try_get(0).map_err(db_error)?;
            let reason: String = r.try_get(1).map_err(db_error)?;
            let n: i64 = r.try_get(2).map_err(db_error)?;
            if let Some(d) = days.get_mut(&day) {
                d.failures.insert(reason, count(n));
            }
        }
        Ok(days.into_values().collect())
    }

    async fn monthly_active_users(
        &self,
        tenant: &TenantId,
        from: Month,
        to: Month,
    ) -> StoreResult<Vec<(i64, u64)>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT month, active_users FROM analytics_months
                 WHERE tenant_id = $1 AND month BETWEEN $2 AND $3 ORDER BY month",
                &[&tenant.as_str(), &from.number(), &to.number()],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let month: i64 = r.try_get(0).map_err(db_error)?;
                let n: i64 = r.try_get(1).map_err(db_error)?;
                Ok((month, count(n)))
            })
            .collect()
    }

    async fn client_logins(
        &self,
        tenant: &TenantId,
        from: Day,
        to: Day,
        limit: usize,
    ) -> StoreResult<Vec<(ClientId, u64)>> {
        let rows = self
            .tenant_query(
                tenant,
                "SELECT key, sum(n)::bigint AS total FROM analytics_day_counts
                 WHERE tenant_id = $1 AND day BETWEEN $2 AND $3 AND kind = 'client'
                 GROUP BY key ORDER BY total DESC, key LIMIT $4",
                &[
                    &tenant.as_str(),
                    &from.number(),
                    &to.number(),
                    &limit_param(limit),
                ],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.try_get(0).map_err(db_error)?;
                let n: i64 = r.try_get(1).map_err(db_error)?;
                Ok((ClientId::new(id), count(n)))
            })
            .collect()
    }

    async fn purge_sign_ins(
        &self,
        tenant: &TenantId,
        before: UnixTime,
        limit: u32,
    ) -> StoreResult<u64> {
        self.tenant_execute(
            tenant,
            "DELETE FROM analytics_events WHERE ctid = ANY (ARRAY (
               SELECT ctid FROM analytics_events WHERE tenant_id = $1 AND time < $2
               LIMIT $3 FOR UPDATE SKIP LOCKED))",
            &[&tenant.as_str(), &before, &i64::from(limit)],
        )
        .await
    }

    async fn purge_monthly_user_sets(&self, tenant: &TenantId, before: Month) -> StoreResult<u64> {
        self.tenant_execute(
            tenant,
            "DELETE FROM analytics_month_users WHERE tenant_id = $1 AND month < $2",
            &[&tenant.as_str(), &before.number()],
        )
        .await
    }
}
