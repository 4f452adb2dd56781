//! Sample records for the contract tests: every field set to something a
//! store could get wrong (optional fields filled, lists of several items,
//! bytes that are not text).

use crate::crypto::secret::SecretHash;
use crate::email::EmailAddress;
use crate::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use crate::jwks::SigningAlg;
use crate::store::{
    AccessTokenRef, ClientRecord, CodeRecord, DeviceCodeRecord, DeviceDecision, DeviceStatus,
    GrantType, RefreshTokenRecord, SessionRecord, SigningKeyRecord, Store, TenantRecord,
    TokenEndpointAuthMethod, UserRecord,
};

use super::Failure;

/// Creates tenants `a` and `b` (no keys) and returns their ids: most tests
/// write in `a` and check that `b` sees none of it.
pub async fn two_tenants<S: Store>(store: &S) -> Result<(TenantId, TenantId), Failure> {
    let (a, b) = (tenant("a"), tenant("b"));
    store.create_tenant(&a, &[]).await?;
    store.create_tenant(&b, &[]).await?;
    Ok((a.id, b.id))
}

/// A tenant with id `tid-{slug}`.
pub fn tenant(slug: &str) -> TenantRecord {
    TenantRecord {
        id: TenantId::new(format!("tid-{slug}")),
        slug: slug.to_owned(),
        name: format!("Tenant {slug}"),
        wrapped_data_key: vec![1, 2, 3, 0, 255],
        dynamic_registration: slug == "a",
        created_at: 1_700_000_000,
        state: crate::tenant::state::TenantState::Active,
        state_reason: None,
        state_changed_at: None,
        // "mid" is upstream-only, so the round trip sees both values.
        password_login: slug != "mid",
    }
}

/// An active signing key.
pub fn signing_key(kid: &str, alg: SigningAlg, created_at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        kid: kid.to_owned(),
        alg,
        sealed_private_key: [kid.as_bytes(), &[0, 255, 7]].concat(),
        created_at,
        activates_at: created_at,
        retired_at: None,
    }
}

/// A confidential client with every optional field set.
pub fn client(id: &str) -> ClientRecord {
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
        allowed_scopes: vec!["read".to_owned(), "write".to_owned()],
        audiences: vec!["https://api.example".to_owned()],
        jwks: Some(r#"{"keys":[]}"#.to_owned()),
        jwks_uri: Some("https://rp.example/jwks".to_owned()),
        post_logout_redirect_uris: vec!["https://rp.example/bye".to_owned()],
        frontchannel_logout_uri: Some("https://rp.example/fc?x=1".to_owned()),
        frontchannel_logout_session_required: true,
        backchannel_logout_uri: Some("https://rp.example/bc".to_owned()),
        backchannel_logout_session_required: false,
        registration_token_hash: Some(SecretHash::of("rat")),
        metadata: r#"{"client_uri":"https://rp.example"}"#.to_owned(),
        previous_secret: Some(crate::store::PreviousSecret {
            hash: SecretHash::of(&format!("old-secret-{id}")),
            expires_at: 1_700_086_500,
        }),
        created_at: 1_700_000_100,
        require_pushed_authorization_requests: true,
        subject_type: crate::store::SubjectType::Pairwise,
        sector_identifier_uri: Some("https://rp.example/sector.json".to_owned()),
        allowed_origins: vec![
            "https://spa.example".to_owned(),
            "http://localhost:5173".to_owned(),
        ],
    }
}

/// A pushed authorization request of client `c1` for `request_uri`,
/// expiring at `expires_at`.
pub fn pushed(request_uri: &str, expires_at: i64) -> crate::store::PushedRequestRecord {
    crate::store::PushedRequestRecord {
        request_uri_hash: SecretHash::of(request_uri),
        client_id: ClientId::new("c1"),
        params: r#"[["response_type","code"],["state","caf\u00e9 & =?"]]"#.to_owned(),
        expires_at,
    }
}

/// The canonical form of a test address (which must be one).
pub fn email(address: &str) -> Result<EmailAddress, Failure> {
    Ok(EmailAddress::parse(address)?)
}

/// A user with a name and a password hash; `email` must be canonical.
pub fn user(id: &str, email: &str) -> UserRecord {
    UserRecord {
        id: UserId::new(id),
        email: email.to_owned(),
        email_verified: true,
        name: Some(format!("User {id}")),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        disabled: false,
        created_at: 1_700_000_200,
        updated_at: 1_700_000_300,
    }
}

/// A session of user `u1` whose cookie is `cookie`, created at 900.
pub fn session(id: &str, cookie: &str, expires_at: i64) -> SessionRecord {
    SessionRecord {
        id: SessionId::new(id),
        secret_hash: SecretHash::of(cookie),
        user_id: UserId::new("u1"),
        auth_time: 1_000,
        amr: "fed github".to_owned(),
        created_at: 900,
        expires_at,
    }
}

/// A code of client `c1`, user `u1`, session `s1`, expiring at 1 060.
pub fn code(code: &str, grant: &str) -> CodeRecord {
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
        claims: Some(r#"{"userinfo":{"name":null}}"#.to_owned()),
        auth_time: 1_000,
        amr: "fed oidc".to_owned(),
        expires_at: 1_060,
        resource: Some("https://api.example/ https://orders.example/v1".to_owned()),
    }
}

/// A live refresh token of client `c1`, user `u1`, session `s1`.
pub fn refresh(token: &str, grant: &str) -> RefreshTokenRecord {
    RefreshTokenRecord {
        token_hash: SecretHash::of(token),
        grant_id: GrantId::new(grant),
        client_id: ClientId::new("c1"),
        user_id: UserId::new("u1"),
        session_id: SessionId::new("s1"),
        scope: "openid offline_access".to_owned(),
        claims: Some(r#"{"id_token":{"email":null}}"#.to_owned()),
        auth_time: 1_000,
        amr: "fed google".to_owned(),
        issued_at: 1_100,
        expires_at: 100_000,
        consumed_at: None,
        revoked: false,
        resource: Some("https://api.example/".to_owned()),
    }
}

/// A pending device authorization of client `tv`, live from 1 000 to 1 600.
pub fn device(code: &str, user_code: &str) -> DeviceCodeRecord {
    DeviceCodeRecord {
        device_code_hash: SecretHash::of(code),
        user_code: user_code.to_owned(),
        grant_id: GrantId::new(format!("g-{code}")),
        client_id: ClientId::new("tv"),
        scope: "openid profile".to_owned(),
        status: DeviceStatus::Pending,
        user_id: None,
        session_id: None,
        auth_time: None,
        interval: 5,
        last_poll_at: None,
        consumed_at: None,
        created_at: 1_000,
        expires_at: 1_600,
    }
}

/// User `u1` approves in session `s1`, authenticated at 1 010.
pub fn approve() -> DeviceDecision {
    DeviceDecision::Approve {
        user_id: UserId::new("u1"),
        session_id: SessionId::new("s1"),
        auth_time: 1_010,
    }
}

/// An access token as a resource server presents it for the check.
pub fn access_token<'a>(
    jti: &'a str,
    grant: Option<&'a GrantId>,
    session: Option<&'a SessionId>,
) -> AccessTokenRef<'a> {
    AccessTokenRef {
        jti,
        grant_id: grant,
        session_id: session,
    }
}
