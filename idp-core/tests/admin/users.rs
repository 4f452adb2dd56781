//! Users through the admin service.

use crate::fixture::{Fixture, TestResult};
use idp_core::NewUser;
use idp_core::admin::{AdminError, PageRequest, UserUpdate};

fn alice() -> NewUser {
    NewUser {
        email: "Alice@Example.COM".into(),
        name: Some("Alice".into()),
        password: Some("correct horse".into()),
        email_verified: true,
    }
}

#[tokio::test]
async fn create_get_and_find_by_canonical_email() -> TestResult {
    let f = Fixture::new().await?;
    let u = f
        .admin
        .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
        .await?;
    assert_eq!(u.email, "alice@example.com");
    assert!(
        u.password_hash
            .as_deref()
            .is_some_and(|h| h.starts_with("$argon2id$"))
    );
    assert_eq!(
        f.admin.get_user("acme", u.id.as_str()).await?.email,
        u.email
    );
    // A look-alike spelling (fullwidth 'ａ') finds the same account.
    let found = f
        .admin
        .find_user_by_email("acme", "\u{ff41}lice@EXAMPLE.com")
        .await?;
    assert_eq!(found.id, u.id);
    assert!(matches!(
        f.admin
            .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
            .await,
        Err(AdminError::Conflict { .. })
    ));
    assert!(matches!(
        f.admin.find_user_by_email("acme", "bob@example.com").await,
        Err(AdminError::NotFound { .. })
    ));
    let bad = f.admin.find_user_by_email("acme", "not an address").await;
    assert!(matches!(bad, Err(AdminError::Invalid(ref e)) if e[0].field == "email"));
    Ok(())
}

#[tokio::test]
async fn users_are_listed_a_page_at_a_time() -> TestResult {
    let f = Fixture::new().await?;
    let mut ids = Vec::new();
    for i in 0..5 {
        let u = f
            .admin
            .create_user(
                &idp_core::AuditContext::cli("test"),
                "acme",
                NewUser {
                    email: format!("u{i}@example.com"),
                    name: None,
                    password: None,
                    email_verified: false,
                },
            )
            .await?;
        ids.push(u.id.as_str().to_owned());
    }
    ids.sort();
    let mut seen = Vec::new();
    let mut page = PageRequest::limit(2);
    loop {
        let got = f.admin.list_users("acme", &page).await?;
        seen.extend(got.items.iter().map(|u| u.id.as_str().to_owned()));
        match got.next_cursor {
            Some(c) => page = PageRequest::after(c, Some(2)),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    // A cursor of another list is refused, not misread.
    let tenants = f.admin.list_tenants(&PageRequest::limit(1)).await?;
    assert!(tenants.next_cursor.is_none());
    let clients_cursor = "Y2xpZW50czp4"; // base64url("clients:x")
    let err = f
        .admin
        .list_users("acme", &PageRequest::after(clients_cursor, None))
        .await;
    assert!(matches!(err, Err(AdminError::Invalid(ref e)) if e[0].field == "cursor"));
    Ok(())
}

#[tokio::test]
async fn update_name_and_email_with_a_conflict() -> TestResult {
    let f = Fixture::new().await?;
    let a = f
        .admin
        .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
        .await?;
    f.admin
        .create_user(
            &idp_core::AuditContext::cli("test"),
            "acme",
            NewUser {
                email: "bob@example.com".into(),
                ..alice()
            },
        )
        .await?;
    f.clock.advance(10);
    let u = f
        .admin
        .update_user(
            &idp_core::AuditContext::cli("test"),
            "acme",
            a.id.as_str(),
            UserUpdate {
                name: Some(Some("Alice B.".into())),
                email: Some("ALICE.B@example.com".into()),
                ..UserUpdate::default()
            },
        )
        .await?;
    assert_eq!(u.email, "alice.b@example.com");
    assert!(!u.email_verified, "a new address is not verified");
    assert_eq!(u.updated_at, a.updated_at + 10);
    let found = f
        .admin
        .find_user_by_email("acme", "alice.b@example.com")
        .await?;
    assert_eq!(found.name.as_deref(), Some("Alice B."));
    assert!(matches!(
        f.admin
            .find_user_by_email("acme", "alice@example.com")
            .await,
        Err(AdminError::NotFound { .. })
    ));
    let taken = f
        .admin
        .update_user(
            &idp_core::AuditContext::cli("test"),
            "acme",
            a.id.as_str(),
            UserUpdate {
                email: Some("bob@example.com".into()),
                ..UserUpdate::default()
            },
        )
        .await;
    assert_eq!(
        taken.err(),
        Some(AdminError::conflict("user 'bob@example.com'"))
    );
    Ok(())
}

#[tokio::test]
async fn disabling_revokes_sessions_and_refresh_tokens() -> TestResult {
    let f = Fixture::new().await?;
    let u = f
        .admin
        .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
        .await?;
    let live = f.sign_in(&u.id, "cookie-1", 3600).await?;
    // An offline_access refresh token whose session has already expired.
    let offline = f.sign_in(&u.id, "cookie-2", 10).await?;
    f.clock.advance(20);
    assert!(f.cookie_works(&live).await? && f.refresh_works(&offline).await?);

    let disabled = f
        .admin
        .disable_user(&idp_core::AuditContext::cli("test"), "acme", u.id.as_str())
        .await?;
    assert!(disabled.disabled);
    assert!(f.admin.get_user("acme", u.id.as_str()).await?.disabled);
    assert!(!f.cookie_works(&live).await?);
    assert!(!f.refresh_works(&live).await? && !f.refresh_works(&offline).await?);
    assert!(f.access_revoked(&live).await? && f.access_revoked(&offline).await?);

    let enabled = f
        .admin
        .enable_user(&idp_core::AuditContext::cli("test"), "acme", u.id.as_str())
        .await?;
    assert!(!enabled.disabled);
    assert!(!f.cookie_works(&live).await?, "old sessions stay revoked");
    Ok(())
}

#[tokio::test]
async fn set_password_hashes_with_argon2id() -> TestResult {
    let f = Fixture::new().await?;
    let u = f
        .admin
        .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
        .await?;
    f.admin
        .set_password(
            &idp_core::AuditContext::cli("test"),
            "acme",
            u.id.as_str(),
            "a new password".into(),
        )
        .await?;
    let after = f.admin.get_user("acme", u.id.as_str()).await?;
    let hash = after.password_hash.ok_or("hash")?;
    assert!(hash.starts_with("$argon2id$"));
    assert_ne!(Some(hash), u.password_hash);
    let empty = f
        .admin
        .set_password(
            &idp_core::AuditContext::cli("test"),
            "acme",
            u.id.as_str(),
            String::new(),
        )
        .await;
    assert!(matches!(empty, Err(AdminError::Invalid(ref e)) if e[0].field == "password"));
    Ok(())
}

#[tokio::test]
async fn deleting_a_user_ends_their_sessions_and_tokens() -> TestResult {
    let f = Fixture::new().await?;
    let u = f
        .admin
        .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
        .await?;
    let s = f.sign_in(&u.id, "cookie", 3600).await?;
    f.admin
        .delete_user(&idp_core::AuditContext::cli("test"), "acme", u.id.as_str())
        .await?;
    assert!(!f.cookie_works(&s).await?);
    assert!(!f.refresh_works(&s).await?);
    assert!(f.access_revoked(&s).await?);
    assert!(matches!(
        f.admin.get_user("acme", u.id.as_str()).await,
        Err(AdminError::NotFound { .. })
    ));
    // The address is free again.
    f.admin
        .create_user(&idp_core::AuditContext::cli("test"), "acme", alice())
        .await?;
    Ok(())
}
