//! The audit log of [`AuditStore`](crate::store::AuditStore): filters,
//! keyset pages, the retention purge, and events that outlive their tenant.

use super::audit::{all_events, audited, event};
use super::samples::{tenant, user};
use super::{Failure, Outcome};
use crate::ids::UserId;
use crate::store::{AdminChange, AuditEvent, AuditFilter, RoleRecord, Store};
use std::sync::Arc;

/// An event appended on its own gets an increasing id and round-trips;
/// the filters match the tenant's slug, the actor's id, the action or the
/// action's prefix up to a dot, and a time at or after `since`; pages run
/// strictly after the id given, by id, at most `limit`.
pub async fn events_filter_and_page<S: Store>(store: Arc<S>) -> Outcome {
    let rows = [
        ("a", "key-1", "client.create", 100),
        ("a", "key-2", "client.secret.rotate", 200),
        ("b", "key-1", "client.create", 300),
        ("a", "key-1", "clients.export", 400),
        ("a", "key-1", "user.create", 500),
    ];
    let mut ids = Vec::new();
    for (slug, actor, action, time) in rows {
        let mut e = event(action, Some(slug));
        e.actor_id = actor.to_owned();
        e.time = time;
        let id = store.append_audit_event(&e).await?;
        assert!(ids.last().is_none_or(|last| id > *last), "increasing ids");
        ids.push(id);
    }
    let mut bare = event("cli.secret.read", None);
    bare.actor_kind = "cli".to_owned();
    bare.actor_id = "root".to_owned();
    bare.address = None;
    bare.request_id = None;
    bare.time = 600;
    ids.push(store.append_audit_event(&bare).await?);
    let all = all_events(&*store).await?;
    assert_eq!(all.last(), Some(&AuditEvent { id: ids[5], ..bare }));
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), ids);

    let listed = |filter: AuditFilter| {
        let store = Arc::clone(&store);
        async move {
            let events = store.audit_events(&filter, None, 100).await?;
            Ok::<_, Failure>(events.into_iter().map(|e| e.time).collect::<Vec<_>>())
        }
    };
    let text = |s: &str| Some(s.to_owned());
    let by_tenant = AuditFilter {
        tenant: text("a"),
        ..AuditFilter::default()
    };
    assert_eq!(listed(by_tenant.clone()).await?, [100, 200, 400, 500]);
    let by_actor = AuditFilter {
        actor: text("key-1"),
        ..AuditFilter::default()
    };
    assert_eq!(listed(by_actor).await?, [100, 300, 400, 500]);
    let prefix = AuditFilter {
        action: text("client"),
        ..AuditFilter::default()
    };
    assert_eq!(listed(prefix).await?, [100, 200, 300]);
    let exact = AuditFilter {
        action: text("client.create"),
        ..AuditFilter::default()
    };
    assert_eq!(listed(exact).await?, [100, 300]);
    let partial_word = AuditFilter {
        action: text("client.secret.rot"),
        ..AuditFilter::default()
    };
    assert!(listed(partial_word).await?.is_empty());
    let since = AuditFilter {
        since: Some(400),
        ..AuditFilter::default()
    };
    assert_eq!(listed(since).await?, [400, 500, 600]);
    let until = AuditFilter {
        until: Some(400),
        ..AuditFilter::default()
    };
    assert_eq!(listed(until).await?, [100, 200, 300]);
    let range = AuditFilter {
        since: Some(200),
        until: Some(500),
        ..AuditFilter::default()
    };
    assert_eq!(listed(range).await?, [200, 300, 400]);
    let all_of = AuditFilter {
        tenant: text("a"),
        actor: text("key-1"),
        action: text("client"),
        since: Some(100),
        until: Some(200),
    };
    assert_eq!(listed(all_of).await?, [100]);
    let none = AuditFilter {
        tenant: text("c"),
        ..AuditFilter::default()
    };
    assert!(listed(none).await?.is_empty());

    let page = store.audit_events(&by_tenant, None, 2).await?;
    assert_eq!(page.iter().map(|e| e.time).collect::<Vec<_>>(), [100, 200]);
    let next = store.audit_events(&by_tenant, Some(page[1].id), 2).await?;
    assert_eq!(next.iter().map(|e| e.time).collect::<Vec<_>>(), [400, 500]);
    let last = store.audit_events(&by_tenant, Some(next[1].id), 2).await?;
    assert!(last.is_empty());
    let after_first = store
        .audit_events(&AuditFilter::default(), Some(ids[0]), 1)
        .await?;
    assert_eq!(after_first.first().map(|e| e.id), Some(ids[1]));
    Ok(())
}

/// The purge deletes at most `limit` of the oldest events strictly before
/// the cutoff, and nothing at or after it.
pub async fn purge_of_events_is_bounded_and_strict<S: Store>(store: Arc<S>) -> Outcome {
    for time in [500, 100, 200, 300, 400] {
        let mut e = event("client.create", Some("a"));
        e.time = time;
        store.append_audit_event(&e).await?;
    }
    let times =
        |events: Vec<AuditEvent>| -> Vec<i64> { events.into_iter().map(|e| e.time).collect() };
    assert_eq!(store.purge_audit_events(400, 2).await?, 2);
    assert_eq!(times(all_events(&*store).await?), [500, 300, 400]);
    assert_eq!(store.purge_audit_events(400, 2).await?, 1);
    assert_eq!(store.purge_audit_events(400, 2).await?, 0);
    assert_eq!(times(all_events(&*store).await?), [500, 400]);
    Ok(())
}

/// A deleted tenant's events stay, found by its slug; so do the events
/// of the changes inside it (a role, here).
pub async fn events_outlive_their_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let t = tenant("a");
    let create = AdminChange::CreateTenant {
        tenant: &t,
        keys: &[],
    };
    audited(&*store, create, "tenant.create", Some("a")).await??;
    let role = RoleRecord {
        name: "admin".to_owned(),
        description: String::new(),
        created_at: 1_000,
    };
    let create_role = AdminChange::CreateRole {
        tenant: &t.id,
        role: &role,
    };
    audited(&*store, create_role, "role.create", Some("a")).await??;
    let delete = AdminChange::DeleteTenant { tenant: &t.id };
    audited(&*store, delete, "tenant.delete", Some("a")).await??;
    let filter = AuditFilter {
        tenant: Some("a".to_owned()),
        ..AuditFilter::default()
    };
    let events = store.audit_events(&filter, None, 10).await?;
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["tenant.create", "role.create", "tenant.delete"]);
    assert!(events.iter().all(|e| e.tenant_id.as_ref() == Some(&t.id)));
    // The slug is free again, and the old events are not the new tenant's
    // to lose.
    store.create_tenant(&t, &[]).await?;
    let user = user("u1", "u1@example.com");
    let create_user = AdminChange::CreateUser {
        tenant: &t.id,
        user: &user,
    };
    audited(&*store, create_user, "user.create", Some("a")).await??;
    assert_eq!(store.audit_events(&filter, None, 10).await?.len(), 4);
    assert!(store.user(&t.id, &UserId::new("u1")).await?.is_some());
    Ok(())
}
