//! [`UserStore`](crate::store::UserStore): users and the canonical-email
//! index.

use super::samples::{email, two_tenants, user};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::ids::UserId;
use crate::store::{Store, StoreError, UserRecord};
use std::sync::Arc;

fn assert_same(got: &UserRecord, want: &UserRecord) {
    assert_eq!(got.id, want.id);
    assert_eq!(got.email, want.email);
    assert_eq!(got.email_verified, want.email_verified);
    assert_eq!(got.name, want.name);
    assert_eq!(got.password_hash, want.password_hash);
    assert_eq!(got.created_at, want.created_at);
    assert_eq!(got.updated_at, want.updated_at);
}

/// A user reads back field for field by id and by canonical email, with
/// its optional fields set or not.
pub async fn user_round_trips_by_id_and_email<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let ada = user("u1", "ada@example.com");
    store.create_user(&a, &ada).await?;
    assert_same(&store.user(&a, &ada.id).await?.ok_or("by id")?, &ada);
    let by_email = store.user_by_email(&a, &email("ada@example.com")?).await?;
    assert_same(&by_email.ok_or("by email")?, &ada);
    // The lookup is of the canonical form, which the core computes.
    assert!(
        store
            .user_by_email(&a, &email("ADA@EXAMPLE.COM")?)
            .await?
            .is_some()
    );
    assert!(
        store
            .user_by_email(&a, &email("ada2@example.com")?)
            .await?
            .is_none()
    );

    let bare = UserRecord {
        email_verified: false,
        name: None,
        password_hash: None,
        ..user("u2", "bob@example.com")
    };
    store.create_user(&a, &bare).await?;
    assert_same(&store.user(&a, &bare.id).await?.ok_or("bare")?, &bare);
    assert!(store.user(&a, &UserId::new("nope")).await?.is_none());
    Ok(())
}

/// A user id or canonical email in use in the tenant is a `Conflict`.
pub async fn user_ids_and_emails_are_unique_per_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store
        .create_user(&a, &user("u1", "ada@example.com"))
        .await?;
    for clash in [
        user("u2", "ada@example.com"),
        user("u1", "other@example.com"),
    ] {
        let result = store.create_user(&a, &clash).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    assert!(store.user(&a, &UserId::new("u2")).await?.is_none());
    assert!(
        store
            .user_by_email(&a, &email("other@example.com")?)
            .await?
            .is_none()
    );
    Ok(())
}

/// A bulk import writes every user, or none if one id or email is taken
/// (also within the batch itself).
pub async fn bulk_users_are_all_or_nothing<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let batch: Vec<_> = (0..200)
        .map(|i| user(&format!("u{i}"), &format!("user{i}@example.com")))
        .collect();
    store.create_users(&a, &batch).await?;
    let last = store
        .user_by_email(&a, &email("user199@example.com")?)
        .await?;
    assert_eq!(last.map(|u| u.id), Some(UserId::new("u199")));
    for clash in [
        vec![
            user("fresh", "fresh@example.com"),
            user("dup", "user7@example.com"),
        ],
        vec![
            user("fresh", "fresh@example.com"),
            user("u7", "new@example.com"),
        ],
        vec![
            user("fresh", "fresh@example.com"),
            user("x", "same@example.com"),
            user("y", "same@example.com"),
        ],
    ] {
        let result = store.create_users(&a, &clash).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
        assert!(store.user(&a, &UserId::new("fresh")).await?.is_none());
        assert!(store.user(&a, &UserId::new("x")).await?.is_none());
        assert!(
            store
                .user_by_email(&a, &email("fresh@example.com")?)
                .await?
                .is_none()
        );
    }
    store.create_users(&a, &[]).await?;
    Ok(())
}

/// Imports racing with one shared email: exactly one batch is written,
/// whole; every other one wrote nothing.
pub async fn racing_bulk_imports_do_not_mix<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let shared = format!("shared{round}@example.com");
        let results = race(&store, |store, i| {
            let a = a.clone();
            let mut batch: Vec<_> = (0..10)
                .map(|j| {
                    user(
                        &format!("r{round}-t{i}-u{j}"),
                        &format!("r{round}-t{i}-{j}@example.com"),
                    )
                })
                .collect();
            batch.insert(5, user(&format!("r{round}-t{i}-shared"), &shared));
            async move {
                match store.create_users(&a, &batch).await {
                    Ok(()) => Ok(true),
                    Err(StoreError::Conflict(_)) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
        let winners: Vec<usize> = (0..RACERS).filter(|&i| results[i]).collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        for i in 0..RACERS {
            for j in [0, 9] {
                let id = UserId::new(format!("r{round}-t{i}-u{j}"));
                assert_eq!(
                    store.user(&a, &id).await?.is_some(),
                    i == winners[0],
                    "{id:?}"
                );
            }
        }
        let owner = store.user_by_email(&a, &email(&shared)?).await?;
        let want = UserId::new(format!("r{round}-t{}-shared", winners[0]));
        assert_eq!(owner.map(|u| u.id), Some(want));
    }
    Ok(())
}

/// Users created through the port are indexed: none is reported as
/// unindexed, and indexing one again changes nothing.
pub async fn users_created_through_the_port_are_indexed<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    store
        .create_user(&a, &user("u1", "ada@example.com"))
        .await?;
    store
        .create_users(&b, &[user("u1", "bob@example.com")])
        .await?;
    assert!(store.unindexed_emails().await?.is_empty());
    store
        .index_email(&a, &UserId::new("u1"), &email("other@example.com")?)
        .await?;
    let ada = store.user_by_email(&a, &email("ada@example.com")?).await?;
    assert_eq!(ada.map(|u| u.id), Some(UserId::new("u1")));
    assert!(
        store
            .user_by_email(&a, &email("other@example.com")?)
            .await?
            .is_none()
    );
    assert!(store.unindexed_emails().await?.is_empty());
    Ok(())
}

/// Another tenant neither sees a user by id or email nor re-indexes it, and
/// may hold the same id and email for its own.
pub async fn users_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let ada = user("u1", "ada@example.com");
    store.create_user(&a, &ada).await?;
    assert!(store.user(&b, &ada.id).await?.is_none());
    assert!(
        store
            .user_by_email(&b, &email("ada@example.com")?)
            .await?
            .is_none()
    );
    store
        .index_email(&b, &ada.id, &email("x@example.com")?)
        .await?;
    assert!(
        store
            .user_by_email(&a, &email("x@example.com")?)
            .await?
            .is_none()
    );
    let theirs = UserRecord {
        name: Some("B's Ada".to_owned()),
        ..ada.clone()
    };
    store.create_user(&b, &theirs).await?;
    let got = store.user_by_email(&a, &email("ada@example.com")?).await?;
    assert_eq!(got.ok_or("missing")?.name, ada.name);
    let got = store.user(&b, &ada.id).await?;
    assert_eq!(got.ok_or("missing")?.name, theirs.name);
    Ok(())
}
