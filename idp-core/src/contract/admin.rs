//! [`AdminStore`](crate::store::AdminStore): keyset pages, updates, and
//! deletions that end what depended on the deleted row.

use super::Outcome;
use super::samples::{client, code, email, refresh, session, tenant, two_tenants, user};
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, GrantId, SessionId, UserId};
use crate::store::{AccessTokenRef, Store, StoreError};
use std::sync::Arc;

/// Whether an access token of `grant` in session `s1` counts as revoked.
async fn access_revoked<S: Store>(
    store: &S,
    tenant: &crate::ids::TenantId,
    grant: &str,
) -> Result<bool, StoreError> {
    let grant = GrantId::new(grant);
    let sid = SessionId::new("s1");
    store
        .access_token_revoked(
            tenant,
            AccessTokenRef {
                jti: "unrelated",
                grant_id: Some(&grant),
                session_id: Some(&sid),
            },
        )
        .await
}

/// Pages of tenants, clients and users come in key order, start strictly
/// after the key given, hold at most `limit` rows and see one tenant only.
pub async fn pages_are_keyset_ordered_and_scoped<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for slug in ["c", "e", "d"] {
        store.create_tenant(&tenant(slug), &[]).await?;
    }
    let slugs = |rows: Vec<crate::store::TenantRecord>| -> Vec<String> {
        rows.into_iter().map(|t| t.slug).collect()
    };
    assert_eq!(slugs(store.tenants_page(None, 3).await?), ["a", "b", "c"]);
    assert_eq!(slugs(store.tenants_page(Some("c"), 10).await?), ["d", "e"]);
    assert!(store.tenants_page(Some("e"), 10).await?.is_empty());
    for id in ["k3", "k1", "k2"] {
        store.create_client(&a, &client(id)).await?;
        store
            .create_user(&a, &user(id, &format!("{id}@example.com")))
            .await?;
    }
    store.create_client(&b, &client("k0")).await?;
    store.create_user(&b, &user("k0", "k0@example.com")).await?;
    let clients = store.clients_page(&a, None, 2).await?;
    let ids: Vec<&str> = clients.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["k1", "k2"]);
    let rest = store
        .clients_page(&a, Some(&ClientId::new("k2")), 2)
        .await?;
    assert_eq!(rest.len(), 1);
    super::clients::assert_same(&rest[0], &client("k3"));
    let users = store.users_page(&a, Some(&UserId::new("k1")), 5).await?;
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["k2", "k3"]);
    assert_eq!(store.users_page(&b, None, 5).await?.len(), 1);
    Ok(())
}

/// A tenant's name and switches (registration, password login) change; deleting it removes
/// every row of it and nothing of another tenant.
pub async fn tenant_update_and_delete<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let mut t = store.tenant_by_slug("a").await?.ok_or("missing")?;
    t.name = "Renamed".to_owned();
    t.dynamic_registration = !t.dynamic_registration;
    t.password_login = !t.password_login;
    assert!(store.update_tenant(&t).await?);
    let got = store.tenant_by_slug("a").await?.ok_or("missing")?;
    assert_eq!(
        (
            got.name.as_str(),
            got.dynamic_registration,
            got.password_login
        ),
        ("Renamed", t.dynamic_registration, t.password_login)
    );
    for tid in [&a, &b] {
        store.create_client(tid, &client("c1")).await?;
        store
            .create_user(tid, &user("u1", "u1@example.com"))
            .await?;
        store
            .create_session(tid, &session("s1", "cookie", 5_000))
            .await?;
    }
    assert!(store.delete_tenant(&a).await?);
    assert!(!store.delete_tenant(&a).await?);
    assert!(store.tenant_by_slug("a").await?.is_none());
    assert!(store.client(&a, &ClientId::new("c1")).await?.is_none());
    assert!(store.user(&a, &UserId::new("u1")).await?.is_none());
    assert!(store.client(&b, &ClientId::new("c1")).await?.is_some());
    assert!(
        store
            .session(&b, &SessionId::new("s1"), 1_000)
            .await?
            .is_some()
    );
    t.id = crate::ids::TenantId::new("ghost");
    assert!(!store.update_tenant(&t).await?);
    Ok(())
}

/// An update replaces every field but the id and creation time, the
/// previous secret included; an unknown client is `false`.
pub async fn client_update_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    store.create_client(&a, &client("c1")).await?;
    let mut changed = client("c1");
    changed.name = "Changed".to_owned();
    changed.redirect_uris = vec!["https://rp.example/new".to_owned()];
    changed.secret_hash = Some(SecretHash::of("new"));
    changed.previous_secret = None;
    changed.backchannel_logout_uri = None;
    changed.require_pushed_authorization_requests = false;
    changed.subject_type = crate::store::SubjectType::Public;
    changed.sector_identifier_uri = None;
    changed.allowed_origins = vec!["https://new-spa.example".to_owned()];
    assert!(store.update_client(&a, &changed).await?);
    super::clients::assert_same(
        &store.client(&a, &changed.id).await?.ok_or("missing")?,
        &changed,
    );
    assert!(
        !store.update_client(&b, &changed).await?,
        "scoped by tenant"
    );
    Ok(())
}

/// Removing a client ends its grants (refresh tokens revoked or gone,
/// access tokens of its grants revoked, unredeemed codes gone) and leaves
/// other clients' grants alone.
pub async fn client_removal_ends_its_grants<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store.create_client(&a, &client("c1")).await?;
    store.create_client(&a, &client("c2")).await?;
    store
        .create_session(&a, &session("s1", "cookie", 50_000))
        .await?;
    store
        .create_refresh_token(&a, &refresh("rt1", "g1"))
        .await?;
    let mut other = refresh("rt2", "g2");
    other.client_id = ClientId::new("c2");
    store.create_refresh_token(&a, &other).await?;
    store.create_code(&a, &code("code1", "g3"), 1_000).await?;
    assert!(
        store
            .remove_client(&a, &ClientId::new("c1"), 10_000)
            .await?
    );
    assert!(store.client(&a, &ClientId::new("c1")).await?.is_none());
    let rt = store.refresh_token(&a, &SecretHash::of("rt1")).await?;
    assert!(rt.as_ref().is_none_or(|r| r.revoked), "{rt:?}");
    assert!(access_revoked(&*store, &a, "g1").await?);
    assert!(access_revoked(&*store, &a, "g3").await?, "the code's grant");
    assert!(
        !access_revoked(&*store, &a, "g2").await?,
        "another client's grant"
    );
    let kept = store.refresh_token(&a, &SecretHash::of("rt2")).await?;
    assert!(kept.is_some_and(|r| !r.revoked), "another client's token");
    assert!(
        !store
            .remove_client(&a, &ClientId::new("c1"), 10_000)
            .await?
    );
    Ok(())
}

/// A user update stores the new email under its canonical index (so the
/// user is found by it, and no longer by the old one), the disabled flag
/// and the rest; another user's email is a `Conflict` that changes nothing.
pub async fn user_update_reindexes_the_email<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store
        .create_user(&a, &user("u1", "ada@example.com"))
        .await?;
    store
        .create_user(&a, &user("u2", "bob@example.com"))
        .await?;
    let mut u = user("u1", "ada.l@example.com");
    u.disabled = true;
    u.name = None;
    u.updated_at = 1_800_000_000;
    assert!(store.update_user(&a, &u).await?);
    let got = store
        .user_by_email(&a, &email("ada.l@example.com")?)
        .await?
        .ok_or("not found by the new email")?;
    assert!(got.disabled);
    assert_eq!((got.name, got.updated_at), (None, 1_800_000_000));
    assert!(
        store
            .user_by_email(&a, &email("ada@example.com")?)
            .await?
            .is_none()
    );
    let clash = store.update_user(&a, &user("u1", "bob@example.com")).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    assert!(
        store
            .user(&a, &UserId::new("u1"))
            .await?
            .is_some_and(|u| u.disabled)
    );
    assert!(
        !store
            .update_user(&a, &user("nobody", "x@example.com"))
            .await?
    );
    Ok(())
}

/// Revoking a user revokes their live sessions (counted) and ends every
/// grant of theirs, also those outliving their session.
pub async fn user_revocation_ends_sessions_and_grants<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store
        .create_user(&a, &user("u1", "ada@example.com"))
        .await?;
    store
        .create_session(&a, &session("s1", "cookie", 50_000))
        .await?;
    store
        .create_refresh_token(&a, &refresh("rt1", "g1"))
        .await?;
    let mut old = refresh("rt-old", "g-old");
    old.session_id = SessionId::new("gone");
    store.create_refresh_token(&a, &old).await?;
    let uid = UserId::new("u1");
    assert_eq!(store.revoke_user(&a, &uid, 2_000, 9_000).await?, 1);
    assert!(
        store
            .session_by_secret(&a, &SecretHash::of("cookie"), 2_000)
            .await?
            .is_none()
    );
    for (rt, grant) in [("rt1", "g1"), ("rt-old", "g-old")] {
        let r = store.refresh_token(&a, &SecretHash::of(rt)).await?;
        assert!(r.is_none_or(|r| r.revoked), "{rt}");
        assert!(access_revoked(&*store, &a, grant).await?, "{grant}");
    }
    assert_eq!(store.revoke_user(&a, &uid, 2_000, 9_000).await?, 0);
    Ok(())
}

/// Deleting a user revokes as above and removes the user; the sessions
/// stay revoked so their access tokens stay inactive.
pub async fn user_deletion_ends_everything<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        store.create_user(t, &user("u1", "ada@example.com")).await?;
        store
            .create_session(t, &session("s1", "cookie", 50_000))
            .await?;
        store.create_refresh_token(t, &refresh("rt1", "g1")).await?;
    }
    let uid = UserId::new("u1");
    assert!(store.delete_user(&a, &uid, 2_000, 9_000).await?);
    assert!(store.user(&a, &uid).await?.is_none());
    assert!(
        store
            .session_by_secret(&a, &SecretHash::of("cookie"), 2_000)
            .await?
            .is_none()
    );
    let rt = store.refresh_token(&a, &SecretHash::of("rt1")).await?;
    assert!(rt.is_none_or(|r| r.revoked));
    let sid = SessionId::new("s1");
    assert!(
        store
            .access_token_revoked(
                &a,
                AccessTokenRef {
                    jti: "x",
                    grant_id: None,
                    session_id: Some(&sid),
                },
            )
            .await?
    );
    assert!(!store.delete_user(&a, &uid, 2_000, 9_000).await?);
    // Tenant b's user of the same id is untouched.
    assert!(store.user(&b, &uid).await?.is_some());
    let rt_b = store.refresh_token(&b, &SecretHash::of("rt1")).await?;
    assert!(rt_b.is_some_and(|r| !r.revoked));
    Ok(())
}
