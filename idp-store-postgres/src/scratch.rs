//! Throw-away databases for tests: a fresh, uniquely named database on the
//! server `IDP_TEST_POSTGRES_URL` names (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), dropped when the guard
//! is dropped.
//!
//! When no server answers, [`ScratchDatabase::create`] returns `Ok(None)`
//! after printing one line saying why, so that `cargo test` passes for a
//! contributor without PostgreSQL; with `IDP_REQUIRE_POSTGRES=1` (set by
//! `.ci/run`) it is an error instead.

use std::sync::atomic::{AtomicU64, Ordering};
use tokio_postgres::NoTls;

/// Where the tests' PostgreSQL server is, unless `IDP_TEST_POSTGRES_URL` says.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A database that exists until this is dropped.
pub struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

/// Why a scratch database could not be had.
pub type ScratchError = Box<dyn std::error::Error + Send + Sync>;

impl ScratchDatabase {
    /// Creates a fresh database, or `Ok(None)` (one line printed) when no
    /// server answers and `IDP_REQUIRE_POSTGRES` is not `1`.
    pub async fn create() -> Result<Option<Self>, ScratchError> {
        let admin_url =
            std::env::var("IDP_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_owned());
        let client = match connect(&admin_url).await {
            Ok(client) => client,
            Err(e) => {
                let why = format!(
                    "no PostgreSQL server at {} ({e})",
                    crate::redact(&admin_url)
                );
                if std::env::var("IDP_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                    return Err(format!("{why}, and IDP_REQUIRE_POSTGRES=1").into());
                }
                eprintln!("skipped: {why}; set IDP_TEST_POSTGRES_URL to run the PostgreSQL tests");
                return Ok(None);
            }
        };
        let name = format!(
            "idp_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let url = with_database(&admin_url, &name);
        Ok(Some(Self {
            admin_url,
            name,
            url,
        }))
    }

    /// The database's URL (the server's URL with its name).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's URL the database was created through.
    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for ScratchDatabase {
    /// Drops the database from a thread of its own (a drop may run inside
    /// or outside a runtime), ending its connections first.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropper = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                if let Ok(client) = connect(&admin_url).await {
                    let _ = client
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        });
        let _ = dropper.join();
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let mut config: tokio_postgres::Config = url.parse()?;
    config.connect_timeout(std::time::Duration::from_secs(3));
    let (client, connection) = config.connect(NoTls).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(client)
}

/// `url` with its database (path) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_database_is_replaced_and_the_rest_kept() {
        assert_eq!(
            super::with_database("postgres://u@h:5432/postgres?sslmode=disable", "x"),
            "postgres://u@h:5432/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
    }
}
