//! [`UpstreamStore`](crate::store::UpstreamStore) and the upstream changes
//! of [`AdminChange`] (issue 19): upstreams per tenant, the identities
//! linked through them, flights taken once before they expire, and what
//! deleting an upstream, a user or a tenant does to them.

use super::audit::audited;
use super::samples::{two_tenants, user};
use super::{Failure, Outcome, ROUNDS, race};
use crate::crypto::secret::SecretHash;
use crate::ids::{TenantId, UpstreamId, UserId};
use crate::store::{
    AdminChange, Applied, Counted, Expiring, LinkedIdentityRecord, Store, StoreError, StoreResult,
    UpstreamFlightRecord, UpstreamRecord,
};
use crate::upstream::UpstreamKind;
use std::sync::Arc;

/// An upstream `id` with every optional field set and a secret that is not
/// text.
pub fn upstream(id: &str) -> UpstreamRecord {
    UpstreamRecord {
        id: UpstreamId::new(id),
        kind: UpstreamKind::Oidc,
        name: format!("Upstream {id}, café"),
        issuer: Some(format!("https://{id}.example/realms/x")),
        client_id: format!("client-{id}"),
        sealed_client_secret: [id.as_bytes(), &[0, 255, 7]].concat(),
        signup: true,
        auto_link: false,
        created_at: 1_700_000_000,
        updated_at: 1_700_000_100,
    }
}

/// The identity `subject` of `upstream`, linked to `user`.
pub fn identity(upstream: &str, subject: &str, user: &str) -> LinkedIdentityRecord {
    LinkedIdentityRecord {
        upstream_id: UpstreamId::new(upstream),
        subject: subject.to_owned(),
        user_id: UserId::new(user),
        email: Some(format!("{subject}@upstream.example")),
        created_at: 1_700_000_200,
        last_used_at: 1_700_000_300,
    }
}

/// A flight to `upstream` under the hash of `state`, expiring at
/// `expires_at`.
pub fn flight(state: &str, upstream: &str, expires_at: i64) -> UpstreamFlightRecord {
    UpstreamFlightRecord {
        state_hash: SecretHash::of(state),
        upstream_id: UpstreamId::new(upstream),
        data: [state.as_bytes(), &[0, 255, 1]].concat(),
        created_at: 500,
        expires_at,
    }
}

/// Creates upstream `id` in `tenant`, audited.
async fn create<S: Store>(store: &S, tenant: &TenantId, id: &str) -> Result<Applied, Failure> {
    let u = upstream(id);
    let change = AdminChange::CreateUpstream {
        tenant,
        upstream: &u,
    };
    Ok(audited(store, change, "upstream.create", Some("a")).await??)
}

/// Links `identity` in `tenant`, audited; what the store said.
async fn link<S: Store>(
    store: &S,
    tenant: &TenantId,
    identity: &LinkedIdentityRecord,
) -> Result<StoreResult<Applied>, Failure> {
    let change = AdminChange::LinkIdentity { tenant, identity };
    audited(store, change, "user.identity_link", Some("a")).await
}

/// Unlinks (upstream, subject) from `user`, audited.
async fn unlink<S: Store>(
    store: &S,
    tenant: &TenantId,
    user: &str,
    upstream: &str,
    subject: &str,
) -> Result<Applied, Failure> {
    let (user, upstream) = (UserId::new(user), UpstreamId::new(upstream));
    let change = AdminChange::UnlinkIdentity {
        tenant,
        user: &user,
        upstream: &upstream,
        subject,
    };
    Ok(audited(store, change, "user.identity_unlink", Some("a")).await??)
}

/// Upstreams round-trip, page by id strictly after the one given, take
/// every change but their id, kind and creation time; an id is taken once
/// per tenant; a missing upstream is `None`, `Missing` to update or delete.
/// Another tenant sees none of them and may use the same id.
pub async fn upstreams_round_trip_and_page<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for id in ["okta", "github", "keycloak"] {
        assert_eq!(create(&*store, &a, id).await?, Applied::Done(1));
    }
    let mut plain = upstream("plain");
    plain.issuer = None;
    plain.kind = UpstreamKind::Github;
    plain.sealed_client_secret = Vec::new();
    let change = AdminChange::CreateUpstream {
        tenant: &a,
        upstream: &plain,
    };
    audited(&*store, change, "upstream.create", Some("a")).await??;
    let u = UpstreamId::new;
    assert_eq!(
        store.upstream(&a, &u("okta")).await?,
        Some(upstream("okta"))
    );
    assert_eq!(store.upstream(&a, &u("plain")).await?, Some(plain));
    assert_eq!(store.upstream(&a, &u("ghost")).await?, None);
    let ids = |page: Vec<UpstreamRecord>| -> Vec<String> {
        page.into_iter().map(|r| r.id.as_str().to_owned()).collect()
    };
    assert_eq!(
        ids(store.upstreams_page(&a, None, 2).await?),
        ["github", "keycloak"]
    );
    assert_eq!(
        ids(store.upstreams_page(&a, Some(&u("keycloak")), 5).await?),
        ["okta", "plain"]
    );
    assert!(
        store
            .upstreams_page(&a, Some(&u("plain")), 5)
            .await?
            .is_empty()
    );

    // Tenant b sees nothing of a's, and may take the same id.
    assert!(store.upstreams_page(&b, None, 10).await?.is_empty());
    assert_eq!(store.upstream(&b, &u("okta")).await?, None);
    let dup = AdminChange::CreateUpstream {
        tenant: &a,
        upstream: &upstream("okta"),
    };
    let dup = audited(&*store, dup, "upstream.create", Some("a")).await?;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    assert_eq!(create(&*store, &b, "okta").await?, Applied::Done(1));

    let mut changed = upstream("okta");
    changed.name = "Okta".to_owned();
    changed.issuer = None;
    changed.client_id = "new-client".to_owned();
    changed.sealed_client_secret = vec![9, 0, 9];
    changed.signup = false;
    changed.auto_link = true;
    changed.updated_at = 1_700_000_900;
    // Neither the kind nor the creation time changes.
    let sent = UpstreamRecord {
        kind: UpstreamKind::Google,
        created_at: 1,
        ..changed.clone()
    };
    let change = AdminChange::UpdateUpstream {
        tenant: &a,
        upstream: &sent,
    };
    assert_eq!(
        audited(&*store, change, "upstream.update", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(store.upstream(&a, &u("okta")).await?, Some(changed));
    assert_eq!(
        store.upstream(&b, &u("okta")).await?,
        Some(upstream("okta"))
    );

    let ghost = upstream("ghost");
    let ghost_id = u("ghost");
    for change in [
        AdminChange::UpdateUpstream {
            tenant: &a,
            upstream: &ghost,
        },
        AdminChange::DeleteUpstream {
            tenant: &a,
            upstream: &ghost_id,
        },
    ] {
        let result = audited(&*store, change, "upstream.update", Some("a")).await??;
        assert_eq!(result, Applied::Missing);
    }
    let okta = u("okta");
    let change = AdminChange::DeleteUpstream {
        tenant: &a,
        upstream: &okta,
    };
    assert_eq!(
        audited(&*store, change, "upstream.delete", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(store.upstream(&a, &okta).await?, None);
    assert!(store.upstream(&b, &okta).await?.is_some());
    Ok(())
}

/// Deleting an upstream deletes its identities and its flights, and
/// nothing of another upstream's or of the users.
pub async fn upstream_deletion_cascades<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store.create_user(&a, &user("u1", "u1@example.com")).await?;
    for id in ["gone", "kept"] {
        create(&*store, &a, id).await?;
        link(&*store, &a, &identity(id, "sub-1", "u1")).await??;
        store
            .put_flight(&a, &flight(&format!("state-{id}"), id, 2_000))
            .await?;
    }
    let gone = UpstreamId::new("gone");
    let change = AdminChange::DeleteUpstream {
        tenant: &a,
        upstream: &gone,
    };
    assert_eq!(
        audited(&*store, change, "upstream.delete", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(store.linked_identity(&a, &gone, "sub-1").await?, None);
    let left = store.identities_of_user(&a, &UserId::new("u1")).await?;
    assert_eq!(left, [identity("kept", "sub-1", "u1")]);
    let take = |state: &str| SecretHash::of(state);
    assert_eq!(
        store.take_flight(&a, &take("state-gone"), 1_000).await?,
        None
    );
    assert!(
        store
            .take_flight(&a, &take("state-kept"), 1_000)
            .await?
            .is_some()
    );
    assert!(store.user(&a, &UserId::new("u1")).await?.is_some());
    Ok(())
}

/// An identity links once: a linked (upstream, subject) is a `Conflict`
/// (nothing changed), a missing user or upstream is `Missing`; it unlinks
/// only from its own user (`Missing` otherwise, and it stays); a user's
/// identities come by upstream then subject; every read is per tenant.
pub async fn identities_link_and_unlink<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        store.create_user(t, &user("u1", "u1@example.com")).await?;
        store.create_user(t, &user("u2", "u2@example.com")).await?;
    }
    for id in ["okta", "github"] {
        create(&*store, &a, id).await?;
    }
    create(&*store, &b, "okta").await?;
    for (up, sub) in [("okta", "zed"), ("github", "42"), ("okta", "amy")] {
        assert_eq!(
            link(&*store, &a, &identity(up, sub, "u1")).await??,
            Applied::Done(1)
        );
    }
    let okta = UpstreamId::new("okta");
    assert_eq!(
        store.linked_identity(&a, &okta, "amy").await?,
        Some(identity("okta", "amy", "u1"))
    );
    assert_eq!(store.linked_identity(&b, &okta, "amy").await?, None);
    assert_eq!(store.linked_identity(&a, &okta, "nobody").await?, None);
    let order: Vec<(String, String)> = store
        .identities_of_user(&a, &UserId::new("u1"))
        .await?
        .into_iter()
        .map(|i| (i.upstream_id.as_str().to_owned(), i.subject))
        .collect();
    let want = [("github", "42"), ("okta", "amy"), ("okta", "zed")];
    assert_eq!(
        order,
        want.map(|(u, s)| (u.to_owned(), s.to_owned())),
        "by upstream then subject"
    );
    assert!(
        store
            .identities_of_user(&b, &UserId::new("u1"))
            .await?
            .is_empty()
    );

    // Linked already, even to another user: a conflict, the link kept.
    let taken = link(&*store, &a, &identity("okta", "amy", "u2")).await?;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    assert_eq!(
        store.linked_identity(&a, &okta, "amy").await?,
        Some(identity("okta", "amy", "u1"))
    );
    // A missing user, or an upstream only the other tenant has.
    assert_eq!(
        link(&*store, &a, &identity("okta", "new", "ghost")).await??,
        Applied::Missing
    );
    assert_eq!(
        link(&*store, &b, &identity("github", "42", "u1")).await??,
        Applied::Missing
    );
    assert_eq!(
        link(&*store, &a, &identity("nowhere", "new", "u1")).await??,
        Applied::Missing
    );

    // Only its own user unlinks it.
    assert_eq!(
        unlink(&*store, &a, "u2", "okta", "amy").await?,
        Applied::Missing
    );
    assert_eq!(
        unlink(&*store, &b, "u1", "okta", "amy").await?,
        Applied::Missing
    );
    assert!(store.linked_identity(&a, &okta, "amy").await?.is_some());
    assert_eq!(
        unlink(&*store, &a, "u1", "okta", "amy").await?,
        Applied::Done(1)
    );
    assert_eq!(store.linked_identity(&a, &okta, "amy").await?, None);
    assert_eq!(
        unlink(&*store, &a, "u1", "okta", "amy").await?,
        Applied::Missing
    );
    // Free again: another user may link it now.
    assert_eq!(
        link(&*store, &a, &identity("okta", "amy", "u2")).await??,
        Applied::Done(1)
    );
    Ok(())
}

/// A sign-in records the email now reported and when; an identity not
/// linked (or another tenant's) is `false`.
pub async fn touching_an_identity_records_the_sign_in<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    store.create_user(&a, &user("u1", "u1@example.com")).await?;
    create(&*store, &a, "okta").await?;
    link(&*store, &a, &identity("okta", "amy", "u1")).await??;
    let okta = UpstreamId::new("okta");
    assert!(
        store
            .touch_identity(&a, &okta, "amy", Some("amy@new.example"), 1_800_000_000)
            .await?
    );
    let want = LinkedIdentityRecord {
        email: Some("amy@new.example".to_owned()),
        last_used_at: 1_800_000_000,
        ..identity("okta", "amy", "u1")
    };
    assert_eq!(store.linked_identity(&a, &okta, "amy").await?, Some(want));
    assert!(
        store
            .touch_identity(&a, &okta, "amy", None, 1_800_000_001)
            .await?
    );
    let touched = store.linked_identity(&a, &okta, "amy").await?;
    assert_eq!(touched.as_ref().and_then(|i| i.email.as_deref()), None);
    assert!(
        !store
            .touch_identity(&a, &okta, "bob", None, 1_800_000_002)
            .await?
    );
    assert!(
        !store
            .touch_identity(&b, &okta, "amy", None, 1_800_000_002)
            .await?
    );
    Ok(())
}

/// A first sign-in creates the user and links the identity in one
/// transaction: with a taken email or a linked (upstream, subject) it is a
/// `Conflict` and neither is written (no event); with a missing upstream it
/// is `Missing` and no user is created.
pub async fn user_with_identity_is_created_atomically<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    create(&*store, &a, "okta").await?;
    store
        .create_user(&a, &user("u1", "taken@example.com"))
        .await?;
    let okta = UpstreamId::new("okta");
    let first = |user_id: &str, email: &str, subject: &str| {
        (user(user_id, email), identity("okta", subject, user_id))
    };

    let (new, id) = first("u2", "amy@example.com", "amy");
    let change = AdminChange::CreateUserWithIdentity {
        tenant: &a,
        user: &new,
        identity: &id,
    };
    assert_eq!(
        audited(&*store, change, "user.create_from_upstream", Some("a")).await??,
        Applied::Done(1)
    );
    let made = store.user(&a, &new.id).await?.ok_or("no user")?;
    assert_eq!(
        (made.email, made.name),
        (new.email.clone(), new.name.clone())
    );
    assert_eq!(store.linked_identity(&a, &okta, "amy").await?, Some(id));

    // The email is taken: no user, no identity.
    let (clash, id) = first("u3", "taken@example.com", "bob");
    let change = AdminChange::CreateUserWithIdentity {
        tenant: &a,
        user: &clash,
        identity: &id,
    };
    let result = audited(&*store, change, "user.create_from_upstream", Some("a")).await?;
    assert!(
        matches!(result, Err(StoreError::Conflict(ref f)) if f == "email"),
        "{result:?}"
    );
    assert!(store.user(&a, &clash.id).await?.is_none());
    assert_eq!(store.linked_identity(&a, &okta, "bob").await?, None);

    // The identity is linked already: no user.
    let (dup, id) = first("u4", "dup@example.com", "amy");
    let change = AdminChange::CreateUserWithIdentity {
        tenant: &a,
        user: &dup,
        identity: &id,
    };
    let result = audited(&*store, change, "user.create_from_upstream", Some("a")).await?;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.user(&a, &dup.id).await?.is_none());
    assert_eq!(
        store.linked_identity(&a, &okta, "amy").await?,
        Some(identity("okta", "amy", "u2"))
    );

    // The upstream is gone: no user.
    let lost = user("u5", "lost@example.com");
    let id = identity("ghost", "carl", "u5");
    let change = AdminChange::CreateUserWithIdentity {
        tenant: &a,
        user: &lost,
        identity: &id,
    };
    assert_eq!(
        audited(&*store, change, "user.create_from_upstream", Some("a")).await??,
        Applied::Missing
    );
    assert!(store.user(&a, &lost.id).await?.is_none());
    Ok(())
}

/// Deleting a user deletes their identities (the other user's stay);
/// deleting the tenant deletes its upstreams and identities, and the other
/// tenant's stay.
pub async fn user_and_tenant_deletion_remove_identities<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        store.create_user(t, &user("u1", "u1@example.com")).await?;
        store.create_user(t, &user("u2", "u2@example.com")).await?;
        create(&*store, t, "okta").await?;
        link(&*store, t, &identity("okta", "one", "u1")).await??;
        link(&*store, t, &identity("okta", "two", "u2")).await??;
    }
    let (u1, okta) = (UserId::new("u1"), UpstreamId::new("okta"));
    let change = AdminChange::DeleteUser {
        tenant: &a,
        user: &u1,
        now: 2_000,
        keep_until: 9_000,
    };
    assert_eq!(
        audited(&*store, change, "user.delete", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(store.linked_identity(&a, &okta, "one").await?, None);
    assert!(store.identities_of_user(&a, &u1).await?.is_empty());
    assert!(store.linked_identity(&a, &okta, "two").await?.is_some());
    assert!(store.linked_identity(&b, &okta, "one").await?.is_some());
    // The port's own deletion does the same.
    assert!(
        store
            .delete_user(&a, &UserId::new("u2"), 2_000, 9_000)
            .await?
    );
    assert_eq!(store.linked_identity(&a, &okta, "two").await?, None);
    // A new user of the same id starts with none.
    store.create_user(&a, &user("u1", "u1@example.com")).await?;
    assert!(store.identities_of_user(&a, &u1).await?.is_empty());

    link(&*store, &a, &identity("okta", "three", "u1")).await??;
    store.put_flight(&a, &flight("st", "okta", 2_000)).await?;
    assert!(store.delete_tenant(&a).await?);
    assert_eq!(store.count(Counted::Upstreams(&a)).await?, 0);
    assert_eq!(store.upstream(&a, &okta).await?, None);
    assert_eq!(store.linked_identity(&a, &okta, "three").await?, None);
    assert_eq!(
        store.take_flight(&a, &SecretHash::of("st"), 1_000).await?,
        None
    );
    assert!(store.linked_identity(&b, &okta, "one").await?.is_some());
    assert_eq!(store.count(Counted::Upstreams(&b)).await?, 1);
    Ok(())
}

/// A flight round-trips once: a second put of its state hash is a
/// `Conflict`; it is taken (exactly once, of racing takes) before its
/// `expires_at` and never from then on; the purge deletes it strictly
/// before the cutoff; another tenant neither takes nor purges it.
pub async fn flights_are_taken_once_before_expiry<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        create(&*store, t, "okta").await?;
    }
    let f = flight("state-1", "okta", 1_000);
    store.put_flight(&a, &f).await?;
    let again = store
        .put_flight(&a, &flight("state-1", "okta", 5_000))
        .await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    // The same hash may exist in the other tenant, which takes its own.
    let other = flight("state-1", "okta", 3_000);
    store.put_flight(&b, &other).await?;
    store
        .purge_expired(&b, Expiring::UpstreamFlights, i64::MAX, 10)
        .await?;
    assert_eq!(store.take_flight(&b, &f.state_hash, 500).await?, None);
    assert_eq!(store.take_flight(&a, &f.state_hash, 999).await?, Some(f));
    assert_eq!(
        store
            .take_flight(&a, &SecretHash::of("state-1"), 999)
            .await?,
        None
    );

    let late = flight("state-2", "okta", 1_000);
    store.put_flight(&a, &late).await?;
    assert_eq!(
        store.take_flight(&a, &late.state_hash, 1_000).await?,
        None,
        "taken at its expiry"
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::UpstreamFlights, 1_000, 10)
            .await?,
        0
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::UpstreamFlights, 1_001, 10)
            .await?,
        1
    );
    // Gone for good: not even a clock set back finds it.
    assert_eq!(store.take_flight(&a, &late.state_hash, 0).await?, None);

    for round in 0..ROUNDS {
        let f = flight(&format!("race-{round}"), "okta", 2_000);
        store.put_flight(&a, &f).await?;
        let taken = race(&store, |store, _| {
            let (a, hash) = (a.clone(), f.state_hash);
            async move { store.take_flight(&a, &hash, 1_000).await }
        })
        .await?;
        let winners = taken.iter().filter(|t| t.is_some()).count();
        assert_eq!(winners, 1, "round {round}");
    }
    Ok(())
}

/// Upstreams are counted per tenant, and a create within a limit is made
/// only under it.
pub async fn upstreams_are_counted_within_a_limit<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    create(&*store, &b, "okta").await?;
    assert_eq!(store.count(Counted::Upstreams(&a)).await?, 0);
    assert_eq!(store.count(Counted::Upstreams(&b)).await?, 1);
    for (id, want) in [
        ("one", Applied::Done(1)),
        ("two", Applied::Done(1)),
        ("three", Applied::LimitReached(2)),
    ] {
        let record = upstream(id);
        let inner = AdminChange::CreateUpstream {
            tenant: &a,
            upstream: &record,
        };
        let change = AdminChange::WithinLimit {
            counted: Counted::Upstreams(&a),
            limit: 2,
            change: &inner,
        };
        assert_eq!(
            audited(&*store, change, "upstream.create", Some("a")).await??,
            want,
            "{id}"
        );
    }
    assert_eq!(store.upstream(&a, &UpstreamId::new("three")).await?, None);
    assert_eq!(store.count(Counted::Upstreams(&a)).await?, 2);
    assert_eq!(store.count(Counted::Upstreams(&b)).await?, 1);
    Ok(())
}
