//! Tenants through the admin service.

use crate::fixture::{Fixture, TestResult};
use idp_core::admin::{
    Activation, AdminError, KeyState, NewTenant, ObjectKind, PageRequest, TenantUpdate,
};

#[tokio::test]
async fn create_get_and_duplicate_slug() -> TestResult {
    let f = Fixture::new().await?;
    let t = f.admin.get_tenant("acme").await?;
    assert_eq!((t.slug.as_str(), t.name.as_str()), ("acme", "Acme"));
    let again = f
        .admin
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            NewTenant::new("acme", "Other"),
        )
        .await;
    assert_eq!(again.err(), Some(AdminError::conflict("tenant 'acme'")));
    let missing = f.admin.get_tenant("nope").await;
    assert_eq!(
        missing.err(),
        Some(AdminError::not_found(ObjectKind::Tenant, "nope"))
    );
    Ok(())
}

#[tokio::test]
async fn invalid_slug_and_name_are_reported_together() -> TestResult {
    let f = Fixture::empty().await?;
    let err = f
        .admin
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            NewTenant::new("Bad_Slug", "a\u{202e}b"),
        )
        .await
        .err();
    let Some(AdminError::Invalid(fields)) = err else {
        return Err(format!("expected Invalid, got {err:?}").into());
    };
    let names: Vec<&str> = fields.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(names, ["slug", "name"]);
    Ok(())
}

#[tokio::test]
async fn tenants_are_listed_a_page_at_a_time() -> TestResult {
    let f = Fixture::empty().await?;
    for slug in ["e", "a", "d", "c", "b"] {
        f.admin
            .create_tenant(
                &idp_core::AuditContext::cli("test"),
                NewTenant::new(slug, ""),
            )
            .await?;
    }
    let mut seen = Vec::new();
    let mut page = PageRequest::limit(2);
    let mut pages = 0;
    loop {
        let got = f.admin.list_tenants(&page).await?;
        pages += 1;
        assert!(got.items.len() <= 2);
        seen.extend(got.items.into_iter().map(|t| t.slug));
        match got.next_cursor {
            Some(c) => page = PageRequest::after(c, Some(2)),
            None => break,
        }
    }
    assert_eq!(seen, ["a", "b", "c", "d", "e"]);
    assert_eq!(pages, 3);
    let bad = f.admin.list_tenants(&PageRequest::limit(0)).await;
    assert!(matches!(bad, Err(AdminError::Invalid(ref e)) if e[0].field == "limit"));
    Ok(())
}

#[tokio::test]
async fn an_update_is_served_at_once() -> TestResult {
    let f = Fixture::new().await?;
    // Cached by the provider before the change.
    assert_eq!(
        f.get_status("acme", "/.well-known/openid-configuration")
            .await,
        200
    );
    assert_eq!(f.post("acme", "/register", None, "").await.0, 404);
    let t = f
        .admin
        .update_tenant(
            &idp_core::AuditContext::cli("test"),
            "acme",
            TenantUpdate {
                name: Some("Acme Corp".into()),
                dynamic_registration: Some(true),
                ..TenantUpdate::default()
            },
        )
        .await?;
    assert_eq!(t.name, "Acme Corp");
    assert!(f.admin.get_tenant("acme").await?.dynamic_registration);
    // Registration opened without waiting for the tenant cache.
    assert_ne!(f.post("acme", "/register", None, "").await.0, 404);
    let bad = f
        .admin
        .update_tenant(
            &idp_core::AuditContext::cli("test"),
            "acme",
            TenantUpdate {
                name: Some("x".repeat(101)),
                ..TenantUpdate::default()
            },
        )
        .await;
    assert!(matches!(bad, Err(AdminError::Invalid(ref e)) if e[0].field == "name"));
    Ok(())
}

#[tokio::test]
async fn a_deleted_tenant_is_gone_at_once_and_its_slug_is_free() -> TestResult {
    let f = Fixture::new().await?;
    assert_eq!(f.get_status("acme", "/jwks").await, 200);
    f.admin
        .delete_tenant(&idp_core::AuditContext::cli("test"), "acme")
        .await?;
    assert_eq!(f.get_status("acme", "/jwks").await, 404);
    assert!(matches!(
        f.admin
            .delete_tenant(&idp_core::AuditContext::cli("test"), "acme")
            .await,
        Err(AdminError::NotFound { .. })
    ));
    f.admin
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            NewTenant::new("acme", "Again"),
        )
        .await?;
    Ok(())
}

#[tokio::test]
async fn keys_are_listed_with_their_state_and_rotated() -> TestResult {
    let f = Fixture::new().await?;
    let first = f.admin.list_keys("acme").await?;
    assert!(!first.is_empty());
    assert!(first.iter().all(|k| k.state == KeyState::Active));

    // A scheduled-style rotation: published now, signing later; the old
    // keys sign until then.
    let published = f
        .admin
        .rotate_keys(
            &idp_core::AuditContext::cli("test"),
            "acme",
            Activation::AfterPublication,
        )
        .await?;
    assert_eq!(published.kids.len(), first.len());
    let listed = f.admin.list_keys("acme").await?;
    assert_eq!(listed.len(), 2 * first.len());
    for k in &listed {
        let new = published.kids.contains(&k.kid);
        let want = if new {
            KeyState::Pending
        } else {
            KeyState::Active
        };
        assert_eq!(k.state, want, "{k:?}");
        if new {
            assert_eq!(k.activates_at, published.activates_at);
        } else {
            assert_eq!(k.retired_at, Some(published.activates_at));
        }
    }

    // An emergency rotation signs at once and retires every other key,
    // the pending ones included.
    let urgent = f
        .admin
        .rotate_keys(
            &idp_core::AuditContext::cli("test"),
            "acme",
            Activation::Immediately,
        )
        .await?;
    let listed = f.admin.list_keys("acme").await?;
    assert_eq!(listed.len(), 3 * first.len());
    for k in &listed {
        let want = if urgent.kids.contains(&k.kid) {
            KeyState::Active
        } else {
            KeyState::Retired
        };
        assert_eq!(k.state, want, "{k:?}");
    }
    Ok(())
}
