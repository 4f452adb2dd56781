//! [`SetupLinkStore`](crate::store::SetupLinkStore) and the set-up link
//! changes of [`AdminChange`]: a link works once, before it expires, for
//! its user only, and sets the password in the same transaction.

use super::Outcome;
use super::audit::audited;
use super::samples::{two_tenants, user};
use crate::ids::UserId;
use crate::store::{AdminChange, Applied, SetupLinkRecord, Store};
use std::sync::Arc;

/// A link is stored, found by its hash (in its tenant only), counts as
/// live until used or expired, and is used once with the password.
pub async fn setup_links_work_once_before_expiry<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let mut owner = user("u1", "owner@example.com");
    owner.password_hash = None;
    store.create_user(&a, &owner).await?;
    store
        .create_user(&a, &user("u2", "other@example.com"))
        .await?;
    let link = SetupLinkRecord {
        token_hash: "ab".repeat(32),
        user_id: owner.id.clone(),
        created_at: 1_000,
        expires_at: 4_600,
        used_at: None,
    };
    let create = AdminChange::CreateSetupLink {
        tenant: &a,
        link: &link,
    };
    assert_eq!(
        audited(&*store, create, "user.setup_link", Some("a")).await??,
        Applied::Done(1)
    );
    assert_eq!(
        store.setup_link(&a, &link.token_hash).await?,
        Some(link.clone())
    );
    assert_eq!(store.setup_link(&b, &link.token_hash).await?, None);
    assert!(store.has_live_setup_link(&a, &owner.id, 4_599).await?);
    assert!(!store.has_live_setup_link(&a, &owner.id, 4_600).await?);
    assert!(
        !store
            .has_live_setup_link(&a, &UserId::new("u2"), 1_000)
            .await?
    );

    let mut with_password = owner.clone();
    with_password.password_hash = Some("$argon2id$test".into());
    let mut other = user("u2", "other@example.com");
    other.password_hash = Some("$argon2id$other".into());
    for (who, at) in [(&other, 2_000), (&with_password, 4_600)] {
        let redeem = AdminChange::RedeemSetupLink {
            tenant: &a,
            token_hash: &link.token_hash,
            user: who,
            at,
        };
        assert_eq!(
            audited(&*store, redeem, "user.password.set", Some("a")).await??,
            Applied::Missing
        );
    }
    let redeem = AdminChange::RedeemSetupLink {
        tenant: &a,
        token_hash: &link.token_hash,
        user: &with_password,
        at: 2_000,
    };
    assert_eq!(
        audited(&*store, redeem, "user.password.set", Some("a")).await??,
        Applied::Done(1)
    );
    let stored = store.user(&a, &owner.id).await?.ok_or("no user")?;
    assert_eq!(stored.password_hash.as_deref(), Some("$argon2id$test"));
    assert_eq!(
        store
            .setup_link(&a, &link.token_hash)
            .await?
            .and_then(|l| l.used_at),
        Some(2_000)
    );
    assert!(!store.has_live_setup_link(&a, &owner.id, 2_001).await?);
    assert_eq!(
        audited(&*store, redeem, "user.password.set", Some("a")).await??,
        Applied::Missing
    );
    Ok(())
}
