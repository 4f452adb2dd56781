//! The user's own account (`idp_core::account`): who the cookie signs in,
//! the password change under the login's abuse limits, and signing out of
//! the other sessions or of this one.

use crate::fixture::{Fixture, TestResult};
use http::HeaderMap;
use idp_core::NewUser;
use idp_core::account::{Account, AccountError};
use idp_core::admin::NewTenant;
use idp_core::store::{AdminStore, UserRecord};
use std::net::IpAddr;

const PASSWORD: &str = "correct horse battery staple";

async fn user(f: &Fixture, slug: &str) -> Result<UserRecord, Box<dyn std::error::Error>> {
    let new = NewUser {
        email: "carol@example.com".into(),
        name: Some("Carol".into()),
        password: Some(PASSWORD.into()),
        email_verified: true,
    };
    Ok(f.admin
        .create_user(&idp_core::AuditContext::cli("test"), slug, new)
        .await?)
}

fn cookie(value: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Ok(v) = format!("idp_session={value}").parse() {
        h.insert(http::header::COOKIE, v);
    }
    h
}

async fn account(f: &Fixture, slug: &str, value: &str) -> Option<Account> {
    f.provider
        .account_session(slug, &cookie(value))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn the_cookie_names_an_enabled_user_of_its_own_tenant_only() -> TestResult {
    let f = Fixture::new().await?;
    let ctx = idp_core::AuditContext::cli("test");
    f.admin
        .create_tenant(&ctx, NewTenant::new("globex", "Globex"))
        .await?;
    let u = user(&f, "acme").await?;
    f.sign_in(&u.id, "c1", 3600).await?;
    let a = account(&f, "acme", "c1").await.ok_or("signed in")?;
    assert_eq!((a.email(), a.name()), ("carol@example.com", Some("Carol")));
    assert_eq!(a.tenant_path(), "/t/acme/");
    assert!(a.has_password());
    assert!(account(&f, "acme", "other").await.is_none());
    assert!(account(&f, "globex", "c1").await.is_none());
    assert!(account(&f, "nope", "c1").await.is_none());
    f.provider
        .store()
        .update_user(
            &f.admin.get_tenant("acme").await?.id,
            &UserRecord {
                disabled: true,
                ..u.clone()
            },
        )
        .await?;
    assert!(account(&f, "acme", "c1").await.is_none(), "disabled");
    Ok(())
}

fn fields(e: &AccountError) -> Vec<&str> {
    match e {
        AccountError::Invalid(fields) => fields.iter().map(|f| f.field.as_str()).collect(),
        other => panic!("not a field error: {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_current_password_counts_towards_the_login_lockout() -> TestResult {
    let f = Fixture::new().await?;
    let u = user(&f, "acme").await?;
    f.sign_in(&u.id, "c1", 3600).await?;
    let a = account(&f, "acme", "c1").await.ok_or("signed in")?;
    let from: Option<IpAddr> = Some("203.0.113.9".parse()?);
    let new = "a brand new passphrase";

    // Every wrong field at once; a short new password alone is no attempt
    // at the current one that fails.
    let e = f.provider.change_password(&a, "", "short", from).await;
    assert_eq!(
        fields(&e.err().ok_or("refused")?),
        ["new_password", "current_password"]
    );
    let e = f
        .provider
        .change_password(&a, PASSWORD, PASSWORD, from)
        .await;
    assert_eq!(fields(&e.err().ok_or("refused")?), ["new_password"]);

    // Five wrong guesses (the default per account and address), then even
    // the right password is not checked.
    for _ in 0..5 {
        let e = f.provider.change_password(&a, "guess", new, from).await;
        assert_eq!(fields(&e.err().ok_or("refused")?), ["current_password"]);
    }
    let e = f.provider.change_password(&a, PASSWORD, new, from).await;
    assert!(matches!(e, Err(AccountError::Locked { .. })), "{e:?}");

    // From elsewhere, the right one changes it (argon2id, audited).
    let elsewhere: Option<IpAddr> = Some("198.51.100.7".parse()?);
    f.provider
        .change_password(&a, PASSWORD, new, elsewhere)
        .await?;
    let stored = f.admin.get_user("acme", u.id.as_str()).await?;
    let phc = stored.password_hash.ok_or("a password")?;
    assert!(phc.starts_with("$argon2id$"));
    assert!(idp_core::crypto::password::verify(new, &phc));
    Ok(())
}

#[tokio::test]
async fn signing_out_of_the_others_keeps_this_session() -> TestResult {
    let f = Fixture::new().await?;
    let u = user(&f, "acme").await?;
    let here = f.sign_in(&u.id, "c1", 3600).await?;
    let two = f.sign_in(&u.id, "c2", 3600).await?;
    let three = f.sign_in(&u.id, "c3", 3600).await?;
    let a = account(&f, "acme", "c1").await.ok_or("signed in")?;
    let listed = f.provider.account_sessions(&a).await?;
    assert_eq!(listed.len(), 3);
    assert!(listed[0].current && !listed[1].current && !listed[2].current);
    assert_eq!(listed[0].info.id, here.session.id.as_str());

    assert_eq!(f.provider.sign_out_others(&a, None).await?, 2);
    assert!(f.cookie_works(&here).await? && f.refresh_works(&here).await?);
    for s in [&two, &three] {
        assert!(!f.cookie_works(s).await? && !f.refresh_works(s).await?);
    }
    assert_eq!(f.provider.sign_out_others(&a, None).await?, 0);

    let clear = f.provider.sign_out(&a, None).await?;
    assert!(
        clear.starts_with("idp_session=; Path=/t/acme/; Max-Age=0"),
        "{clear}"
    );
    assert!(!f.cookie_works(&here).await? && !f.refresh_works(&here).await?);
    // Signing out twice is no error.
    f.provider.sign_out(&a, None).await?;
    Ok(())
}

#[tokio::test]
async fn names_follow_the_rules_of_names_shown_to_people() -> TestResult {
    let f = Fixture::new().await?;
    let u = user(&f, "acme").await?;
    f.sign_in(&u.id, "c1", 3600).await?;
    let a = account(&f, "acme", "c1").await.ok_or("signed in")?;
    let e = f.provider.update_profile(&a, "Carol\u{202E}", None).await;
    assert_eq!(fields(&e.err().ok_or("refused")?), ["name"]);
    let e = f.provider.update_profile(&a, &"x".repeat(101), None).await;
    assert_eq!(fields(&e.err().ok_or("refused")?), ["name"]);
    f.provider
        .update_profile(&a, "  Carol Jones ", None)
        .await?;
    let stored = f.admin.get_user("acme", u.id.as_str()).await?;
    assert_eq!(stored.name.as_deref(), Some("Carol Jones"));
    Ok(())
}
