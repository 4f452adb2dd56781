//! Bulk seeding for the "1,000,000 users and 100,000 clients" run: rows
//! written through the store's batch methods ([`Store::create_users`],
//! [`Store::create_clients`]), one transaction per batch, with one
//! precomputed argon2id hash shared by every user (hashing a million
//! passwords would take hours and measures nothing the bench asks).
//! `--database` is a SQLite location or a `postgres://` URL (issue 15).

use idp_core::crypto::{password, secret::SecretHash};
use idp_core::ids::{ClientId, UserId};
use idp_core::store::{
    ClientRecord, ClientStore, GrantType, TenantStore, TokenEndpointAuthMethod, UserRecord,
    UserStore,
};
use idp_store_postgres::{PoolSettings, PostgresStore};
use idp_store_sqlite::SqliteStore;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Seeds `users` users (`{prefix}{i}@bench.test`, password `bench-password`)
/// and `clients` confidential clients (`{prefix}-client-{i}`, secret
/// `seed-secret-{i}`).
pub async fn seed(
    database: &str,
    slug: &str,
    prefix: &str,
    users: usize,
    clients: usize,
    batch: usize,
) -> anyhow::Result<()> {
    if database.starts_with("postgres://") || database.starts_with("postgresql://") {
        let store = PostgresStore::connect(database, PoolSettings::default()).await?;
        seed_into(&store, slug, prefix, users, clients, batch).await
    } else {
        let store = SqliteStore::open(database)?;
        seed_into(&store, slug, prefix, users, clients, batch).await
    }
}

async fn seed_into<S: TenantStore + UserStore + ClientStore>(
    store: &S,
    slug: &str,
    prefix: &str,
    users: usize,
    clients: usize,
    batch: usize,
) -> anyhow::Result<()> {
    let tenant = store
        .tenant_by_slug(slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no tenant {slug}"))?
        .id;
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
    let phc = password::hash("bench-password").map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    for from in (0..users).step_by(batch.max(1)) {
        let rows: Vec<UserRecord> = (from..(from + batch).min(users))
            .map(|i| UserRecord {
                id: UserId::generate(),
                email: format!("{prefix}{i}@bench.test"),
                email_verified: true,
                name: Some(format!("Seed User {i}")),
                password_hash: Some(phc.clone()),
                disabled: false,
                created_at: now,
                updated_at: now,
            })
            .collect();
        store.create_users(&tenant, &rows).await?;
    }
    let users_secs = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for from in (0..clients).step_by(batch.max(1)) {
        let rows: Vec<ClientRecord> = (from..(from + batch).min(clients))
            .map(|i| ClientRecord {
                secret_hash: Some(SecretHash::of(&format!("seed-secret-{i}"))),
                auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
                redirect_uris: vec![format!("http://127.0.0.1:9/cb/{i}")],
                grant_types: vec![
                    GrantType::AuthorizationCode,
                    GrantType::RefreshToken,
                    GrantType::ClientCredentials,
                ],
                allowed_scopes: vec!["api".into()],
                ..ClientRecord::new(
                    ClientId::new(format!("{prefix}-client-{i}")),
                    format!("Seed client {i}"),
                    now,
                )
            })
            .collect();
        store.create_clients(&tenant, &rows).await?;
    }
    println!(
        "{}",
        serde_json::json!({
            "name": "seed", "users": users, "clients": clients,
            "users_secs": users_secs, "clients_secs": started.elapsed().as_secs_f64(),
        })
    );
    Ok(())
}
