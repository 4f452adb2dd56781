//! [`AnalyticsStore`](crate::store::AnalyticsStore): what a day's roll-up
//! counts, that rebuilding replaces rather than adds, retention, and that
//! a tenant sees only its own (and loses them with itself).

use super::Outcome;
use super::samples::{two_tenants, user};
use crate::analytics::{Day, Month};
use crate::ids::{ClientId, TenantId, UserId};
use crate::store::{DayRollup, SignInEvent, Store};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The day the sample users are created on (`created_at` 1_700_000_200).
fn day() -> Day {
    Day::of(1_700_000_200)
}

fn ok(time: i64, user: &str, client: &str) -> SignInEvent {
    SignInEvent {
        time,
        failure: None,
        client_id: Some(ClientId::new(client)),
        method: "password".into(),
        user_id: Some(UserId::new(user)),
    }
}

fn failed(time: i64, reason: &str) -> SignInEvent {
    SignInEvent {
        time,
        failure: Some(reason.into()),
        client_id: Some(ClientId::new("c1")),
        method: "password".into(),
        user_id: None,
    }
}

/// In `tenant`: users u1, u2 created on [`day`]; u1 signs in twice to c1,
/// u2 once to c2, two wrong passwords and an unknown user fail; u1 signs
/// in once the next day.
async fn scripted<S: Store>(store: &S, tenant: &TenantId) -> Outcome {
    store
        .create_user(tenant, &user("u1", "u1@example.com"))
        .await?;
    store
        .create_user(tenant, &user("u2", "u2@example.com"))
        .await?;
    let t = day().start() + 3_600;
    let events = [
        ok(t, "u1", "c1"),
        ok(t + 1, "u1", "c1"),
        ok(t + 2, "u2", "c2"),
        failed(t + 3, "wrong_password"),
        failed(t + 4, "wrong_password"),
        failed(t + 5, "unknown_user"),
        ok(day().end(), "u1", "c1"),
    ];
    store.append_sign_ins(tenant, &events[..3]).await?;
    store.append_sign_ins(tenant, &events[3..]).await?;
    Ok(())
}

fn expected_day() -> DayRollup {
    DayRollup {
        day: day().number(),
        logins: 3,
        signups: 2,
        active_users: 2,
        failures: BTreeMap::from([("unknown_user".into(), 1), ("wrong_password".into(), 2)]),
    }
}

/// A day's roll-up counts exactly its events and users; rebuilding it
/// replaces it (twice counts once), and a later event is counted by the
/// next rebuild; clients rank by sign-ins; the month counts distinct users.
pub async fn sign_ins_roll_up_per_day<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    scripted(&*store, &a).await?;
    assert_eq!(store.oldest_sign_in(&a).await?, Some(day().start() + 3_600));
    assert_eq!(store.rolled_up_until(&a).await?, None);
    assert_eq!(store.day_rollups(&a, day(), day()).await?, []);
    store.roll_up_day(&a, day(), 5_000).await?;
    store.roll_up_day(&a, day(), 6_000).await?;
    assert_eq!(store.rolled_up_until(&a).await?, Some(6_000));
    let next = day().plus(1);
    assert_eq!(
        store.day_rollups(&a, day().plus(-3), next).await?,
        [expected_day()]
    );
    store.roll_up_day(&a, next, 7_000).await?;
    let both = store.day_rollups(&a, day(), next).await?;
    assert_eq!(both.len(), 2);
    assert_eq!(
        both[1],
        DayRollup {
            day: next.number(),
            logins: 1,
            active_users: 1,
            ..DayRollup::default()
        }
    );
    // A late event of the first day, then its rebuild.
    store
        .append_sign_ins(&a, &[ok(day().start() + 9, "u3", "c2")])
        .await?;
    store.roll_up_day(&a, day(), 8_000).await?;
    let first = store.day_rollups(&a, day(), day()).await?;
    assert_eq!(first[0].logins, 4);
    assert_eq!(first[0].active_users, 3);
    assert_eq!(
        store.client_logins(&a, day(), next, 10).await?,
        [(ClientId::new("c1"), 3), (ClientId::new("c2"), 2)]
    );
    assert_eq!(
        store.client_logins(&a, day(), next, 1).await?,
        [(ClientId::new("c1"), 3)]
    );
    let month = day().month();
    let months = store.monthly_active_users(&a, month, next.month()).await?;
    let mut expected = vec![(month.number(), 3)];
    if next.month() != month {
        expected.push((next.month().number(), 1));
    }
    assert_eq!(months, expected);
    Ok(())
}

/// The purge deletes raw events strictly before the cut-off, in bounded
/// batches, and month sets before the month given; roll-ups and month
/// counts stay.
pub async fn sign_in_purge_keeps_rollups<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    scripted(&*store, &a).await?;
    store.roll_up_day(&a, day(), 1).await?;
    let cutoff = day().start() + 3_602;
    assert_eq!(store.purge_sign_ins(&a, cutoff, 1).await?, 1);
    assert_eq!(store.purge_sign_ins(&a, cutoff, 10).await?, 1);
    assert_eq!(store.purge_sign_ins(&a, cutoff, 10).await?, 0);
    assert_eq!(store.oldest_sign_in(&a).await?, Some(cutoff));
    let later = Month::from_number(day().month().number() + 1);
    assert_eq!(store.purge_monthly_user_sets(&a, later).await?, 2);
    assert_eq!(store.day_rollups(&a, day(), day()).await?, [expected_day()]);
    assert_eq!(
        store
            .monthly_active_users(&a, day().month(), day().month())
            .await?,
        [(day().month().number(), 2)]
    );
    Ok(())
}

/// Another tenant sees none of it, its roll-up of the same day counts its
/// own (nothing), and deleting the tenant deletes its analytics.
pub async fn analytics_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    scripted(&*store, &a).await?;
    store.roll_up_day(&a, day(), 1).await?;
    store.roll_up_day(&b, day(), 1).await?;
    assert_eq!(store.oldest_sign_in(&b).await?, None);
    let theirs = store.day_rollups(&b, day(), day()).await?;
    assert_eq!(
        theirs,
        [DayRollup {
            day: day().number(),
            ..DayRollup::default()
        }]
    );
    assert_eq!(store.client_logins(&b, day(), day(), 10).await?, []);
    assert_eq!(
        store
            .monthly_active_users(&b, day().month(), day().month())
            .await?,
        [(day().month().number(), 0)]
    );
    assert_eq!(store.purge_sign_ins(&b, i64::MAX, 100).await?, 0);
    assert_eq!(store.oldest_sign_in(&a).await?, Some(day().start() + 3_600));
    assert!(store.delete_tenant(&a).await?);
    assert_eq!(store.day_rollups(&a, day(), day()).await?, []);
    assert_eq!(store.oldest_sign_in(&a).await?, None);
    assert_eq!(store.rolled_up_until(&a).await?, None);
    assert_eq!(store.client_logins(&a, day(), day(), 10).await?, []);
    Ok(())
}
