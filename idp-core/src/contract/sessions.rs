//! [`SessionStore`](crate::store::SessionStore): sessions, interactions,
//! consent and the relying parties a session took part in.

use super::samples::{access_token, approve, client, code, device, refresh, session, two_tenants};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, SessionId, UserId};
use crate::store::{
    ClientRecord, ConsentRecord, DeviceStatus, InteractionRecord, Rotation, SessionRecord, Store,
    StoreError, TakenCode,
};
use std::sync::Arc;

fn ids(clients: &[ClientRecord]) -> Vec<&str> {
    clients.iter().map(|c| c.id.as_str()).collect()
}

fn assert_same(got: &SessionRecord, want: &SessionRecord) {
    assert_eq!(got.id, want.id);
    assert_eq!(got.secret_hash, want.secret_hash);
    assert_eq!(got.user_id, want.user_id);
    assert_eq!(got.auth_time, want.auth_time);
    assert_eq!(got.amr, want.amr);
    assert_eq!(got.created_at, want.created_at);
    assert_eq!(got.expires_at, want.expires_at);
}

/// A session reads back by cookie hash and by id until (not at) its expiry;
/// a fresh authentication moves its `auth_time`.
pub async fn session_round_trips_until_it_expires<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let s = session("s1", "cookie-1", 2_000);
    store.create_session(&a, &s).await?;
    let cookie = SecretHash::of("cookie-1");
    for got in [
        store.session_by_secret(&a, &cookie, 1_999).await?,
        store.session(&a, &s.id, 1_999).await?,
    ] {
        assert_same(&got.ok_or("missing")?, &s);
    }
    assert!(store.session_by_secret(&a, &cookie, 2_000).await?.is_none());
    assert!(store.session(&a, &s.id, 2_000).await?.is_none());
    assert!(
        store
            .session_by_secret(&a, &SecretHash::of("other"), 0)
            .await?
            .is_none()
    );
    store.touch_session_auth(&a, &s.id, 1_500).await?;
    let got = store.session(&a, &s.id, 0).await?.ok_or("missing")?;
    assert_eq!(got.auth_time, 1_500);
    // Touching an unknown session is harmless.
    store
        .touch_session_auth(&a, &SessionId::new("nope"), 1)
        .await?;
    Ok(())
}

/// A session id in use in the tenant is a `Conflict`.
pub async fn session_ids_are_unique<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store
        .create_session(&a, &session("s1", "cookie-1", 2_000))
        .await?;
    let result = store
        .create_session(&a, &session("s1", "cookie-2", 2_000))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert!(
        store
            .session_by_secret(&a, &SecretHash::of("cookie-2"), 0)
            .await?
            .is_none()
    );
    Ok(())
}

/// A user's sessions: live ones only (not expired, ended or revoked),
/// newest first, and only that user's.
pub async fn user_sessions_are_live_newest_first<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for (id, created, expires) in [
        ("old", 100, 5_000),
        ("new", 300, 5_000),
        ("mid", 200, 5_000),
        ("gone", 400, 1_000),
        ("ended", 500, 5_000),
        ("revoked", 600, 5_000),
    ] {
        let s = SessionRecord {
            created_at: created,
            ..session(id, id, expires)
        };
        store.create_session(&a, &s).await?;
    }
    let other = SessionRecord {
        user_id: UserId::new("u2"),
        ..session("theirs", "theirs", 5_000)
    };
    store.create_session(&a, &other).await?;
    store
        .end_session(&a, &SessionId::new("ended"), 1_000)
        .await?;
    assert!(
        store
            .revoke_session(&a, &SessionId::new("revoked"), 1_000)
            .await?
    );
    let listed = store.user_sessions(&a, &UserId::new("u1"), 1_000).await?;
    let listed: Vec<&str> = listed.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(listed, ["new", "mid", "old"]);
    Ok(())
}

/// Logout ends a session: its cookie and id stop finding it, but its tokens
/// stay as they are, and it can still be revoked until it expires.
pub async fn ended_session_keeps_its_tokens<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let s = session("s1", "cookie-1", 5_000);
    store.create_session(&a, &s).await?;
    store
        .create_refresh_token(&a, &refresh("rt-1", "g1"))
        .await?;
    store.end_session(&a, &s.id, 1_100).await?;
    assert!(
        store
            .session_by_secret(&a, &SecretHash::of("cookie-1"), 1_200)
            .await?
            .is_none()
    );
    assert!(store.session(&a, &s.id, 1_200).await?.is_none());
    assert!(
        !store
            .access_token_revoked(&a, access_token("j", None, Some(&s.id)))
            .await?
    );
    let rt = store
        .refresh_token(&a, &SecretHash::of("rt-1"))
        .await?
        .ok_or("missing")?;
    assert!(!rt.revoked);
    // Ending again is harmless; revoking still works.
    store.end_session(&a, &s.id, 1_300).await?;
    assert!(store.revoke_session(&a, &s.id, 1_400).await?);
    assert!(
        store
            .access_token_revoked(&a, access_token("j", None, Some(&s.id)))
            .await?
    );
    Ok(())
}

/// Revoking a session ends it, revokes its refresh tokens (they no longer
/// rotate), makes its access tokens count as revoked, and kills what it
/// authorized but was not yet redeemed: codes and approved device codes.
/// Other sessions' grants are untouched; an expired session is not revoked.
pub async fn session_revoke_ends_what_it_authorized<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let s1 = SessionId::new("s1");
    store
        .create_session(&a, &session("s1", "cookie-1", 5_000))
        .await?;
    store
        .create_session(&a, &session("s2", "cookie-2", 5_000))
        .await?;
    store.create_client(&a, &client("c1")).await?;
    store
        .create_refresh_token(&a, &refresh("rt-1", "g1"))
        .await?;
    let other = crate::store::RefreshTokenRecord {
        session_id: SessionId::new("s2"),
        ..refresh("rt-2", "g2")
    };
    store.create_refresh_token(&a, &other).await?;
    let redeemed = code("code-used", "g3");
    store.create_code(&a, &redeemed, 1_000).await?;
    assert!(matches!(
        store.take_code(&a, &redeemed.code_hash, 1_001).await?,
        TakenCode::Fresh(_)
    ));
    let pending = code("code-1", "g4");
    store.create_code(&a, &pending, 1_000).await?;
    store
        .create_device_code(&a, &device("dc", "BCDFGHJK"))
        .await?;
    assert!(
        store
            .decide_device_code(&a, "BCDFGHJK", &approve(), 1_002)
            .await?
    );

    assert!(store.revoke_session(&a, &s1, 1_200).await?);
    assert!(store.session(&a, &s1, 1_200).await?.is_none());
    assert!(
        store
            .session_by_secret(&a, &SecretHash::of("cookie-1"), 1_200)
            .await?
            .is_none()
    );
    assert!(
        store
            .access_token_revoked(&a, access_token("j", None, Some(&s1)))
            .await?
    );
    let rt = store
        .refresh_token(&a, &SecretHash::of("rt-1"))
        .await?
        .ok_or("missing")?;
    assert!(rt.revoked);
    let rotated = store
        .rotate_refresh_token(&a, &rt.token_hash, &refresh("rt-1b", "g1"), 1_300)
        .await?;
    assert_eq!(rotated, Rotation::Reused);
    assert!(!matches!(
        store.take_code(&a, &pending.code_hash, 1_300).await?,
        TakenCode::Fresh(_)
    ));
    let polled = store
        .poll_device_code(&a, &ClientId::new("tv"), &SecretHash::of("dc"), 1_300)
        .await?;
    if let Some(d) = polled {
        assert!(
            d.status != DeviceStatus::Approved || d.consumed_at.is_some(),
            "{d:?}"
        );
    }
    // Session s2 and its token live on.
    assert!(
        store
            .session(&a, &SessionId::new("s2"), 1_300)
            .await?
            .is_some()
    );
    let rt2 = store
        .refresh_token(&a, &other.token_hash)
        .await?
        .ok_or("missing")?;
    assert!(!rt2.revoked);
    // Expired sessions are not revoked.
    assert!(
        !store
            .revoke_session(&a, &SessionId::new("s2"), 5_000)
            .await?
    );
    assert!(
        !store
            .revoke_session(&a, &SessionId::new("nope"), 1_300)
            .await?
    );
    Ok(())
}

/// Of many revocations of one session at once, exactly one reports it.
pub async fn session_is_revoked_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let id = format!("s{round}");
        store.create_session(&a, &session(&id, &id, 5_000)).await?;
        let results = race(&store, |store, i| {
            let (a, id) = (a.clone(), SessionId::new(id.clone()));
            async move { store.revoke_session(&a, &id, 1_000 + i as i64).await }
        })
        .await?;
        assert_eq!(
            results.iter().filter(|&&r| r).count(),
            1,
            "round {round}: {results:?}"
        );
    }
    Ok(())
}

/// An interaction reads back until its expiry, takes a session, moves its
/// expiry, and is deleted (twice harmlessly).
pub async fn interaction_lifecycle<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let id = SecretHash::of("interaction-1");
    let i = InteractionRecord {
        id_hash: id,
        request_json: r#"{"client_id":"c1","scope":"openid"}"#.to_owned(),
        session_id: None,
        created_at: 100,
        expires_at: 700,
    };
    store.create_interaction(&a, &i).await?;
    let got = store.interaction(&a, &id, 699).await?.ok_or("missing")?;
    assert_eq!(got.id_hash, id);
    assert_eq!(got.request_json, i.request_json);
    assert_eq!(got.session_id, None);
    assert_eq!((got.created_at, got.expires_at), (100, 700));
    assert!(store.interaction(&a, &id, 700).await?.is_none());
    let s1 = SessionId::new("s1");
    store.set_interaction_session(&a, &id, &s1).await?;
    let got = store.interaction(&a, &id, 0).await?.ok_or("missing")?;
    assert_eq!(got.session_id, Some(s1));
    store.extend_interaction(&a, &id, 5_000).await?;
    let got = store.interaction(&a, &id, 700).await?.ok_or("missing")?;
    assert_eq!(got.expires_at, 5_000);
    store
        .extend_interaction(&a, &SecretHash::of("nope"), 5_000)
        .await?;
    store.delete_interaction(&a, &id).await?;
    assert!(store.interaction(&a, &id, 0).await?.is_none());
    store.delete_interaction(&a, &id).await?;
    Ok(())
}

/// Saving a consent again replaces it; consents are per user and client.
pub async fn consent_is_replaced<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let (u1, c1) = (UserId::new("u1"), ClientId::new("c1"));
    assert!(store.consent(&a, &u1, &c1).await?.is_none());
    let mut consent = ConsentRecord {
        user_id: u1.clone(),
        client_id: c1.clone(),
        scope: "openid".to_owned(),
        updated_at: 10,
    };
    store.save_consent(&a, &consent).await?;
    consent.scope = "openid email profile".to_owned();
    consent.updated_at = 20;
    store.save_consent(&a, &consent).await?;
    let got = store.consent(&a, &u1, &c1).await?.ok_or("missing")?;
    assert_eq!((got.user_id, got.client_id), (u1.clone(), c1.clone()));
    assert_eq!(
        (got.scope.as_str(), got.updated_at),
        ("openid email profile", 20)
    );
    assert!(
        store
            .consent(&a, &u1, &ClientId::new("c2"))
            .await?
            .is_none()
    );
    assert!(store.consent(&a, &UserId::new("u2"), &c1).await?.is_none());
    Ok(())
}

/// A session's clients come back whole, first recorded first, each once
/// however often recorded; taking them forgets them, and other sessions
/// keep theirs.
pub async fn session_clients_are_taken_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for id in ["c1", "c2", "c3"] {
        store.create_client(&a, &client(id)).await?;
    }
    let (s1, s2) = (SessionId::new("s1"), SessionId::new("s2"));
    store
        .add_session_client(&a, &s1, &ClientId::new("c2"), 10)
        .await?;
    store
        .add_session_client(&a, &s1, &ClientId::new("c1"), 20)
        .await?;
    store
        .add_session_client(&a, &s1, &ClientId::new("c2"), 30)
        .await?;
    store
        .add_session_client(&a, &s2, &ClientId::new("c3"), 10)
        .await?;
    let taken = store.take_session_clients(&a, &s1).await?;
    assert_eq!(ids(&taken), ["c2", "c1"]);
    assert_eq!(
        taken[1].backchannel_logout_uri,
        client("c1").backchannel_logout_uri
    );
    assert_eq!(
        taken[1].frontchannel_logout_uri,
        client("c1").frontchannel_logout_uri
    );
    assert!(store.take_session_clients(&a, &s1).await?.is_empty());
    assert_eq!(ids(&store.take_session_clients(&a, &s2).await?), ["c3"]);
    Ok(())
}

/// Of many ends of one session at once, exactly one is told its clients.
pub async fn racing_session_ends_take_the_clients_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for id in ["c1", "c2"] {
        store.create_client(&a, &client(id)).await?;
    }
    for round in 0..ROUNDS {
        let s = SessionId::new(format!("s{round}"));
        for id in ["c1", "c2"] {
            store
                .add_session_client(&a, &s, &ClientId::new(id), 10)
                .await?;
        }
        let taken = race(&store, |store, _| {
            let (a, s) = (a.clone(), s.clone());
            async move { store.take_session_clients(&a, &s).await }
        })
        .await?;
        let told: Vec<_> = taken.iter().filter(|t| !t.is_empty()).collect();
        assert_eq!(
            told.len(),
            1,
            "round {round}: {} of {RACERS} were told",
            told.len()
        );
        assert_eq!(ids(told[0]), ["c1", "c2"]);
    }
    Ok(())
}

/// A client deleted since it was recorded is not returned.
pub async fn deleted_client_is_not_taken<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let s1 = SessionId::new("s1");
    for id in ["c1", "c2"] {
        store.create_client(&a, &client(id)).await?;
        store
            .add_session_client(&a, &s1, &ClientId::new(id), 10)
            .await?;
    }
    assert!(store.delete_client(&a, &ClientId::new("c1")).await?);
    assert_eq!(ids(&store.take_session_clients(&a, &s1).await?), ["c2"]);
    Ok(())
}

/// Through another tenant, no read finds a session, interaction, consent or
/// session client, and no write changes them; the same ids may exist there.
pub async fn sessions_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let s = session("s1", "cookie-1", 5_000);
    let cookie = SecretHash::of("cookie-1");
    store.create_session(&a, &s).await?;
    assert!(store.session_by_secret(&b, &cookie, 0).await?.is_none());
    assert!(store.session(&b, &s.id, 0).await?.is_none());
    assert!(store.user_sessions(&b, &s.user_id, 0).await?.is_empty());
    store.touch_session_auth(&b, &s.id, 5).await?;
    store.end_session(&b, &s.id, 5).await?;
    assert!(!store.revoke_session(&b, &s.id, 5).await?);
    let got = store
        .session_by_secret(&a, &cookie, 0)
        .await?
        .ok_or("ended through b")?;
    assert_eq!(got.auth_time, s.auth_time, "touched through b");
    assert!(
        !store
            .access_token_revoked(&a, access_token("j", None, Some(&s.id)))
            .await?
    );
    store.create_session(&b, &s).await?;

    let id = SecretHash::of("i1");
    let i = InteractionRecord {
        id_hash: id,
        request_json: "{}".to_owned(),
        session_id: None,
        created_at: 0,
        expires_at: 700,
    };
    store.create_interaction(&a, &i).await?;
    assert!(store.interaction(&b, &id, 0).await?.is_none());
    store.set_interaction_session(&b, &id, &s.id).await?;
    store.extend_interaction(&b, &id, 5_000).await?;
    store.delete_interaction(&b, &id).await?;
    let got = store
        .interaction(&a, &id, 0)
        .await?
        .ok_or("deleted through b")?;
    assert_eq!((got.session_id, got.expires_at), (None, 700));
    store.create_interaction(&b, &i).await?;

    let consent = ConsentRecord {
        user_id: UserId::new("u1"),
        client_id: ClientId::new("c1"),
        scope: "openid".to_owned(),
        updated_at: 10,
    };
    store.save_consent(&a, &consent).await?;
    assert!(
        store
            .consent(&b, &consent.user_id, &consent.client_id)
            .await?
            .is_none()
    );
    store
        .save_consent(
            &b,
            &ConsentRecord {
                scope: "email".to_owned(),
                ..consent.clone()
            },
        )
        .await?;
    let got = store
        .consent(&a, &consent.user_id, &consent.client_id)
        .await?;
    assert_eq!(got.ok_or("missing")?.scope, "openid");

    // The same client id in both tenants: each session sees its own.
    store.create_client(&a, &client("c1")).await?;
    store
        .create_client(
            &b,
            &ClientRecord {
                name: "B's client".to_owned(),
                ..client("c1")
            },
        )
        .await?;
    store
        .add_session_client(&a, &s.id, &ClientId::new("c1"), 10)
        .await?;
    assert!(store.take_session_clients(&b, &s.id).await?.is_empty());
    let taken = store.take_session_clients(&a, &s.id).await?;
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].name, "Client c1");
    store
        .add_session_client(&b, &s.id, &ClientId::new("c1"), 10)
        .await?;
    assert!(store.take_session_clients(&a, &s.id).await?.is_empty());
    assert_eq!(
        store.take_session_clients(&b, &s.id).await?[0].name,
        "B's client"
    );
    Ok(())
}
