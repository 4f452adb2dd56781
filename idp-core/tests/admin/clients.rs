//! Clients through the admin service: updates checked like creation,
//! secret rotation with a grace period, deletion ending the client's tokens.

use crate::fixture::{Fixture, TestResult};
use idp_core::NewClient;
use idp_core::admin::{AdminError, ClientUpdate, DEFAULT_SECRET_GRACE, PageRequest};
use idp_core::store::GrantType;

fn service() -> NewClient {
    NewClient {
        grant_types: vec![GrantType::ClientCredentials],
        allowed_scopes: vec!["api".into()],
        ..NewClient::new("Service", Vec::new())
    }
}

const CC: &str = "grant_type=client_credentials&scope=api";

#[tokio::test]
async fn create_get_list_and_not_found() -> TestResult {
    let f = Fixture::new().await?;
    let mut ids = Vec::new();
    for i in 0..3 {
        let c = f
            .admin
            .create_client(
                &idp_core::AuditContext::cli("test"),
                "acme",
                NewClient::new(&format!("App {i}"), vec!["https://app.example/cb".into()]),
            )
            .await?;
        assert!(c.secret.is_some());
        ids.push(c.client.id.as_str().to_owned());
    }
    ids.sort();
    let got = f.admin.get_client("acme", &ids[0]).await?;
    assert_eq!(got.id.as_str(), ids[0]);
    let first = f.admin.list_clients("acme", &PageRequest::limit(2)).await?;
    let cursor = first.next_cursor.ok_or("a second page")?;
    let second = f
        .admin
        .list_clients("acme", &PageRequest::after(cursor, Some(2)))
        .await?;
    assert!(second.next_cursor.is_none());
    let listed: Vec<String> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|c| c.id.as_str().to_owned())
        .collect();
    assert_eq!(listed, ids);
    assert!(matches!(
        f.admin.get_client("acme", "nope").await,
        Err(AdminError::NotFound { .. })
    ));
    assert!(matches!(
        f.admin.list_clients("nope", &PageRequest::first()).await,
        Err(AdminError::NotFound { .. })
    ));
    Ok(())
}

#[tokio::test]
async fn updates_pass_the_rules_of_creation() -> TestResult {
    let f = Fixture::new().await?;
    let c = f
        .admin
        .create_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            NewClient::new("Web", vec!["https://app.example/cb".into()]),
        )
        .await?;
    let id = c.client.id.as_str();
    let updated = f
        .admin
        .update_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            id,
            ClientUpdate {
                name: Some("Web 2".into()),
                redirect_uris: Some(vec!["https://app.example/callback".into()]),
                post_logout_redirect_uris: Some(vec!["https://app.example/bye".into()]),
                frontchannel_logout_uri: Some(Some("https://app.example/fc".into())),
                ..ClientUpdate::default()
            },
        )
        .await?;
    assert_eq!(updated.name, "Web 2");
    let stored = f.admin.get_client("acme", id).await?;
    assert_eq!(stored.redirect_uris, ["https://app.example/callback"]);
    assert_eq!(
        stored.frontchannel_logout_uri.as_deref(),
        Some("https://app.example/fc")
    );
    // The secret is untouched by an update.
    assert_eq!(stored.secret_hash, c.client.secret_hash);

    for (update, field) in [
        (
            ClientUpdate {
                redirect_uris: Some(vec!["javascript:alert(1)".into()]),
                ..ClientUpdate::default()
            },
            "redirect_uris",
        ),
        (
            ClientUpdate {
                redirect_uris: Some(vec![]),
                ..ClientUpdate::default()
            },
            "redirect_uris",
        ),
        (
            ClientUpdate {
                frontchannel_logout_uri: Some(Some("https://other.example/fc".into())),
                ..ClientUpdate::default()
            },
            "frontchannel_logout_uri",
        ),
        (
            ClientUpdate {
                backchannel_logout_uri: Some(Some("https://10.0.0.1/bc".into())),
                ..ClientUpdate::default()
            },
            "backchannel_logout_uri",
        ),
        (
            ClientUpdate {
                name: Some(" ".into()),
                ..ClientUpdate::default()
            },
            "name",
        ),
    ] {
        let err = f
            .admin
            .update_client(&idp_core::AuditContext::cli("test"), "acme", id, update)
            .await
            .err();
        assert!(
            matches!(&err, Some(AdminError::Invalid(e)) if e[0].field == field),
            "{field}: {err:?}"
        );
    }
    // Nothing of the refused updates was stored.
    assert_eq!(f.admin.get_client("acme", id).await?.name, "Web 2");
    Ok(())
}

#[tokio::test]
async fn a_rotated_secret_keeps_the_old_one_for_the_grace_period() -> TestResult {
    let f = Fixture::new().await?;
    let c = f
        .admin
        .create_client(&idp_core::AuditContext::cli("test"), "acme", service())
        .await?;
    let id = c.client.id.as_str().to_owned();
    let old = c.secret.ok_or("secret")?;
    assert_eq!(f.post("acme", "/token", Some((&id, &old)), CC).await.0, 200);

    let rotated = f
        .admin
        .rotate_client_secret(&idp_core::AuditContext::cli("test"), "acme", &id)
        .await?;
    assert_ne!(rotated.secret, old);
    assert_eq!(
        rotated.previous_expires_at,
        Some(f.clock.now_for_test() + DEFAULT_SECRET_GRACE)
    );
    // Both work during the grace period, at once (no stale cache).
    assert_eq!(
        f.post("acme", "/token", Some((&id, &rotated.secret)), CC)
            .await
            .0,
        200
    );
    assert_eq!(f.post("acme", "/token", Some((&id, &old)), CC).await.0, 200);
    f.clock.advance(DEFAULT_SECRET_GRACE);
    let (status, body) = f.post("acme", "/token", Some((&id, &old)), CC).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    assert_eq!(
        f.post("acme", "/token", Some((&id, &rotated.secret)), CC)
            .await
            .0,
        200
    );
    Ok(())
}

#[tokio::test]
async fn a_zero_grace_period_refuses_the_old_secret_at_once() -> TestResult {
    let f = Fixture::new().await?;
    let admin = f.provider.admin().with_secret_grace(0);
    let c = admin
        .create_client(&idp_core::AuditContext::cli("test"), "acme", service())
        .await?;
    let id = c.client.id.as_str().to_owned();
    let old = c.secret.ok_or("secret")?;
    let rotated = admin
        .rotate_client_secret(&idp_core::AuditContext::cli("test"), "acme", &id)
        .await?;
    assert_eq!(rotated.previous_expires_at, None);
    assert_eq!(f.post("acme", "/token", Some((&id, &old)), CC).await.0, 401);
    assert_eq!(
        f.post("acme", "/token", Some((&id, &rotated.secret)), CC)
            .await
            .0,
        200
    );
    // A public client has no secret to rotate.
    let public = admin
        .create_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            NewClient {
                public: true,
                ..NewClient::new("SPA", vec!["https://spa.example/cb".into()])
            },
        )
        .await?;
    let err = admin
        .rotate_client_secret(
            &idp_core::AuditContext::cli("test"),
            "acme",
            public.client.id.as_str(),
        )
        .await;
    assert!(matches!(err, Err(AdminError::Invalid(_))), "{err:?}");
    Ok(())
}

#[tokio::test]
async fn a_deleted_client_stops_authenticating_and_its_tokens_die() -> TestResult {
    let f = Fixture::new().await?;
    let c = f
        .admin
        .create_client(&idp_core::AuditContext::cli("test"), "acme", service())
        .await?;
    let id = c.client.id.as_str().to_owned();
    let secret = c.secret.ok_or("secret")?;
    let (status, body) = f.post("acme", "/token", Some((&id, &secret)), CC).await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"]
        .as_str()
        .ok_or("access token")?
        .to_owned();
    // A resource server (another client) introspects it.
    let rs = f
        .admin
        .create_client(&idp_core::AuditContext::cli("test"), "acme", service())
        .await?;
    let rs_id = rs.client.id.as_str().to_owned();
    let rs_secret = rs.secret.ok_or("secret")?;
    let introspect = format!("token={token}");
    let (_, active) = f
        .post(
            "acme",
            "/introspect",
            Some((&rs_id, &rs_secret)),
            &introspect,
        )
        .await;
    assert_eq!(active["active"], true);

    f.admin
        .delete_client(&idp_core::AuditContext::cli("test"), "acme", &id)
        .await?;
    assert_eq!(
        f.post("acme", "/token", Some((&id, &secret)), CC).await.0,
        401
    );
    let (_, inactive) = f
        .post(
            "acme",
            "/introspect",
            Some((&rs_id, &rs_secret)),
            &introspect,
        )
        .await;
    assert_eq!(inactive, serde_json::json!({ "active": false }));
    assert!(matches!(
        f.admin
            .delete_client(&idp_core::AuditContext::cli("test"), "acme", &id)
            .await,
        Err(AdminError::NotFound { .. })
    ));
    Ok(())
}

/// OIDC Registration §5: the `sector_identifier_uri` is fetched (through
/// the provider's fetch hook) at creation and again when an update changes
/// the redirect URIs, which it must all list.
#[tokio::test]
async fn a_sector_identifier_uri_is_checked_at_creation_and_on_redirect_changes() -> TestResult {
    use idp_core::store::SubjectType;
    let dir = tempfile::tempdir()?;
    let store =
        idp_store_sqlite::SqliteStore::open(&dir.path().join("admin.db").to_string_lossy())?;
    let key = idp_core::crypto::envelope::MasterKey::from_hex(&"42".repeat(32))?;
    let fetched = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = fetched.clone();
    let provider = idp_core::Provider::new(
        store,
        idp_core::ProviderConfig::new(crate::fixture::BASE, key),
    )
    .with_fetch(std::sync::Arc::new(move |url: String| {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(async move {
            match url.as_str() {
                "https://rp.example/sector.json" => Ok(bytes::Bytes::from_static(
                    br#"["https://a.example/cb","https://b.example/cb"]"#,
                )),
                _ => Err("connection refused".to_owned()),
            }
        })
    }));
    let admin = provider.admin();
    admin
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            idp_core::admin::NewTenant::new("acme", "Acme"),
        )
        .await?;
    let new = |uris: &[&str], sector: &str| NewClient {
        subject_type: SubjectType::Pairwise,
        sector_identifier_uri: Some(sector.to_owned()),
        ..NewClient::new("Pairwise", uris.iter().map(|u| u.to_string()).collect())
    };
    let created = admin
        .create_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            new(
                &["https://a.example/cb", "https://b.example/cb"],
                "https://rp.example/sector.json",
            ),
        )
        .await?;
    assert_eq!(created.client.subject_type, SubjectType::Pairwise);
    assert_eq!(fetched.load(std::sync::atomic::Ordering::SeqCst), 1);
    let unreachable = admin
        .create_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            new(&["https://a.example/cb"], "https://rp.example/gone.json"),
        )
        .await;
    let Err(AdminError::Invalid(fields)) = unreachable else {
        return Err(format!("expected Invalid, got {unreachable:?}").into());
    };
    assert!(
        fields[0]
            .reason
            .contains("sector_identifier_uri could not be fetched")
    );
    let id = created.client.id.as_str();
    let widened = admin
        .update_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            id,
            ClientUpdate {
                redirect_uris: Some(vec![
                    "https://a.example/cb".into(),
                    "https://c.example/cb".into(),
                ]),
                ..ClientUpdate::default()
            },
        )
        .await;
    let Err(AdminError::Invalid(fields)) = widened else {
        return Err(format!("expected Invalid, got {widened:?}").into());
    };
    assert_eq!(fields[0].field, "sector_identifier_uri");
    assert!(
        fields[0].reason.contains("'https://c.example/cb'"),
        "{fields:?}"
    );
    let narrowed = admin
        .update_client(
            &idp_core::AuditContext::cli("test"),
            "acme",
            id,
            ClientUpdate {
                redirect_uris: Some(vec!["https://b.example/cb".into()]),
                ..ClientUpdate::default()
            },
        )
        .await?;
    assert_eq!(narrowed.redirect_uris, ["https://b.example/cb"]);
    assert_eq!(
        narrowed.sector_identifier_uri.as_deref(),
        Some("https://rp.example/sector.json")
    );
    Ok(())
}
