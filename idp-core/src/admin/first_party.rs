//! The provider's own clients, made or mended when needed
//! ([`crate::first_party`]).

use super::Admin;
use super::error::{AdminError, ObjectKind};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::first_party::{CONSOLE, FirstParty, record};
use crate::ids::ClientId;
use crate::platform::{PLATFORM_SLUG, is_platform};
use crate::store::{AdminChange, ClientRecord, Store};

impl<S: Store> Admin<S> {
    /// Makes sure the first-party client `which` of the tenant `slug`
    /// exists with the redirect URI BASE_URL gives it, creating or
    /// mending it (audited as `system`, outside the tier's client limit:
    /// the provider's own client is no customer's). Two processes racing
    /// here both succeed.
    pub async fn ensure_first_party_client(
        &self,
        slug: &str,
        which: FirstParty,
    ) -> Result<ClientRecord, AdminError> {
        if which == FirstParty::Console && !is_platform(slug) {
            return Err(AdminError::not_found(ObjectKind::Client, CONSOLE));
        }
        // The record only: loading the tenant's keys is not needed here
        // (and at every start it would load the platform's).
        let tenant = self
            .store
            .tenant_by_slug(slug)
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Tenant, slug))?;
        let redirect_uri = which.redirect_uri(&self.config.base_url, slug);
        let now = self.clock.now();
        let id = ClientId::new(which.client_id());
        let existing = self.store.client(&tenant.id, &id).await?;
        if let Some(client) = &existing
            && client.redirect_uris == [redirect_uri.clone()]
            && client.secret_hash.is_none()
        {
            return Ok(client.clone());
        }
        let ctx = AuditContext::system(if is_platform(slug) && which == FirstParty::Console {
            PLATFORM_SLUG
        } else {
            "account"
        });
        let client = record(which, redirect_uri.clone(), now);
        let (action, change) = match existing {
            None => (
                AuditAction::ClientCreate,
                AdminChange::CreateClient {
                    tenant: &tenant.id,
                    client: &client,
                },
            ),
            Some(_) => (
                AuditAction::ClientUpdate,
                AdminChange::UpdateClient {
                    tenant: &tenant.id,
                    client: &client,
                },
            ),
        };
        let event = ctx.event_in(
            action,
            Some((&tenant.slug, &tenant.id)),
            Target::new("client", which.client_id()),
            Changes::none()
                .set("name", which.name())
                .set("redirect_uris", [redirect_uri]),
            now,
        );
        if let Err(e) = self.store.apply_audited(change, &event).await {
            // Another process may have made it at the same moment.
            if self.store.client(&tenant.id, &id).await?.is_none() {
                return Err(e.into());
            }
            tracing::debug!(error = %e, "first-party client made by another process");
        }
        self.clients.forget(&tenant.id, &id);
        Ok(client)
    }
}
