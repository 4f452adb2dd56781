//! What many instances on one database rely on, checked on a real server
//! (skipped without one unless `IDP_REQUIRE_POSTGRES=1`): row-level
//! security holds even for a query the store would never write (the
//! platform's tables and the whole audit log seen only under the
//! registry, audit events never updated); a job's
//! lease is held by one process at a time and freed when its holder dies;
//! two instances running the scheduled key rotation at once store one key
//! set; changes made through one pool reach another's change feed; two
//! stores migrating at once apply each migration once.

use idp_core::admin::{NewRole, NewTenant};
use idp_core::crypto::envelope::MasterKey;
use idp_core::ids::TenantId;
use idp_core::store::{
    AdminChange, ApiKeyStore, AuditStore, IdempotencyStore, KeyStore, Operations, StoreChange,
    TenantStore, UpstreamStore, UserRecord, UserStore,
};
use idp_core::{EmailAddress, Provider, ProviderConfig};
use idp_store_postgres::scratch::ScratchDatabase;
use idp_store_postgres::{APP_ROLE, PoolSettings, PostgresStore};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Outcome = Result<(), Box<dyn std::error::Error + Send + Sync>>;

async fn database() -> Result<Option<ScratchDatabase>, Box<dyn std::error::Error + Send + Sync>> {
    ScratchDatabase::create().await
}

async fn store(
    db: &ScratchDatabase,
) -> Result<PostgresStore, Box<dyn std::error::Error + Send + Sync>> {
    Ok(PostgresStore::connect(db.url(), PoolSettings::default()).await?)
}

/// A connection as the URL's user (the tables' owner), outside the store.
async fn owner(db: &ScratchDatabase) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}

fn user(id: &str, email: &str) -> UserRecord {
    idp_core::contract::samples::user(id, email)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_level_security_hides_every_row_without_the_tenant_setting() -> Outcome {
    let Some(db) = database().await? else {
        return Ok(());
    };
    let store = store(&db).await?;
    let provider = Provider::new(
        store.clone(),
        ProviderConfig::new(
            "http://idp.test",
            MasterKey::from_hex(&MasterKey::generate_hex())?,
        ),
    );
    let acme = provider
        .admin()
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            NewTenant::new("acme", "Acme"),
        )
        .await?;
    let other = provider
        .admin()
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            NewTenant::new("other", "Other"),
        )
        .await?;
    store
        .create_user(&acme.id, &user("u1", "ada@example.com"))
        .await?;
    store
        .create_user(&other.id, &user("u2", "bob@example.com"))
        .await?;
    // Admin API rows: a role assigned to Ada (tenant data, audited), and
    // the platform's API key, root key and idempotency key.
    let cli = idp_core::AuditContext::cli("test");
    let role = NewRole {
        name: "auditor".to_owned(),
        description: String::new(),
    };
    provider.admin().create_role(&cli, "acme", role).await?;
    provider
        .admin()
        .assign_role(&cli, "acme", "u1", "auditor")
        .await?;
    let key = idp_core::contract::api_keys::api_key("k1", true);
    let event = idp_core::contract::audit::event("api_key.create", None);
    store
        .apply_audited(AdminChange::CreateApiKey { key: &key }, &event)
        .await?;
    store.api_key_root(b"sealed root").await?;
    // Upstream login rows: an upstream of acme, Ada's identity, a flight.
    let okta = idp_core::contract::upstreams::upstream("okta");
    let event = idp_core::store::AuditEvent {
        tenant_id: Some(acme.id.clone()),
        ..idp_core::contract::audit::event("upstream.create", Some("acme"))
    };
    let change = AdminChange::CreateUpstream {
        tenant: &acme.id,
        upstream: &okta,
    };
    store.apply_audited(change, &event).await?;
    let ada = idp_core::contract::upstreams::identity("okta", "ada-sub", "u1");
    let event = idp_core::store::AuditEvent {
        tenant_id: Some(acme.id.clone()),
        ..idp_core::contract::audit::event("user.identity_link", Some("acme"))
    };
    let change = AdminChange::LinkIdentity {
        tenant: &acme.id,
        identity: &ada,
    };
    store.apply_audited(change, &event).await?;
    let flight = idp_core::contract::upstreams::flight("state", "okta", i64::MAX);
    store.put_flight(&acme.id, &flight).await?;
    let claim = idp_core::contract::idempotency::claim("scope", "fingerprint");
    store.claim_idempotency_key(&claim, 1_000).await?;

    // The owner (who migrated) sees both users: the rows are there.
    let owner = owner(&db).await?;
    let all: i64 = owner
        .query_one("SELECT count(*) FROM users", &[])
        .await?
        .try_get(0)?;
    assert_eq!(all, 2);

    // As the application role, a deliberately unscoped query sees nothing,
    // in every table of tenant data; with a tenant's setting, only its rows.
    owner.batch_execute(&format!("SET ROLE {APP_ROLE}")).await?;
    for table in [
        "users",
        "signing_keys",
        "clients",
        "sessions",
        "refresh_tokens",
        "codes",
        "login_failures",
        "roles",
        "user_roles",
        "audit_events",
        "api_keys",
        "api_key_root",
        "idempotency_keys",
        "upstreams",
        "linked_identities",
        "upstream_flights",
    ] {
        let n: i64 = owner
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await?
            .try_get(0)?;
        assert_eq!(n, 0, "{table} without idp.tenant");
    }
    // `sql`'s first column (text) under a setting: `idp.tenant` = the
    // tenant's id, or `idp.registry` = 'on' for `None`.
    let scoped = |tenant: Option<&TenantId>, sql: &'static str| {
        let tenant = tenant.map(|t| t.as_str().to_owned());
        let owner = &owner;
        async move {
            owner.batch_execute("BEGIN").await?;
            match &tenant {
                Some(tenant) => {
                    owner
                        .execute("SELECT set_config('idp.tenant', $1, true)", &[tenant])
                        .await?
                }
                None => {
                    owner
                        .execute("SELECT set_config('idp.registry', 'on', true)", &[])
                        .await?
                }
            };
            let values: Vec<String> = owner
                .query(sql, &[])
                .await?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?;
            owner.batch_execute("COMMIT").await?;
            Ok::<_, tokio_postgres::Error>(values)
        }
    };
    let emails = "SELECT email FROM users";
    assert_eq!(scoped(Some(&acme.id), emails).await?, ["ada@example.com"]);
    assert_eq!(scoped(Some(&other.id), emails).await?, ["bob@example.com"]);
    assert!(
        scoped(Some(&TenantId::new("nobody")), emails)
            .await?
            .is_empty()
    );
    let roles = "SELECT user_id || ':' || role FROM user_roles
                 UNION ALL SELECT name FROM roles ORDER BY 1";
    assert_eq!(
        scoped(Some(&acme.id), roles).await?,
        ["auditor", "u1:auditor"]
    );
    assert!(scoped(Some(&other.id), roles).await?.is_empty());
    let upstream = "SELECT id FROM upstreams UNION ALL SELECT subject FROM linked_identities
                    UNION ALL SELECT upstream_id FROM upstream_flights ORDER BY 1";
    assert_eq!(
        scoped(Some(&acme.id), upstream).await?,
        ["ada-sub", "okta", "okta"]
    );
    assert!(scoped(Some(&other.id), upstream).await?.is_empty());
    // A tenant sees its own events only; the registry sees every event,
    // the tenant-less one included, and the platform's tables, which no
    // tenant sees.
    let events = "SELECT action FROM audit_events ORDER BY id";
    assert_eq!(
        scoped(Some(&acme.id), events).await?,
        [
            "tenant.create",
            "role.create",
            "role.assign",
            "upstream.create",
            "user.identity_link"
        ]
    );
    assert_eq!(scoped(Some(&other.id), events).await?, ["tenant.create"]);
    assert_eq!(
        scoped(None, events).await?,
        [
            "tenant.create",
            "tenant.create",
            "role.create",
            "role.assign",
            "api_key.create",
            "upstream.create",
            "user.identity_link"
        ]
    );
    let platform = "SELECT id FROM api_keys UNION ALL SELECT scope FROM idempotency_keys
                    UNION ALL SELECT encode(sealed, 'escape') FROM api_key_root ORDER BY 1";
    assert_eq!(
        scoped(None, platform).await?,
        ["k1", "scope", "sealed root"]
    );
    assert!(scoped(Some(&acme.id), platform).await?.is_empty());
    // Events are append-only: no update, even under the registry.
    owner.batch_execute("BEGIN").await?;
    owner
        .execute("SELECT set_config('idp.registry', 'on', true)", &[])
        .await?;
    let rewritten = owner
        .execute("UPDATE audit_events SET action = 'nothing.happened'", &[])
        .await;
    assert!(rewritten.is_err(), "an audit event was rewritten");
    owner.batch_execute("ROLLBACK").await?;
    // A tenant's transaction cannot delete its events: only the registry
    // (the retention purge) does.
    owner.batch_execute("BEGIN").await?;
    owner
        .execute(
            "SELECT set_config('idp.tenant', $1, true)",
            &[&acme.id.as_str()],
        )
        .await?;
    let erased = owner.execute("DELETE FROM audit_events", &[]).await?;
    assert_eq!(erased, 0, "a tenant deleted its audit events");
    owner.batch_execute("ROLLBACK").await?;
    // Writing another tenant's row under one tenant's setting is refused.
    owner.batch_execute("BEGIN").await?;
    owner
        .execute(
            "SELECT set_config('idp.tenant', $1, true)",
            &[&acme.id.as_str()],
        )
        .await?;
    let forged = owner
        .execute(
            "INSERT INTO consents (tenant_id, user_id, client_id, scope, updated_at)
             VALUES ($1, 'u', 'c', 'openid', 0)",
            &[&other.id.as_str()],
        )
        .await;
    assert!(forged.is_err(), "a row of another tenant was written");
    owner.batch_execute("ROLLBACK").await?;
    owner.batch_execute("BEGIN").await?;
    owner
        .execute(
            "SELECT set_config('idp.tenant', $1, true)",
            &[&acme.id.as_str()],
        )
        .await?;
    let forged = owner
        .execute(
            "INSERT INTO roles (tenant_id, name, description, created_at)
             VALUES ($1, 'forged', '', 0)",
            &[&other.id.as_str()],
        )
        .await;
    assert!(forged.is_err(), "a role of another tenant was written");
    owner.batch_execute("ROLLBACK").await?;
    // The application role owns nothing and cannot bypass the policies.
    let (bypass, owns): (bool, i64) = {
        let row = owner
            .query_one(
                "SELECT rolbypassrls, (SELECT count(*) FROM pg_tables
                   WHERE schemaname = current_schema() AND tableowner = $1)
                 FROM pg_roles WHERE rolname = $1",
                &[&APP_ROLE],
            )
            .await?;
        (row.try_get(0)?, row.try_get(1)?)
    };
    assert!(!bypass);
    assert_eq!(owns, 0);
    // Every table with a tenant_id is under row-level security.
    let unprotected: Vec<String> = owner
        .query(
            "SELECT c.relname::text FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
             WHERE n.nspname = current_schema() AND c.relkind = 'r'
               AND NOT (c.relrowsecurity AND EXISTS (
                   SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid))
             ORDER BY 1",
            &[],
        )
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    assert!(unprotected.is_empty(), "{unprotected:?}");
    // And the store itself finds Ada only through her tenant.
    assert!(
        store
            .user_by_email(&other.id, &EmailAddress::parse("ada@example.com")?)
            .await?
            .is_none()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_lease_is_held_once_and_freed_with_its_holder() -> Outcome {
    let Some(db) = database().await? else {
        return Ok(());
    };
    let (one, two) = (store(&db).await?, store(&db).await?);
    let lease = one.job_lease("purge").await?;
    assert!(lease.is_some(), "the first instance gets the lease");
    assert!(
        two.job_lease("purge").await?.is_none(),
        "the second does not"
    );
    assert!(
        two.job_lease("key_rotation").await?.is_some(),
        "other jobs are free"
    );
    drop(lease);
    // The holder's connection closes with the lease; the server notices at once.
    let started = Instant::now();
    loop {
        if let Some(lease) = two.job_lease("purge").await? {
            drop(lease);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the lease was never freed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_running_the_scheduled_rotation_store_one_key_set() -> Outcome {
    let Some(db) = database().await? else {
        return Ok(());
    };
    let master = MasterKey::generate_hex();
    let provider = |store: PostgresStore| -> Result<_, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Arc::new(Provider::new(
            store,
            ProviderConfig::new("http://idp.test", MasterKey::from_hex(&master)?),
        )))
    };
    let (a, b) = (provider(store(&db).await?)?, provider(store(&db).await?)?);
    for round in 0..5 {
        // A new tenant each round: the last round's keys are still pending,
        // so its tenant is no longer due.
        let slug = format!("acme{round}");
        let tenant = a
            .admin()
            .create_tenant(
                &idp_core::AuditContext::cli("test"),
                NewTenant::new(&slug, "Acme"),
            )
            .await?;
        let before = a.store().signing_keys(&tenant.id).await?.len();
        // Due at once (rotate after 0 s): both instances find it due.
        let (ra, rb) = tokio::join!(a.rotate_due_keys(Some(0), 0), b.rotate_due_keys(Some(0), 0));
        let (ra, rb) = (ra?, rb?);
        assert_eq!(
            ra.rotated.len() + rb.rotated.len(),
            1,
            "round {round}: exactly one instance rotates ({} and {} rotated, {} and {} lost)",
            ra.rotated.len(),
            rb.rotated.len(),
            ra.lost_race,
            rb.lost_race
        );
        let keys = a.store().signing_keys(&tenant.id).await?;
        assert_eq!(keys.len(), before * 2, "round {round}: one key set added");
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_through_one_pool_reach_the_change_feed_of_another() -> Outcome {
    let Some(db) = database().await? else {
        return Ok(());
    };
    let (writer, listener) = (store(&db).await?, store(&db).await?);
    let seen: Arc<Mutex<Vec<StoreChange>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let _watch = listener
        .watch_changes(Box::new(move |c| {
            if let Ok(mut v) = sink.lock() {
                v.push(c);
            }
        }))
        .ok_or("PostgreSQL watches changes")?;
    // The feed reports Unknown once connected.
    let wait_for = |want: StoreChange| {
        let seen = Arc::clone(&seen);
        async move {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(1) {
                if seen.lock().is_ok_and(|v| v.contains(&want)) {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            false
        }
    };
    assert!(wait_for(StoreChange::Unknown).await, "connected");
    let provider = Provider::new(
        writer.clone(),
        ProviderConfig::new(
            "http://idp.test",
            MasterKey::from_hex(&MasterKey::generate_hex())?,
        ),
    );
    let tenant = provider
        .admin()
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            NewTenant::new("acme", "Acme"),
        )
        .await?;
    // A key change names the tenant.
    assert!(
        wait_for(StoreChange::Tenant(tenant.id.clone())).await,
        "{:?}",
        seen.lock().map(|v| v.clone())
    );
    assert!(writer.tenant_by_slug("acme").await?.is_some());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_migrating_at_once_apply_each_migration_once() -> Outcome {
    let Some(db) = database().await? else {
        return Ok(());
    };
    let url = db.url().to_owned();
    let starts: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url, PoolSettings::default()).await })
        })
        .collect();
    for start in starts {
        start.await??;
    }
    let owner = owner(&db).await?;
    // Each migration ran once (the version is the key), every one of
    // them, and the last is the binary's.
    let row = owner
        .query_one(
            "SELECT count(*), max(version)::bigint FROM idp_schema_migrations",
            &[],
        )
        .await?;
    let (versions, last): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
    // Numbers are handed out per branch, so the list may have a gap until
    // every branch is merged: count the files, not the last number.
    let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))?
        .filter(|f| {
            f.as_ref()
                .is_ok_and(|f| f.file_name().to_string_lossy().ends_with(".sql"))
        })
        .count();
    assert_eq!(versions, i64::try_from(files)?);
    assert_eq!(last, i64::from(idp_store_postgres::SCHEMA_VERSION));
    Ok(())
}
