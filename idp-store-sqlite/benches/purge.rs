//! How long a purge holds SQLite's write lock, and what a concurrent writer
//! waits meanwhile: 200,000 codes and 200,000 refresh tokens, half of each
//! expired, purged batch by batch while another connection inserts every
//! 2 ms. Prints figures; it asserts only that exactly the expired half went.
//!
//! `cargo bench -p idp-store-sqlite --bench purge` (the figures in ADR 0017).

use idp_core::ids::TenantId;
use idp_core::store::{Expiring, Maintenance, TenantRecord, TenantStore};
use idp_store_sqlite::SqliteStore;
use std::time::{Duration, Instant};

type BenchResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

fn main() -> BenchResult {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn purge_batch_for_timing(
    store: &SqliteStore,
    tenant: &TenantId,
    kind: Expiring,
) -> Result<u64, idp_core::store::StoreError> {
    store
        .purge_expired(tenant, kind, 5_000, idp_core::purge::PURGE_BATCH)
        .await
}

fn tenant(slug: &str) -> TenantRecord {
    TenantRecord {
        id: TenantId::new(format!("tid-{slug}")),
        slug: slug.to_owned(),
        name: format!("Tenant {slug}"),
        wrapped_data_key: vec![1, 2, 3],
        dynamic_registration: false,
        created_at: 1_700_000_000,
        state: idp_core::tenant::state::TenantState::Active,
        state_reason: None,
        state_changed_at: None,
        password_login: true,
    }
}

async fn run() -> BenchResult {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&format!("sqlite:{}", dir.path().join("idp.db").display()))?;
    let (a, b) = (tenant("a"), tenant("b"));
    store.create_tenant(&a, &[]).await?;
    store.create_tenant(&b, &[]).await?;
    let (a, b) = (a.id, b.id);
    const N: i64 = 200_000;
    {
        let mut conn = rusqlite::Connection::open(store.path())?;
        let tx = conn.transaction()?;
        {
            let mut code = tx.prepare(
                "INSERT INTO codes (tenant_id, code_hash, grant_id, client_id, user_id,
                   session_id, redirect_uri, scope, auth_time, expires_at)
                 VALUES (?1, randomblob(32), 'g', 'c', 'u', 's', 'https://rp/cb', 'openid', 0, ?2)",
            )?;
            let mut rt = tx.prepare(
                "INSERT INTO refresh_tokens (tenant_id, token_hash, grant_id, client_id,
                   user_id, session_id, scope, auth_time, issued_at, expires_at)
                 VALUES (?1, randomblob(32), ?2, 'c', 'u', 's', 'openid', 0, 0, ?3)",
            )?;
            for i in 0..N {
                // Half expired (at 1_000), half live (at 10_000), interleaved.
                let exp = if i % 2 == 0 { 1_000 } else { 10_000 };
                code.execute(rusqlite::params![a.as_str(), exp])?;
                // Families of 4 members; every other family wholly expired.
                let family = i / 4;
                let exp = if family % 2 == 0 { 1_000 } else { 10_000 };
                rt.execute(rusqlite::params![a.as_str(), format!("g{family}"), exp])?;
            }
        }
        tx.commit()?;
    }
    for kind in [Expiring::AuthorizationCodes, Expiring::RefreshTokens] {
        // A writer on another connection, as the token endpoint would be.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writer = {
            let (stop, path, tenant) = (stop.clone(), store.path().to_owned(), b.clone());
            std::thread::spawn(move || -> rusqlite::Result<Vec<Duration>> {
                let conn = rusqlite::Connection::open(path)?;
                conn.busy_timeout(Duration::from_secs(5))?;
                let mut waits = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let t = Instant::now();
                    conn.execute(
                        "INSERT INTO revoked_access_tokens (tenant_id, jti, keep_until)
                         VALUES (?1, ?2, 0)",
                        rusqlite::params![tenant.as_str(), format!("{}-{i}", kind.as_str())],
                    )?;
                    waits.push(t.elapsed());
                    i += 1;
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(waits)
            })
        };
        let (mut total, mut batches, mut longest) = (0, 0, Duration::ZERO);
        let started = Instant::now();
        loop {
            let t = Instant::now();
            let n = purge_batch_for_timing(&store, &a, kind).await?;
            longest = longest.max(t.elapsed());
            total += n;
            batches += 1;
            if n < u64::from(idp_core::purge::PURGE_BATCH) {
                break;
            }
        }
        let elapsed = started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut waits = writer.join().map_err(|_| "writer panicked")??;
        waits.sort();
        let pct = |p: usize| waits[(waits.len() - 1) * p / 100];
        println!(
            "{}: {total} of {N} rows deleted in {batches} batches, {elapsed:?} in all, \
             longest call {longest:?}; a concurrent writer's {} inserts: median {:?}, p99 {:?}, max {:?}",
            kind.as_str(),
            waits.len(),
            pct(50),
            pct(99),
            pct(100)
        );
        if total as i64 != N / 2 {
            return Err(format!("{total} rows purged, expected {}", N / 2).into());
        }
    }
    Ok(())
}
