//! A user's sessions through the admin service.

use crate::fixture::{Fixture, TestResult};
use idp_core::NewUser;
use idp_core::admin::AdminError;

#[tokio::test]
async fn list_revoke_one_and_revoke_all() -> TestResult {
    let f = Fixture::new().await?;
    let u = f
        .admin
        .create_user(
            &idp_core::AuditContext::cli("test"),
            "acme",
            NewUser {
                email: "carol@example.com".into(),
                name: None,
                password: None,
                email_verified: true,
            },
        )
        .await?;
    let uid = u.id.as_str();
    let one = f.sign_in(&u.id, "c1", 3600).await?;
    let two = f.sign_in(&u.id, "c2", 3600).await?;
    let three = f.sign_in(&u.id, "c3", 3600).await?;
    assert_eq!(f.admin.list_sessions("acme", uid).await?.len(), 3);

    f.admin
        .revoke_session(
            &idp_core::AuditContext::cli("test"),
            "acme",
            one.session.id.as_str(),
        )
        .await?;
    assert!(!f.cookie_works(&one).await? && !f.refresh_works(&one).await?);
    assert!(f.cookie_works(&two).await?, "only that session");
    let again = f
        .admin
        .revoke_session(
            &idp_core::AuditContext::cli("test"),
            "acme",
            one.session.id.as_str(),
        )
        .await;
    assert!(
        matches!(again, Err(AdminError::NotFound { .. })),
        "{again:?}"
    );

    assert_eq!(
        f.admin
            .revoke_user_sessions(&idp_core::AuditContext::cli("test"), "acme", uid)
            .await?,
        2
    );
    for s in [&two, &three] {
        assert!(!f.cookie_works(s).await? && !f.refresh_works(s).await?);
        assert!(f.access_revoked(s).await?);
    }
    assert!(f.admin.list_sessions("acme", uid).await?.is_empty());
    assert!(matches!(
        f.admin.list_sessions("acme", "nobody").await,
        Err(AdminError::NotFound { .. })
    ));
    Ok(())
}
