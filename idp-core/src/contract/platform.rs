//! [`PlatformSettingsStore`](crate::store::PlatformSettingsStore) and the
//! platform changes of [`AdminChange`]: the settings row, and a sign-up's
//! one transaction across the new tenant and the platform tenant.

use super::Outcome;
use super::audit::{all_events, audited};
use super::roles::role;
use super::samples::{email, signing_key, tenant, user};
use crate::jwks::SigningAlg;
use crate::signup::SignupMode;
use crate::store::{AdminChange, Applied, PlatformSettings, Store, StoreError};
use std::sync::Arc;

/// No settings until the first change; a change replaces them, audited.
pub async fn platform_settings_round_trip<S: Store>(store: Arc<S>) -> Outcome {
    assert_eq!(store.platform_settings().await?, None);
    for (mode, at) in [(SignupMode::Open, 10), (SignupMode::Closed, 20)] {
        let settings = PlatformSettings {
            signup: mode,
            updated_at: Some(at),
        };
        let change = AdminChange::UpdatePlatformSettings {
            settings: &settings,
        };
        let applied = audited(&*store, change, "platform.settings.update", None).await??;
        assert_eq!(applied, Applied::Done(1));
        assert_eq!(store.platform_settings().await?, Some(settings));
    }
    Ok(())
}

/// A sign-up makes the tenant with its keys, the platform user, the role
/// (reusing one of that name) and its assignment, with one event; a taken
/// email or slug writes nothing at all.
pub async fn signup_is_one_transaction<S: Store>(store: Arc<S>) -> Outcome {
    let platform = tenant("platform");
    store.create_tenant(&platform, &[]).await?;
    let org = tenant("acme");
    let keys = [signing_key("acme-k1", SigningAlg::Rs256, 1)];
    let admin = user("u-acme", "ada@example.com");
    let org_role = role("org-admin:acme");
    let change = AdminChange::SignUp {
        tenant: &org,
        keys: &keys,
        platform: &platform.id,
        user: &admin,
        role: &org_role,
    };
    let applied = audited(&*store, change, "tenant.signup", Some("acme")).await??;
    assert!(matches!(applied, Applied::Done(_)), "{applied:?}");
    let got = store.tenant_by_slug("acme").await?.ok_or("acme missing")?;
    assert_eq!(got.id, org.id);
    assert_eq!(store.signing_keys(&org.id).await?.len(), 1);
    let found = store
        .user_by_email(&platform.id, &email("ada@example.com")?)
        .await?
        .ok_or("admin missing")?;
    assert_eq!(found.id, admin.id);
    assert!(store.role(&platform.id, "org-admin:acme").await?.is_some());
    assert_eq!(
        store.user_roles(&platform.id, &admin.id).await?,
        ["org-admin:acme"]
    );
    // Not in the new tenant: its admin is an operator-side account.
    assert!(
        store
            .user_by_email(&org.id, &email("ada@example.com")?)
            .await?
            .is_none()
    );

    let events = all_events(&*store).await?.len();
    // The same email for another organisation: nothing is written.
    let other = tenant("globex");
    let other_keys = [signing_key("globex-k1", SigningAlg::Rs256, 1)];
    let same_email = user("u-globex", "ada@example.com");
    let other_role = role("org-admin:globex");
    let change = AdminChange::SignUp {
        tenant: &other,
        keys: &other_keys,
        platform: &platform.id,
        user: &same_email,
        role: &other_role,
    };
    let result = store
        .apply_audited(change, &super::audit::event("tenant.signup", None))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(store.tenant_by_slug("globex").await?.is_none());
    assert!(store.signing_keys(&other.id).await?.is_empty());
    assert!(
        store
            .role(&platform.id, "org-admin:globex")
            .await?
            .is_none()
    );
    // The same slug with a new email: nothing either.
    let mut same_slug = tenant("acme2");
    same_slug.slug = "acme".to_owned();
    let fresh = user("u-acme2", "bob@example.com");
    let change = AdminChange::SignUp {
        tenant: &same_slug,
        keys: &[],
        platform: &platform.id,
        user: &fresh,
        role: &org_role,
    };
    let result = store
        .apply_audited(change, &super::audit::event("tenant.signup", None))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(
        store
            .user_by_email(&platform.id, &email("bob@example.com")?)
            .await?
            .is_none()
    );
    assert_eq!(all_events(&*store).await?.len(), events);

    // A role of that name already there (deleted organisation's slug
    // reused) is reused, not a conflict.
    let again = tenant("initech");
    let initech_role = role("org-admin:initech");
    let change = AdminChange::CreateRole {
        tenant: &platform.id,
        role: &initech_role,
    };
    audited(&*store, change, "role.create", Some("platform")).await??;
    let bob = user("u-bob", "bob@example.com");
    let change = AdminChange::SignUp {
        tenant: &again,
        keys: &[],
        platform: &platform.id,
        user: &bob,
        role: &initech_role,
    };
    let applied = audited(&*store, change, "tenant.signup", Some("initech")).await??;
    assert!(matches!(applied, Applied::Done(_)), "{applied:?}");
    assert_eq!(
        store.user_roles(&platform.id, &bob.id).await?,
        ["org-admin:initech"]
    );
    Ok(())
}
