//! Clients: register, read, list, change, delete, and rotate the secret.
//!
//! An update is checked by the rules of creation ([`crate::client::validate`]):
//! the stored registration with the change applied must pass them all, so
//! no update makes a client that could not have been created.

use super::Admin;
use super::error::{AdminError, ObjectKind};
use super::page::{List, Page, PageRequest};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::client::{CreatedClient, NewClient};
use crate::clock::UnixTime;
use crate::crypto::{random, secret::SecretHash};
use crate::ids::ClientId;
use crate::store::{AdminChange, Applied, ClientRecord, GrantType, PreviousSecret, Store};
use crate::tenant::TenantContext;

/// How long a client secret replaced by a rotation keeps working, by
/// default: 24 hours, a day for every deployment of the client to pick up
/// the new one (ADR 0022).
pub const DEFAULT_SECRET_GRACE: i64 = 24 * 3600;

/// A change to a client's registration: each `Some` field replaces the
/// stored value (`Some(None)` removes an optional URI).
#[derive(Clone, Debug, Default)]
pub struct ClientUpdate {
    /// Display name.
    pub name: Option<String>,
    /// Redirect URIs, matched exactly.
    pub redirect_uris: Option<Vec<String>>,
    /// Grant types; empty means authorization_code and refresh_token.
    pub grant_types: Option<Vec<GrantType>>,
    /// `post_logout_redirect_uri`s.
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Front-channel logout URI.
    pub frontchannel_logout_uri: Option<Option<String>>,
    /// Back-channel logout URI.
    pub backchannel_logout_uri: Option<Option<String>>,
    /// Scopes for `client_credentials`.
    pub allowed_scopes: Option<Vec<String>>,
    /// Audiences for client-credentials tokens.
    pub audiences: Option<Vec<String>>,
    /// RFC 9126 §6: accept only pushed authorization requests.
    pub require_pushed_authorization_requests: Option<bool>,
    /// Web origins of its browser app beyond its redirect URIs' ([`crate::cors`]).
    pub allowed_origins: Option<Vec<String>>,
}

/// A rotated client secret: shown once, stored only as a hash.
#[derive(Debug)]
pub struct RotatedSecret {
    /// The client.
    pub client: ClientRecord,
    /// The new secret.
    pub secret: String,
    /// Until when the replaced secret is still accepted; `None` if it was
    /// refused at once (a grace period of 0).
    pub previous_expires_at: Option<UnixTime>,
}

impl<S: Store> Admin<S> {
    /// Registers a client in the tenant `slug`; a confidential client's
    /// secret is in the result, and never retrievable again.
    pub async fn create_client(
        &self,
        ctx: &AuditContext,
        slug: &str,
        new: NewClient,
    ) -> Result<CreatedClient, AdminError> {
        let tenant = self.tenant(slug).await?;
        let created = crate::client::build(&self.config, self.clock.now(), new, None)?;
        let c = &created.client;
        crate::client::sector_identifier::verify(
            self.fetch.as_ref(),
            c.sector_identifier_uri.as_deref(),
            &c.redirect_uris,
        )
        .await?;
        let changes = client_fields(Changes::none(), c);
        let changes = match c.secret_hash {
            Some(_) => changes.secret("client_secret"),
            None => changes,
        };
        let event = ctx.event(
            AuditAction::ClientCreate,
            Some(&tenant),
            Target::new("client", c.id.as_str()),
            changes,
            self.clock.now(),
        );
        let change = AdminChange::CreateClient {
            tenant: &tenant.record.id,
            client: c,
        };
        crate::tier::apply_within_limit(
            &*self.store,
            (&tenant.record.id, &tenant.record.slug),
            crate::tier::Limit::Clients,
            change,
            &event,
            self.clock.now(),
            format!("client '{}'", c.id),
        )
        .await?;
        // Its web origins answer preflights at once in this process.
        self.clients.forget_origins(&tenant.record.id);
        Ok(created)
    }

    /// The client `id` of the tenant `slug`.
    pub async fn get_client(&self, slug: &str, id: &str) -> Result<ClientRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        self.store
            .client(&tenant.record.id, &ClientId::new(id))
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Client, id))
    }

    /// A page of the tenant's clients, by id.
    pub async fn list_clients(
        &self,
        slug: &str,
        page: &PageRequest,
    ) -> Result<Page<ClientRecord>, AdminError> {
        let (limit, after) = page.resolve(List::Clients)?;
        let tenant = self.tenant(slug).await?;
        let after = after.map(ClientId::new);
        let rows = self
            .store
            .clients_page(&tenant.record.id, after.as_ref(), limit + 1)
            .await?;
        Ok(Page::from_rows(List::Clients, rows, limit, |c| {
            c.id.as_str()
        }))
    }

    /// Changes the client `id`, checked by the rules of creation; served
    /// at once by this process.
    pub async fn update_client(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
        update: ClientUpdate,
    ) -> Result<ClientRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let record = self.get_client(slug, id).await?;
        let mut wanted = NewClient::from_record(&record);
        let ClientUpdate {
            name,
            redirect_uris,
            grant_types,
            post_logout_redirect_uris,
            frontchannel_logout_uri,
            backchannel_logout_uri,
            allowed_scopes,
            audiences,
            require_pushed_authorization_requests,
            allowed_origins,
        } = update;
        let changes = Changes::none()
            .set_some("name", name.as_ref())
            .set_some("redirect_uris", redirect_uris.as_ref())
            .set_some(
                "grant_types",
                grant_types
                    .as_ref()
                    .map(|g| g.iter().map(|g| g.as_str()).collect::<Vec<_>>()),
            )
            .set_some(
                "post_logout_redirect_uris",
                post_logout_redirect_uris.as_ref(),
            )
            .set_some("frontchannel_logout_uri", frontchannel_logout_uri.as_ref())
            .set_some("backchannel_logout_uri", backchannel_logout_uri.as_ref())
            .set_some("allowed_scopes", allowed_scopes.as_ref())
            .set_some("audiences", audiences.as_ref())
            .set_some(
                "require_pushed_authorization_requests",
                require_pushed_authorization_requests,
            )
            .set_some("allowed_origins", allowed_origins.as_ref());
        set(&mut wanted.name, name);
        set(&mut wanted.redirect_uris, redirect_uris);
        set(&mut wanted.grant_types, grant_types);
        set(
            &mut wanted.post_logout_redirect_uris,
            post_logout_redirect_uris,
        );
        set(&mut wanted.frontchannel_logout_uri, frontchannel_logout_uri);
        set(&mut wanted.backchannel_logout_uri, backchannel_logout_uri);
        set(&mut wanted.allowed_scopes, allowed_scopes);
        set(&mut wanted.audiences, audiences);
        set(
            &mut wanted.require_pushed_authorization_requests,
            require_pushed_authorization_requests,
        );
        set(&mut wanted.allowed_origins, allowed_origins);
        // A self-registered client's other metadata is checked as at registration.
        let metadata = record
            .registration_token_hash
            .is_some()
            .then(|| record.metadata.clone());
        // OIDC Registration §5: the sector document must list the new URIs too.
        if wanted.redirect_uris != record.redirect_uris {
            crate::client::sector_identifier::verify(
                self.fetch.as_ref(),
                wanted.sector_identifier_uri.as_deref(),
                &wanted.redirect_uris,
            )
            .await?;
        }
        let record = crate::client::revise(&self.config, &record, wanted, metadata)?;
        let event = ctx.event(
            AuditAction::ClientUpdate,
            Some(&tenant),
            Target::new("client", id),
            changes,
            self.clock.now(),
        );
        self.store_client(&tenant, &record, &event).await?;
        Ok(record)
    }

    /// Deletes the client `id` and ends what depended on it: its refresh
    /// tokens and pending codes stop working at once and its access tokens
    /// introspect as inactive (client-credentials tokens, which name no
    /// grant, once no process caches the client: at once here, within
    /// `Lifetimes::client_cache` elsewhere); its consents go.
    pub async fn delete_client(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let id = ClientId::new(id);
        let now = self.clock.now();
        let event = ctx.event(
            AuditAction::ClientDelete,
            Some(&tenant),
            Target::new("client", id.as_str()),
            Changes::none(),
            now,
        );
        let change = AdminChange::RemoveClient {
            tenant: &tenant.record.id,
            client: &id,
            keep_until: self.keep_until(now),
        };
        let applied = self.store.apply_audited(change, &event).await?;
        self.clients.forget(&tenant.record.id, &id);
        if applied == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Client, id.as_str()));
        }
        Ok(())
    }

    /// Gives the client `id` a new secret, returned once. The replaced
    /// secret keeps working for the grace period
    /// ([`Admin::with_secret_grace`], 24 hours by default) so deployments
    /// can switch without an outage; a second rotation within it ends the
    /// first secret's grace at once (only one previous secret is kept).
    pub async fn rotate_client_secret(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<RotatedSecret, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut record = self.get_client(slug, id).await?;
        let Some(old) = record.secret_hash else {
            return Err(AdminError::invalid(
                "client_id",
                format!(
                    "client '{id}' authenticates with '{}', not a secret",
                    record.auth_method.as_str()
                ),
            ));
        };
        let now = self.clock.now();
        let secret = random::secret();
        record.secret_hash = Some(SecretHash::of(&secret));
        record.previous_secret = (self.secret_grace > 0).then(|| PreviousSecret {
            hash: old,
            expires_at: now + self.secret_grace,
        });
        let event = ctx.event(
            AuditAction::ClientSecretRotate,
            Some(&tenant),
            Target::new("client", id),
            Changes::none().secret("client_secret").time(
                "previous_secret_expires_at",
                record.previous_secret.as_ref().map(|p| p.expires_at),
            ),
            now,
        );
        self.store_client(&tenant, &record, &event).await?;
        let previous_expires_at = record.previous_secret.map(|p| p.expires_at);
        Ok(RotatedSecret {
            client: record,
            secret,
            previous_expires_at,
        })
    }

    /// Stores a changed client with its audit event and forgets the cached copy.
    async fn store_client(
        &self,
        tenant: &TenantContext,
        record: &ClientRecord,
        event: &crate::store::AuditEvent,
    ) -> Result<(), AdminError> {
        let tenant = &tenant.record.id;
        let change = AdminChange::UpdateClient {
            tenant,
            client: record,
        };
        let applied = self.store.apply_audited(change, event).await?;
        self.clients.forget(tenant, &record.id);
        if applied == Applied::Missing {
            return Err(AdminError::not_found(
                ObjectKind::Client,
                record.id.as_str(),
            ));
        }
        Ok(())
    }
}

/// The registration fields an event of a new client records.
fn client_fields(changes: Changes, c: &ClientRecord) -> Changes {
    changes
        .set("name", &c.name)
        .set("redirect_uris", &c.redirect_uris)
        .set(
            "grant_types",
            c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        )
        .set("token_endpoint_auth_method", c.auth_method.as_str())
        .set("post_logout_redirect_uris", &c.post_logout_redirect_uris)
        .set("allowed_scopes", &c.allowed_scopes)
        .set("audiences", &c.audiences)
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}
