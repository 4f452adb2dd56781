//! [`TenantStore`](crate::store::TenantStore): tenants and their first keys.

use super::Outcome;
use super::samples::{signing_key, tenant};
use crate::jwks::SigningAlg;
use crate::store::{Store, StoreError};
use std::sync::Arc;

/// A tenant reads back field for field by slug; the list is ordered by slug.
pub async fn tenant_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    assert!(store.list_tenants().await?.is_empty());
    for slug in ["zeta", "acme", "mid"] {
        store.create_tenant(&tenant(slug), &[]).await?;
    }
    let want = tenant("acme");
    let got = store.tenant_by_slug("acme").await?.ok_or("acme missing")?;
    assert_eq!(got.id, want.id);
    assert_eq!(got.slug, want.slug);
    assert_eq!(got.name, want.name);
    assert_eq!(got.wrapped_data_key, want.wrapped_data_key);
    assert_eq!(got.dynamic_registration, want.dynamic_registration);
    assert_eq!(got.created_at, want.created_at);
    assert!(got.password_login);
    let mid = store.tenant_by_slug("mid").await?.ok_or("mid missing")?;
    assert!(!mid.password_login, "an upstream-only tenant reads back so");
    let a = tenant("a");
    store.create_tenant(&a, &[]).await?;
    assert!(
        store
            .tenant_by_slug("a")
            .await?
            .ok_or("a missing")?
            .dynamic_registration
    );
    assert!(store.tenant_by_slug("other").await?.is_none());
    let slugs: Vec<String> = store
        .list_tenants()
        .await?
        .into_iter()
        .map(|t| t.slug)
        .collect();
    assert_eq!(slugs, ["a", "acme", "mid", "zeta"]);
    Ok(())
}

/// A second tenant with a slug in use is a `Conflict`.
pub async fn tenant_slugs_are_unique<S: Store>(store: Arc<S>) -> Outcome {
    store.create_tenant(&tenant("acme"), &[]).await?;
    let mut again = tenant("other");
    again.slug = "acme".to_owned();
    let result = store.create_tenant(&again, &[]).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(store.list_tenants().await?.len(), 1);
    Ok(())
}

/// A tenant and its keys are created together or not at all.
pub async fn tenant_creation_is_atomic<S: Store>(store: Arc<S>) -> Outcome {
    let t = tenant("acme");
    let keys = [
        signing_key("same", SigningAlg::Rs256, 1),
        signing_key("same", SigningAlg::Es256, 2),
    ];
    let result = store.create_tenant(&t, &keys).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.tenant_by_slug("acme").await?.is_none());
    assert!(store.signing_keys(&t.id).await?.is_empty());
    // The slug is free again.
    store
        .create_tenant(&t, &[signing_key("k", SigningAlg::Rs256, 1)])
        .await?;
    assert_eq!(store.signing_keys(&t.id).await?.len(), 1);
    Ok(())
}
