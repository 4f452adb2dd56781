//! First start: the master key, the tenant, the demo user and the
//! application's own client. Every step is idempotent, so the application
//! simply runs it on every start.

use crate::{DEMO_EMAIL, DEMO_PASSWORD, TENANT};
use anyhow::{Context, anyhow};
use idp_core::admin::NewTenant;
use idp_core::crypto::envelope::MasterKey;
use idp_core::ids::ClientId;
use idp_core::store::ClientStore;
use idp_core::{AdminError, NewClient, NewUser, Provider};
use idp_store_sqlite::SqliteStore;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// The application's registration at its own provider.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AppClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`: the provider keeps only its hash, so the application
    /// keeps the secret in its data directory.
    pub client_secret: String,
    /// The registered redirect URI, `{app}/callback`.
    pub redirect_uri: String,
}

/// The master key wrapping the tenant's data key (which in turn seals its
/// private signing keys). Read from `{data_dir}/master.key`; generated there
/// with mode 0600 on first start. In production, take it from a secret store
/// instead, and never keep it next to the database backups.
pub fn master_key(data_dir: &Path) -> anyhow::Result<MasterKey> {
    let path = data_dir.join("master.key");
    let hex = match std::fs::read_to_string(&path) {
        Ok(hex) => hex,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let hex = MasterKey::generate_hex();
            write_private(&path, &hex)?;
            hex
        }
        Err(e) => return Err(anyhow!("cannot read {}: {e}", path.display())),
    };
    MasterKey::from_hex(&hex).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Makes sure the tenant, the demo user and the application's client exist,
/// and returns the client's credentials.
pub async fn provision(
    provider: &Provider<SqliteStore>,
    data_dir: &Path,
    redirect_uri: &str,
) -> anyhow::Result<AppClient> {
    let tenant = match provider.tenant(TENANT).await.map_err(|e| anyhow!("{e}"))? {
        Some(t) => t,
        None => {
            provider
                .admin()
                .create_tenant(&setup_actor(), NewTenant::new(TENANT, "Embedded demo"))
                .await?;
            provider
                .tenant(TENANT)
                .await
                .map_err(|e| anyhow!("{e}"))?
                .ok_or_else(|| anyhow!("tenant '{TENANT}' vanished after its creation"))?
        }
    };

    let demo = NewUser {
        email: DEMO_EMAIL.to_owned(),
        name: Some("Demo User".to_owned()),
        password: Some(DEMO_PASSWORD.to_owned()),
        email_verified: true,
    };
    match provider
        .admin()
        .create_user(&setup_actor(), TENANT, demo)
        .await
    {
        Ok(_) | Err(AdminError::Conflict { .. }) => {}
        Err(e) => return Err(e.into()),
    }

    // Reuse the saved client if the provider still knows it with this
    // redirect URI (the URI changes with the port); otherwise register anew.
    let path = data_dir.join("client.json");
    if let Some(saved) = read_client(&path)? {
        let stored = provider
            .store()
            .client(&tenant.record.id, &ClientId::new(saved.client_id.as_str()))
            .await?;
        if stored.is_some_and(|c| c.redirect_uris == [redirect_uri]) {
            return Ok(saved);
        }
    }
    let created = provider
        .admin()
        .create_client(
            &setup_actor(),
            TENANT,
            NewClient::new("Embedded example app", vec![redirect_uri.to_owned()]),
        )
        .await?;
    let client = AppClient {
        client_id: created.client.id.as_str().to_owned(),
        client_secret: created
            .secret
            .ok_or_else(|| anyhow!("a confidential client was registered without a secret"))?,
        redirect_uri: redirect_uri.to_owned(),
    };
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(anyhow!("cannot replace {}: {e}", path.display()));
        }
        _ => {}
    }
    write_private(&path, &serde_json::to_string_pretty(&client)?)?;
    Ok(client)
}

fn read_client(path: &Path) -> anyhow::Result<Option<AppClient>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            Ok(Some(serde_json::from_slice(&bytes).with_context(|| {
                format!("{} is not a saved client", path.display())
            })?))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

/// The audit log's actor for the demo's own set-up.
fn setup_actor() -> idp_core::AuditContext {
    idp_core::AuditContext::system("embedded-example-setup")
}
