//! [`AuditStore::apply_audited`](crate::store::AuditStore::apply_audited):
//! every administrative change with its event, both or neither (the log
//! itself: `audit_log`).

use super::samples::{client, session, signing_key, tenant, two_tenants, user};
use super::{Failure, Outcome};
use crate::ids::{ClientId, SessionId, TenantId};
use crate::jwks::SigningAlg;
use crate::store::{AdminChange, Applied, AuditEvent, AuditFilter, Store, StoreError, StoreResult};
use std::sync::Arc;

/// An event for `action` with every field set (text that is not ASCII in
/// the changes), inside the tenant with slug `tenant` (id `tid-{slug}`, as
/// [`tenant`] makes it). Its `id` is nonsense: the store assigns the id.
pub fn event(action: &str, tenant: Option<&str>) -> AuditEvent {
    AuditEvent {
        id: -7,
        time: 1_700_000_500,
        actor_kind: "api_key".to_owned(),
        actor_id: "key-1".to_owned(),
        actor_name: "Deploy bot".to_owned(),
        action: action.to_owned(),
        tenant: tenant.map(str::to_owned),
        tenant_id: tenant.map(|slug| TenantId::new(format!("tid-{slug}"))),
        target_kind: action.split('.').next().unwrap_or("").to_owned(),
        target_id: format!("target of {action}"),
        address: Some("2001:db8::1".to_owned()),
        request_id: Some("req-8f3a".to_owned()),
        changes: r#"{"name":{"from":"Caf\u00e9","to":"Café ☕"}}"#.to_owned(),
    }
}

/// Every event, by id.
pub async fn all_events<S: Store>(store: &S) -> Result<Vec<AuditEvent>, Failure> {
    Ok(store
        .audit_events(&AuditFilter::default(), None, 10_000)
        .await?)
}

/// Applies `change` with [`event`]`(action, tenant)` and checks the log: a
/// `Done` appended exactly that event under a new, greater id; anything
/// else (`Missing`, an error) appended nothing. Returns what the store said.
pub async fn audited<S: Store>(
    store: &S,
    change: AdminChange<'_>,
    action: &str,
    tenant: Option<&str>,
) -> Result<StoreResult<Applied>, Failure> {
    let before = all_events(store).await?;
    let event = event(action, tenant);
    let result = store.apply_audited(change, &event).await;
    let after = all_events(store).await?;
    if let Ok(Applied::Done(_)) = result {
        assert_eq!(after.len(), before.len() + 1, "{action}: one event");
        let new = after.last().ok_or("no event")?;
        assert!(new.id > before.last().map_or(0, |e| e.id), "{action}: id");
        assert_eq!(
            *new,
            AuditEvent {
                id: new.id,
                ..event
            },
            "{action}"
        );
        assert_eq!(&after[..before.len()], &before[..]);
    } else {
        assert_eq!(after, before, "{action}: no event");
    }
    Ok(result)
}

/// Tenants are created with their keys, updated and deleted, each with its
/// event; a missing tenant is `Missing` with no event; a taken slug is a
/// conflict that writes neither the tenant, its keys nor an event.
pub async fn tenant_changes_are_audited<S: Store>(store: Arc<S>) -> Outcome {
    let t = tenant("a");
    let keys = [signing_key("k1", SigningAlg::Rs256, 100)];
    let create = AdminChange::CreateTenant {
        tenant: &t,
        keys: &keys,
    };
    let done = audited(&*store, create, "tenant.create", Some("a")).await??;
    assert_eq!(done, Applied::Done(1));
    assert_eq!(store.signing_keys(&t.id).await?.len(), 1);
    let mut same_slug = tenant("a");
    same_slug.id = TenantId::new("tid-other");
    let keys2 = [signing_key("k2", SigningAlg::Rs256, 100)];
    let again = AdminChange::CreateTenant {
        tenant: &same_slug,
        keys: &keys2,
    };
    let result = audited(&*store, again, "tenant.create", Some("a")).await?;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.signing_keys(&same_slug.id).await?.is_empty());
    let mut renamed = t.clone();
    renamed.name = "Renamed".to_owned();
    let update = AdminChange::UpdateTenant { tenant: &renamed };
    let done = audited(&*store, update, "tenant.update", Some("a")).await??;
    assert_eq!(done, Applied::Done(1));
    let got = store.tenant_by_slug("a").await?.ok_or("missing")?;
    assert_eq!(got.name, "Renamed");
    let delete = AdminChange::DeleteTenant { tenant: &t.id };
    let done = audited(&*store, delete, "tenant.delete", Some("a")).await??;
    assert_eq!(done, Applied::Done(1));
    assert!(store.tenant_by_slug("a").await?.is_none());
    for change in [
        AdminChange::UpdateTenant { tenant: &renamed },
        AdminChange::DeleteTenant { tenant: &t.id },
    ] {
        let result = audited(&*store, change, "tenant.update", Some("a")).await??;
        assert_eq!(result, Applied::Missing);
    }
    Ok(())
}

/// Clients are created, updated and removed with their events; a taken id
/// is a conflict, a missing client `Missing`, neither with an event.
pub async fn client_changes_are_audited<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    let c1 = client("c1");
    let create = AdminChange::CreateClient {
        tenant: &a,
        client: &c1,
    };
    assert_eq!(
        audited(&*store, create, "client.create", Some("a")).await??,
        Applied::Done(1)
    );
    let result = audited(&*store, create, "client.create", Some("a")).await?;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut changed = client("c1");
    changed.name = "Changed".to_owned();
    let update = AdminChange::UpdateClient {
        tenant: &a,
        client: &changed,
    };
    assert_eq!(
        audited(&*store, update, "client.update", Some("a")).await??,
        Applied::Done(1)
    );
    let got = store.client(&a, &c1.id).await?.ok_or("missing")?;
    assert_eq!(got.name, "Changed");
    let remove = AdminChange::RemoveClient {
        tenant: &a,
        client: &c1.id,
        keep_until: 9_000,
    };
    assert_eq!(
        audited(&*store, remove, "client.delete", Some("a")).await??,
        Applied::Done(1)
    );
    assert!(store.client(&a, &c1.id).await?.is_none());
    let ghost = client("ghost");
    for change in [
        AdminChange::UpdateClient {
            tenant: &a,
            client: &ghost,
        },
        AdminChange::RemoveClient {
            tenant: &a,
            client: &ClientId::new("ghost"),
            keep_until: 9_000,
        },
    ] {
        let result = audited(&*store, change, "client.update", Some("a")).await??;
        assert_eq!(result, Applied::Missing);
    }
    Ok(())
}

/// Users are created, updated, revoked and deleted and sessions revoked,
/// with their events; a taken email is a conflict (on create and on
/// update), a missing user or session `Missing`, neither with an event.
pub async fn user_and_session_changes_are_audited<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _) = two_tenants(&*store).await?;
    let u1 = user("u1", "u1@example.com");
    let create = AdminChange::CreateUser {
        tenant: &a,
        user: &u1,
    };
    assert_eq!(
        audited(&*store, create, "user.create", Some("a")).await??,
        Applied::Done(1)
    );
    let u2 = user("u2", "u1@example.com");
    let taken = AdminChange::CreateUser {
        tenant: &a,
        user: &u2,
    };
    let result = audited(&*store, taken, "user.create", Some("a")).await?;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.user(&a, &u2.id).await?.is_none());
    let u2 = user("u2", "u2@example.com");
    store.create_user(&a, &u2).await?;
    let mut stolen = u2.clone();
    stolen.email = "u1@example.com".to_owned();
    let update = AdminChange::UpdateUser {
        tenant: &a,
        user: &stolen,
    };
    let result = audited(&*store, update, "user.update", Some("a")).await?;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let mut renamed = u1.clone();
    renamed.name = Some("Renamed".to_owned());
    let update = AdminChange::UpdateUser {
        tenant: &a,
        user: &renamed,
    };
    assert_eq!(
        audited(&*store, update, "user.update", Some("a")).await??,
        Applied::Done(1)
    );
    let got = store.user(&a, &u1.id).await?.ok_or("missing")?;
    assert_eq!(got.name.as_deref(), Some("Renamed"));

    for id in ["s1", "s2"] {
        store
            .create_session(&a, &session(id, &format!("cookie-{id}"), 5_000))
            .await?;
    }
    let revoke = AdminChange::RevokeSession {
        tenant: &a,
        session: &SessionId::new("s1"),
        now: 1_000,
    };
    assert_eq!(
        audited(&*store, revoke, "session.revoke", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(
        audited(&*store, revoke, "session.revoke", Some("a")).await??,
        Applied::Missing
    );
    let revoke_user = AdminChange::RevokeUser {
        tenant: &a,
        user: &u1.id,
        now: 1_000,
        keep_until: 9_000,
    };
    assert_eq!(
        audited(&*store, revoke_user, "user.revoke", Some("a")).await??,
        Applied::Done(1)
    );
    assert!(store.user_sessions(&a, &u1.id, 1_000).await?.is_empty());
    assert_eq!(
        audited(&*store, revoke_user, "user.revoke", Some("a")).await??,
        Applied::Done(0)
    );
    let delete = AdminChange::DeleteUser {
        tenant: &a,
        user: &u1.id,
        now: 1_000,
        keep_until: 9_000,
    };
    assert_eq!(
        audited(&*store, delete, "user.delete", Some("a")).await??,
        Applied::Done(1)
    );
    assert!(store.user(&a, &u1.id).await?.is_none());
    let ghost = user("ghost", "ghost@example.com");
    for change in [
        delete,
        AdminChange::UpdateUser {
            tenant: &a,
            user: &ghost,
        },
    ] {
        let result = audited(&*store, change, "user.delete", Some("a")).await??;
        assert_eq!(result, Applied::Missing);
    }
    Ok(())
}

/// A key replacement is audited when its compare-and-swap wins; when it
/// loses it is `Missing`, with no event and the keys unchanged.
pub async fn key_replacement_is_audited<S: Store>(store: Arc<S>) -> Outcome {
    let t = tenant("a");
    store
        .create_tenant(&t, &[signing_key("k1", SigningAlg::Rs256, 100)])
        .await?;
    let new_keys = [signing_key("k2", SigningAlg::Es256, 200)];
    let stale = ["k0".to_owned()];
    let lost = AdminChange::ReplaceSigningKeys {
        tenant: &t.id,
        expected_current: &stale,
        keys: &new_keys,
        retire_at: 300,
    };
    assert_eq!(
        audited(&*store, lost, "key.rotate", Some("a")).await??,
        Applied::Missing
    );
    let kids = |keys: Vec<crate::store::SigningKeyRecord>| -> Vec<(String, Option<i64>)> {
        keys.into_iter().map(|k| (k.kid, k.retired_at)).collect()
    };
    assert_eq!(
        kids(store.signing_keys(&t.id).await?),
        [("k1".to_owned(), None)]
    );
    let current = ["k1".to_owned()];
    let won = AdminChange::ReplaceSigningKeys {
        tenant: &t.id,
        expected_current: &current,
        keys: &new_keys,
        retire_at: 300,
    };
    assert_eq!(
        audited(&*store, won, "key.rotate", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(
        kids(store.signing_keys(&t.id).await?),
        [("k2".to_owned(), None), ("k1".to_owned(), Some(300))]
    );
    Ok(())
}

/// A tenant created pending reads back pending; each lifecycle move is a
/// compare-and-swap on the state with its event: from the expected state
/// it is `Done` and round-trips (state, reason, time), from any other it is
/// `Missing` with no event and nothing changed; a rename leaves the state
/// alone.
pub async fn tenant_state_changes_are_audited<S: Store>(store: Arc<S>) -> Outcome {
    use crate::tenant::state::TenantState::{Active, Pending, Rejected, Suspended};
    let mut t = tenant("a");
    t.state = Pending;
    let create = AdminChange::CreateTenant {
        tenant: &t,
        keys: &[],
    };
    audited(&*store, create, "tenant.create", Some("a")).await??;
    let got = store.tenant_by_slug("a").await?.ok_or("missing")?;
    assert_eq!(
        (got.state, got.state_reason, got.state_changed_at),
        (Pending, None, None)
    );
    let moves = [
        (Pending, Active, None, "tenant.approve"),
        (
            Active,
            Suspended,
            Some("unpaid invoice, café ☕"),
            "tenant.suspend",
        ),
        (Suspended, Active, None, "tenant.reactivate"),
    ];
    for (i, (from, to, reason, action)) in moves.into_iter().enumerate() {
        let at = 1_700_000_100 + i as i64;
        // From a state the tenant is not in: nothing.
        let stale = AdminChange::ChangeTenantState {
            tenant: &t.id,
            from: Rejected,
            to,
            reason,
            at,
        };
        assert_eq!(
            audited(&*store, stale, action, Some("a")).await??,
            Applied::Missing
        );
        let change = AdminChange::ChangeTenantState {
            tenant: &t.id,
            from,
            to,
            reason,
            at,
        };
        assert_eq!(
            audited(&*store, change, action, Some("a")).await??,
            Applied::Done(1),
            "{action}"
        );
        let got = store.tenant_by_slug("a").await?.ok_or("missing")?;
        assert_eq!(got.state, to, "{action}");
        assert_eq!(got.state_reason.as_deref(), reason, "{action}");
        assert_eq!(got.state_changed_at, Some(at), "{action}");
        // The same move again lost its race: nothing.
        let again = AdminChange::ChangeTenantState {
            tenant: &t.id,
            from,
            to,
            reason,
            at: at + 50,
        };
        assert_eq!(
            audited(&*store, again, action, Some("a")).await??,
            Applied::Missing
        );
        let listed = store.list_tenants().await?;
        assert_eq!(listed.first().map(|t| t.state), Some(to), "{action}");
    }
    // A rename (whose record says pending) keeps the stored state.
    let mut renamed = store.tenant_by_slug("a").await?.ok_or("missing")?;
    renamed.name = "Renamed".to_owned();
    renamed.state = Pending;
    let update = AdminChange::UpdateTenant { tenant: &renamed };
    audited(&*store, update, "tenant.update", Some("a")).await??;
    let got = store.tenant_by_slug("a").await?.ok_or("missing")?;
    assert_eq!((got.name.as_str(), got.state), ("Renamed", Active));
    // No such tenant: nothing.
    let missing = AdminChange::ChangeTenantState {
        tenant: &TenantId::new("tid-none"),
        from: Active,
        to: Suspended,
        reason: Some("x"),
        at: 1,
    };
    assert_eq!(
        audited(&*store, missing, "tenant.suspend", Some("a")).await??,
        Applied::Missing
    );
    Ok(())
}
