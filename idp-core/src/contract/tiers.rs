//! [`TierStore`](crate::store::TierStore) and the tier changes of
//! [`AdminChange`]: tiers round-trip and page; a tenant names at most one,
//! which cannot be deleted while named; counts are per tenant; and
//! [`AdminChange::WithinLimit`] makes its create only under the limit,
//! atomically, so racing creates at `limit - 1` make exactly one.

use super::api_keys::api_key;
use super::audit::audited;
use super::samples::{client, two_tenants, user};
use super::{Outcome, RACERS, race};
use crate::ids::TenantId;
use crate::store::{AdminChange, Applied, Counted, Store, StoreError, TierRecord};
use crate::tier::Limits;
use std::sync::Arc;

/// A tier `name` limiting users to `users` and API keys to 2.
pub fn tier(name: &str, users: Option<u64>) -> TierRecord {
    TierRecord {
        name: name.to_owned(),
        limits: Limits {
            users,
            clients: None,
            upstreams: Some(0),
            api_keys: Some(2),
        },
        created_at: 1_700_000_000,
        updated_at: 1_700_000_100,
    }
}

async fn create_tier<S: Store>(store: &S, t: &TierRecord) -> Result<Applied, super::Failure> {
    Ok(audited(
        store,
        AdminChange::CreateTier { tier: t },
        "tier.create",
        None,
    )
    .await??)
}

async fn assign<S: Store>(
    store: &S,
    tenant: &TenantId,
    tier: Option<&str>,
) -> Result<Applied, super::Failure> {
    let change = AdminChange::AssignTier { tenant, tier };
    Ok(audited(store, change, "tenant.update", Some("a")).await??)
}

/// Tiers round-trip (unlimited and zero limits apart), page by name
/// strictly after the one given, take new limits; a name is taken once; a
/// missing tier is `None`, `Missing` to update or delete.
pub async fn tiers_round_trip_and_page<S: Store>(store: Arc<S>) -> Outcome {
    for name in ["pro", "free", "team"] {
        assert_eq!(
            create_tier(&*store, &tier(name, Some(3))).await?,
            Applied::Done(1)
        );
    }
    let names = |p: Vec<TierRecord>| p.into_iter().map(|t| t.name).collect::<Vec<_>>();
    assert_eq!(names(store.tiers_page(None, 2).await?), ["free", "pro"]);
    assert_eq!(names(store.tiers_page(Some("pro"), 5).await?), ["team"]);
    assert_eq!(store.tier("pro").await?, Some(tier("pro", Some(3))));
    let dup = audited(
        &*store,
        AdminChange::CreateTier {
            tier: &tier("pro", None),
        },
        "tier.create",
        None,
    )
    .await?;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

    let mut changed = tier("pro", None);
    changed.limits.clients = Some(0);
    changed.updated_at = 1_700_000_900;
    let change = AdminChange::UpdateTier { tier: &changed };
    assert_eq!(
        audited(&*store, change, "tier.update", None).await??,
        Applied::Done(1)
    );
    assert_eq!(store.tier("pro").await?, Some(changed));
    assert_eq!(store.tier("gold").await?, None);
    let ghost = tier("gold", None);
    let change = AdminChange::UpdateTier { tier: &ghost };
    assert_eq!(
        audited(&*store, change, "tier.update", None).await??,
        Applied::Missing
    );
    let change = AdminChange::DeleteTier { name: "team" };
    assert_eq!(
        audited(&*store, change, "tier.delete", None).await??,
        Applied::Done(1)
    );
    let change = AdminChange::DeleteTier { name: "team" };
    assert_eq!(
        audited(&*store, change, "tier.delete", None).await??,
        Applied::Missing
    );
    assert_eq!(names(store.tiers_page(None, 9).await?), ["free", "pro"]);
    Ok(())
}

/// A tenant names at most one tier, read back for it alone; a missing
/// tenant or tier is `Missing`; an assigned tier cannot be deleted
/// (`Conflict`, nothing deleted) until no tenant names it.
pub async fn tier_assignment_is_per_tenant_and_blocks_deletion<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    create_tier(&*store, &tier("free", Some(1))).await?;
    assert_eq!(store.tenant_tier(&a).await?, None);
    assert_eq!(assign(&*store, &a, Some("free")).await?, Applied::Done(1));
    assert_eq!(store.tenant_tier(&a).await?, Some(tier("free", Some(1))));
    assert_eq!(store.tenant_tier(&b).await?, None);
    assert_eq!(assign(&*store, &a, Some("gold")).await?, Applied::Missing);
    assert_eq!(
        assign(&*store, &TenantId::new("tid-zz"), Some("free")).await?,
        Applied::Missing
    );
    assert_eq!(
        store.tenant_tier(&a).await?.map(|t| t.name),
        Some("free".into())
    );

    let change = AdminChange::DeleteTier { name: "free" };
    let refused = audited(&*store, change, "tier.delete", None).await?;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert!(store.tier("free").await?.is_some());
    assert_eq!(assign(&*store, &a, None).await?, Applied::Done(1));
    assert_eq!(store.tenant_tier(&a).await?, None);
    let change = AdminChange::DeleteTier { name: "free" };
    assert_eq!(
        audited(&*store, change, "tier.delete", None).await??,
        Applied::Done(1)
    );
    Ok(())
}

/// Counts are per tenant; API keys count while neither revoked nor
/// expired; first-party clients never count.
pub async fn counts_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    store.create_user(&a, &user("u1", "u1@example.com")).await?;
    store.create_user(&a, &user("u2", "u2@example.com")).await?;
    store.create_user(&b, &user("u1", "u1@example.com")).await?;
    store.create_client(&b, &client("c1")).await?;
    assert_eq!(store.count(Counted::Users(&a)).await?, 2);
    assert_eq!(store.count(Counted::Users(&b)).await?, 1);
    assert_eq!(store.count(Counted::Clients(&a)).await?, 0);
    assert_eq!(store.count(Counted::Clients(&b)).await?, 1);
    // The provider's own clients (crate::first_party) are not counted.
    for id in crate::first_party::IDS {
        store.create_client(&b, &client(id)).await?;
    }
    assert_eq!(store.count(Counted::Clients(&b)).await?, 1);

    // api_key(_, true) is limited to tenant "a" and expires at 1.8e9.
    for id in ["k1", "k2", "k3"] {
        let key = api_key(id, true);
        store
            .apply_audited(
                AdminChange::CreateApiKey { key: &key },
                &super::audit::event("api_key.create", None),
            )
            .await?;
    }
    let key = api_key("k4", false);
    store
        .apply_audited(
            AdminChange::CreateApiKey { key: &key },
            &super::audit::event("api_key.create", None),
        )
        .await?;
    let revoke = AdminChange::RevokeApiKey {
        id: "k3",
        at: 1_700_000_001,
    };
    store
        .apply_audited(revoke, &super::audit::event("api_key.revoke", None))
        .await?;
    let keys = |tenant, now| Counted::ApiKeys { tenant, now };
    assert_eq!(store.count(keys("a", 1_700_000_002)).await?, 2);
    assert_eq!(store.count(keys("a", 1_800_000_000)).await?, 0);
    assert_eq!(store.count(keys("b", 1_700_000_002)).await?, 0);
    Ok(())
}

/// Under the limit the wrapped create is made with its event; at the limit
/// nothing is written, no event, and the count comes back.
pub async fn within_limit_creates_only_under_the_limit<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    store.create_user(&b, &user("u9", "u9@example.com")).await?;
    let first = user("u1", "u1@example.com");
    let inner = AdminChange::CreateUser {
        tenant: &a,
        user: &first,
    };
    let change = AdminChange::WithinLimit {
        counted: Counted::Users(&a),
        limit: 1,
        change: &inner,
    };
    assert_eq!(
        audited(&*store, change, "user.create", Some("a")).await??,
        Applied::Done(1)
    );
    let second = user("u2", "u2@example.com");
    let inner = AdminChange::CreateUser {
        tenant: &a,
        user: &second,
    };
    let change = AdminChange::WithinLimit {
        counted: Counted::Users(&a),
        limit: 1,
        change: &inner,
    };
    assert_eq!(
        audited(&*store, change, "user.create", Some("a")).await??,
        Applied::LimitReached(1)
    );
    assert!(store.user(&a, &second.id).await?.is_none());
    let c = client("c1");
    let inner = AdminChange::CreateClient {
        tenant: &a,
        client: &c,
    };
    let change = AdminChange::WithinLimit {
        counted: Counted::Clients(&a),
        limit: 0,
        change: &inner,
    };
    assert_eq!(
        audited(&*store, change, "client.create", Some("a")).await??,
        Applied::LimitReached(0)
    );
    // A conflict inside is still a conflict.
    let inner = AdminChange::CreateUser {
        tenant: &a,
        user: &first,
    };
    let change = AdminChange::WithinLimit {
        counted: Counted::Users(&a),
        limit: 5,
        change: &inner,
    };
    let dup = audited(&*store, change, "user.create", Some("a")).await?;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    Ok(())
}

/// [`RACERS`] creates race at `limit - 1`, each round: exactly one wins,
/// every other sees the limit reached, and the count ends at the limit.
pub async fn racing_creates_within_a_limit_have_one_winner<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    let a = Arc::new(a);
    for round in 0..4u64 {
        let limit = round + 1;
        let results = race(&store, |store, i| {
            let a = Arc::clone(&a);
            async move {
                let u = user(
                    &format!("r{round}-{i}"),
                    &format!("r{round}-{i}@example.com"),
                );
                let inner = AdminChange::CreateUser {
                    tenant: &a,
                    user: &u,
                };
                let change = AdminChange::WithinLimit {
                    counted: Counted::Users(&a),
                    limit,
                    change: &inner,
                };
                store
                    .apply_audited(change, &super::audit::event("user.create", Some("a")))
                    .await
            }
        })
        .await?;
        let won = results
            .iter()
            .filter(|r| matches!(r, Applied::Done(1)))
            .count();
        let refused = results
            .iter()
            .filter(|r| **r == Applied::LimitReached(limit))
            .count();
        assert_eq!(
            (won, refused),
            (1, RACERS - 1),
            "round {round}: {results:?}"
        );
        assert_eq!(store.count(Counted::Users(&a)).await?, limit);
    }
    Ok(())
}
