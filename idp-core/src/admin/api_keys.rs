//! Admin API keys (`crate::api_key`): minting, listing and revoking their
//! records, the platform's root key pair, and authorizing a request made
//! with a key.

use super::Admin;
use super::error::{AdminError, ObjectKind, Problems};
use super::page::{List, Page, PageRequest};
use crate::api_key::{
    AccessRequest, ApiKeyError, ApiKeyVerifier, Denied, Restriction, VerifiedKey, mint, root,
};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::clock::UnixTime;
use crate::store::{AdminChange, ApiKeyRecord, Applied, Store};
use biscuit_auth::KeyPair;

/// The longest key name.
const MAX_NAME: usize = 64;

/// A key to create.
#[derive(Clone, Debug, Default)]
pub struct NewApiKey {
    /// A name for people (what it is for); may be empty, at most 64 characters.
    pub name: String,
    /// Limit it to this tenant (slug); the tenant must exist.
    pub tenant: Option<String>,
    /// Limit it to reads.
    pub read_only: bool,
    /// It stops working at this time (must be in the future).
    pub expires_at: Option<UnixTime>,
}

/// A key just created: its record and the key itself, which is shown once
/// and never stored.
pub struct IssuedApiKey {
    /// The record, as lists show it.
    pub record: ApiKeyRecord,
    /// The key (a Biscuit token, URL-safe base64).
    pub key: String,
}

impl std::fmt::Debug for IssuedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedApiKey")
            .field("record", &self.record)
            .finish_non_exhaustive()
    }
}

fn check_name(name: &str) -> Result<(), String> {
    if name.chars().count() > MAX_NAME {
        return Err(format!("name must be at most {MAX_NAME} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters".into());
    }
    Ok(())
}

/// A fresh key id: 128 random bits, base64url, starting with a letter or
/// digit (so it never reads as a flag on a command line).
fn new_key_id() -> String {
    loop {
        let id = crate::crypto::random::token(16);
        if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return id;
        }
    }
}

fn internal(e: ApiKeyError) -> AdminError {
    AdminError::Internal(e.to_string())
}

impl<S: Store> Admin<S> {
    /// The root key pair, created on first use: every process offers a
    /// fresh candidate and the store keeps the first one stored.
    pub(crate) async fn api_key_root(&self) -> Result<KeyPair, AdminError> {
        let master = &self.config.master_key;
        let candidate = root::generate_sealed(master).map_err(internal)?;
        let stored = self.store.api_key_root(&candidate).await?;
        root::open(master, &stored).map_err(internal)
    }

    /// Creates a key. The returned [`IssuedApiKey::key`] is the only copy:
    /// the store keeps the record, the audit event names the key's id.
    pub async fn create_api_key(
        &self,
        ctx: &AuditContext,
        new: NewApiKey,
    ) -> Result<IssuedApiKey, AdminError> {
        let now = self.clock.now();
        let mut problems = Problems::default();
        problems.check("name", check_name(&new.name));
        if new.expires_at.is_some_and(|t| t <= now) {
            problems.add("expires_at", "the expiry must be in the future");
        }
        problems.finish()?;
        let tenant = match &new.tenant {
            Some(slug) => Some(self.tenant(slug).await?),
            None => None,
        };
        let root = self.api_key_root().await?;
        let id = new_key_id();
        let restriction = Restriction {
            tenant: new.tenant.clone(),
            read_only: new.read_only,
            expires_at: new.expires_at,
        };
        let minted = mint::mint(&root, &id, &restriction).map_err(internal)?;
        let record = ApiKeyRecord {
            id,
            name: new.name,
            tenant: new.tenant,
            read_only: new.read_only,
            expires_at: new.expires_at,
            revocation_id: minted.revocation_id.clone(),
            created_at: now,
            revoked_at: None,
        };
        let event = ctx.event(
            AuditAction::ApiKeyCreate,
            tenant.as_deref(),
            Target::new("api_key", &record.id),
            Changes::none()
                .set("name", &record.name)
                .set_some("tenant", record.tenant.as_deref())
                .set("read_only", record.read_only)
                .time("expires_at", record.expires_at),
            now,
        );
        let change = AdminChange::CreateApiKey { key: &record };
        let what = format!("api key '{}'", record.id);
        match &tenant {
            // A key limited to a tenant counts against its tier.
            Some(t) => {
                crate::tier::apply_within_limit(
                    &*self.store,
                    (&t.record.id, &t.record.slug),
                    crate::tier::Limit::ApiKeys,
                    change,
                    &event,
                    now,
                    what,
                )
                .await?;
            }
            None => {
                self.store
                    .apply_audited(change, &event)
                    .await
                    .map_err(AdminError::conflict_as(what))?;
            }
        }
        Ok(IssuedApiKey {
            record,
            key: minted.key,
        })
    }

    /// A page of the keys' records, by id.
    pub async fn list_api_keys(
        &self,
        page: &PageRequest,
    ) -> Result<Page<ApiKeyRecord>, AdminError> {
        let (limit, after) = page.resolve(List::ApiKeys)?;
        let rows = self
            .store
            .api_keys_page(after.as_deref(), limit + 1)
            .await?;
        Ok(Page::from_rows(List::ApiKeys, rows, limit, |r| {
            r.id.as_str()
        }))
    }

    /// The record of the key `id`.
    pub async fn get_api_key(&self, id: &str) -> Result<ApiKeyRecord, AdminError> {
        self.store
            .api_key(id)
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::ApiKey, id))
    }

    /// Revokes the key `id` and with it every attenuation of it; revoking
    /// a revoked key changes nothing (and records no event) and succeeds.
    pub async fn revoke_api_key(&self, ctx: &AuditContext, id: &str) -> Result<(), AdminError> {
        let record = self.get_api_key(id).await?;
        if record.revoked_at.is_some() {
            return Ok(());
        }
        // The event names the key's tenant if it still exists.
        let tenant = match &record.tenant {
            Some(slug) => self.tenant(slug).await.ok(),
            None => None,
        };
        let now = self.clock.now();
        let event = ctx.event(
            AuditAction::ApiKeyRevoke,
            tenant.as_deref(),
            Target::new("api_key", id),
            Changes::none().time("revoked_at", Some(now)),
            now,
        );
        let change = AdminChange::RevokeApiKey { id, at: now };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::ApiKey, id));
        }
        Ok(())
    }

    /// Authenticates `token` and authorizes `req` with it: the signature
    /// chain (`verifier`), the key's record (unknown or revoked keys are
    /// refused; the token's authority block must be the record's), then
    /// the authorizer (see `crate::api_key::verify` for the denials).
    pub async fn authorize_api_key(
        &self,
        verifier: &ApiKeyVerifier,
        token: &str,
        req: &AccessRequest<'_>,
    ) -> Result<(VerifiedKey, ApiKeyRecord), Denied> {
        let (key, record) = self.authenticate_api_key(verifier, token).await?;
        key.decide(req)?;
        Ok((key, record))
    }

    /// Authenticates `token`: the signature chain (`verifier`) and the
    /// key's record (unknown or revoked keys are refused; the token's
    /// authority block must be the record's). What the key may do is
    /// [`crate::admin::policy`]'s.
    pub async fn authenticate_api_key(
        &self,
        verifier: &ApiKeyVerifier,
        token: &str,
    ) -> Result<(VerifiedKey, ApiKeyRecord), Denied> {
        let key = verifier.verify(token)?;
        let record = match self.store.api_key(key.key_id()).await {
            Ok(Some(record)) => record,
            Ok(None) => return Err(Denied::Unauthenticated("unknown key")),
            Err(e) => {
                tracing::warn!(error = %e, "API key records cannot be read");
                return Err(Denied::Unavailable);
            }
        };
        if record.revocation_id != key.revocation_id() {
            return Err(Denied::Unauthenticated("unknown key"));
        }
        if record.revoked_at.is_some() {
            return Err(Denied::Unauthenticated("revoked"));
        }
        Ok((key, record))
    }
}

impl ApiKeyVerifier {
    /// The verifier of the platform's keys, creating the root key pair if
    /// there is none yet.
    pub async fn load<S: Store>(admin: &Admin<S>) -> Result<Self, AdminError> {
        Ok(Self::new(admin.api_key_root().await?.public()))
    }
}
