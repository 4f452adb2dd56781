//! Fixtures for the SQLite-specific tests (what every store must do is in
//! the store contract, `tests/contract.rs`): a store on a fresh file and
//! sample records.

use crate::SqliteStore;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::jwks::SigningAlg;
use idp_core::store::{
    ClientRecord, CodeRecord, GrantType, RefreshTokenRecord, SessionRecord, TenantRecord,
    TenantStore, TokenEndpointAuthMethod, UserRecord,
};
use tempfile::TempDir;

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A store on a new file in a temporary directory (kept alive by the guard).
pub(crate) fn fresh_store()
-> Result<(TempDir, SqliteStore), Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&format!("sqlite:{}", dir.path().join("idp.db").display()))?;
    Ok((dir, store))
}

/// A store with tenants `a` and `b`.
pub(crate) async fn two_tenants()
-> Result<(TempDir, SqliteStore, TenantId, TenantId), Box<dyn std::error::Error + Send + Sync>> {
    let (dir, store) = fresh_store()?;
    let a = tenant_record("a");
    let b = tenant_record("b");
    store.create_tenant(&a, &[]).await?;
    store.create_tenant(&b, &[]).await?;
    Ok((dir, store, a.id, b.id))
}

pub(crate) fn tenant_record(slug: &str) -> TenantRecord {
    TenantRecord {
        id: TenantId::new(format!("tid-{slug}")),
        slug: slug.to_owned(),
        name: format!("Tenant {slug}"),
        wrapped_data_key: vec![1, 2, 3, 0, 255],
        dynamic_registration: slug == "a",
        created_at: 1_700_000_000,
    }
}

pub(crate) fn client_record(id: &str) -> ClientRecord {
    ClientRecord {
        id: ClientId::new(id),
        name: format!("Client {id}"),
        secret_hash: Some(SecretHash::of(&format!("secret-{id}"))),
        auth_method: TokenEndpointAuthMethod::ClientSecretPost,
        redirect_uris: vec![
            "https://rp.example/cb".to_owned(),
            "http://127.0.0.1:8080/cb?x=1".to_owned(),
        ],
        grant_types: vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::DeviceCode,
        ],
        require_pkce: false,
        id_token_alg: SigningAlg::Es256,
        allowed_scopes: vec!["read".to_owned()],
        audiences: vec!["https://api.example".to_owned()],
        jwks: Some(r#"{"keys":[]}"#.to_owned()),
        jwks_uri: None,
        post_logout_redirect_uris: vec!["https://rp.example/bye".to_owned()],
        frontchannel_logout_uri: Some("https://rp.example/fc?x=1".to_owned()),
        frontchannel_logout_session_required: true,
        backchannel_logout_uri: Some("https://rp.example/bc".to_owned()),
        backchannel_logout_session_required: false,
        registration_token_hash: Some(SecretHash::of("rat")),
        metadata: r#"{"client_uri":"https://rp.example"}"#.to_owned(),
        created_at: 1_700_000_100,
    }
}

/// The canonical form of a test address (which must be one).
pub(crate) fn email(address: &str) -> idp_core::EmailAddress {
    idp_core::EmailAddress::parse(address).unwrap_or_else(|e| panic!("{e}"))
}

pub(crate) fn user_record(id: &str, email: &str) -> UserRecord {
    UserRecord {
        id: UserId::new(id),
        email: email.to_owned(),
        email_verified: true,
        name: Some(format!("User {id}")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        created_at: 1_700_000_200,
        updated_at: 1_700_000_300,
    }
}

pub(crate) fn session_record(id: &str, cookie: &str, expires_at: i64) -> SessionRecord {
    SessionRecord {
        id: SessionId::new(id),
        secret_hash: SecretHash::of(cookie),
        user_id: UserId::new("u1"),
        auth_time: 1_000,
        created_at: 900,
        expires_at,
    }
}

pub(crate) fn code_record(code: &str, grant: &str) -> CodeRecord {
    CodeRecord {
        code_hash: SecretHash::of(code),
        grant_id: GrantId::new(grant),
        client_id: ClientId::new("c1"),
        user_id: UserId::new("u1"),
        session_id: SessionId::new("s1"),
        redirect_uri: "https://rp.example/cb".to_owned(),
        scope: "openid email".to_owned(),
        nonce: Some("n-0S6_WzA2Mj".to_owned()),
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        claims: Some(r#"{"userinfo":["name"]}"#.to_owned()),
        auth_time: 1_000,
        expires_at: 1_060,
    }
}

pub(crate) fn refresh_record(token: &str, grant: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: SecretHash::of(token),
        grant_id: GrantId::new(grant),
        client_id: ClientId::new("c1"),
        user_id: UserId::new("u1"),
        session_id: SessionId::new("s1"),
        scope: "openid offline_access".to_owned(),
        claims: None,
        auth_time: 1_000,
        issued_at: 1_100,
        expires_at: 100_000,
        consumed_at: None,
        revoked: false,
    }
}
