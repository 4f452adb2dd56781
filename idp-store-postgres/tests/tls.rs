//! TLS to the database as `DATABASE_URL` asks (libpq's `sslmode`), against
//! the machine's PostgreSQL when it has TLS on (Debian's default: a
//! self-signed "snakeoil" certificate for `localhost`). Skipped, saying so,
//! when there is no server or it serves no TLS.

use idp_store_postgres::scratch::ScratchDatabase;
use idp_store_postgres::{OpenError, PoolSettings, PostgresStore};
use std::path::Path;

type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Debian's certificate of the local server (CN and SAN `localhost`).
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";

/// A scratch database on a server that serves TLS, or `None` (skipped).
async fn tls_database() -> Result<Option<ScratchDatabase>, Box<dyn std::error::Error + Send + Sync>>
{
    let Some(db) = ScratchDatabase::create().await? else {
        return Ok(None);
    };
    let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let ssl: String = client.query_one("SHOW ssl", &[]).await?.try_get(0)?;
    if ssl != "on" {
        eprintln!("skipped: the test PostgreSQL server has ssl = {ssl}");
        return Ok(None);
    }
    Ok(Some(db))
}

/// Whether the connections a store opened with `application_name=name`
/// on `db` are encrypted, as the server sees them (`pg_stat_ssl`, read by
/// the test's own superuser connection: the store's role may not see it).
async fn encrypted(
    db: &ScratchDatabase,
    store: &PostgresStore,
    name: &str,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    use idp_core::store::Operations;
    assert!(store.ready().await, "the store answers");
    let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    let row = client
        .query_one(
            "SELECT count(*), coalesce(bool_and(s.ssl), false)
             FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = $1 AND a.application_name = $2",
            &[&db.name(), &name],
        )
        .await?;
    let (connections, ssl): (i64, bool) = (row.try_get(0)?, row.try_get(1)?);
    assert!(connections > 0, "no connection named {name}");
    Ok(ssl)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_encrypts_and_disable_does_not() -> Outcome {
    let Some(db) = tls_database().await? else {
        return Ok(());
    };
    let required = PostgresStore::connect(
        &format!("{}?sslmode=require&application_name=required", db.url()),
        PoolSettings::default(),
    )
    .await?;
    assert!(
        encrypted(&db, &required, "required").await?,
        "sslmode=require gave a plain connection"
    );
    let plain = PostgresStore::connect(
        &format!("{}?sslmode=disable&application_name=plain", db.url()),
        PoolSettings::default(),
    )
    .await?;
    assert!(!encrypted(&db, &plain, "plain").await?);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_full_checks_the_certificate_and_the_host_name() -> Outcome {
    let Some(db) = tls_database().await? else {
        return Ok(());
    };
    if !Path::new(SNAKEOIL).exists() {
        eprintln!("skipped: no {SNAKEOIL}");
        return Ok(());
    }
    // The server's certificate, trusted, at the name it was issued for.
    let localhost = db.url().replacen("127.0.0.1", "localhost", 1);
    let verified = PostgresStore::connect(
        &format!(
            "{localhost}?sslmode=verify-full&sslrootcert={SNAKEOIL}&application_name=verified"
        ),
        PoolSettings::default(),
    )
    .await?;
    assert!(encrypted(&db, &verified, "verified").await?);
    // The same certificate at another name: refused.
    let wrong_name = PostgresStore::connect(
        &format!("{}?sslmode=verify-full&sslrootcert={SNAKEOIL}", db.url()),
        PoolSettings::default(),
    )
    .await;
    assert!(
        matches!(&wrong_name, Err(OpenError::Connect { reason, .. }) if reason.contains("certificate")),
        "{:?}",
        wrong_name.as_ref().err()
    );
    // Not issued by a public root: refused without sslrootcert.
    let untrusted = PostgresStore::connect(
        &format!("{localhost}?sslmode=verify-ca"),
        PoolSettings::default(),
    )
    .await;
    assert!(
        matches!(&untrusted, Err(OpenError::Connect { reason, .. }) if reason.contains("certificate")),
        "{:?}",
        untrusted.as_ref().err()
    );
    // A root file that is not there is named.
    let missing = PostgresStore::connect(
        &format!("{localhost}?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"),
        PoolSettings::default(),
    )
    .await;
    assert!(
        matches!(&missing, Err(OpenError::InvalidUrl { reason, .. }) if reason.contains("/nonexistent/ca.pem")),
        "{:?}",
        missing.as_ref().err()
    );
    Ok(())
}
