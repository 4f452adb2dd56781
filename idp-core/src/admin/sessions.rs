//! A user's login sessions: list, revoke one, revoke all.
//!
//! Revoking a session ends it (its cookie stops working), revokes the
//! refresh tokens issued in it, `offline_access` ones included, makes its
//! access tokens inactive, and tells its relying parties through the back
//! channel (there is no browser to carry front-channel notices).

use super::Admin;
use super::error::{AdminError, ObjectKind};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::channel_logout::{EndNotices, end_notices};
use crate::ids::{SessionId, UserId};
use crate::session::SessionInfo;
use crate::store::{AdminChange, Applied, SessionRecord, Store};
use crate::tenant::TenantContext;

impl<S: Store> Admin<S> {
    /// The live sessions of the user `user_id`, newest first. A user has
    /// few (one per browser), so this is not paginated.
    pub async fn list_sessions(
        &self,
        slug: &str,
        user_id: &str,
    ) -> Result<Vec<SessionInfo>, AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        let sessions = self
            .store
            .user_sessions(&tenant.record.id, &user.id, self.clock.now())
            .await?;
        Ok(sessions.into_iter().map(SessionInfo::from).collect())
    }

    /// Revokes the live session `id`; `NotFound` if there is none.
    pub async fn revoke_session(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let sid = SessionId::new(id);
        let now = self.clock.now();
        let session = self.store.session(&tenant.record.id, &sid, now).await?;
        let changes =
            Changes::none().set_some("user", session.as_ref().map(|s| s.user_id.as_str()));
        let event = ctx.event(
            AuditAction::SessionRevoke,
            Some(&tenant),
            Target::new("session", id),
            changes,
            now,
        );
        let change = AdminChange::RevokeSession {
            tenant: &tenant.record.id,
            session: &sid,
            now,
        };
        let revoked = self.store.apply_audited(change, &event).await? != Applied::Missing;
        match session {
            Some(session) if revoked => {
                self.notify_ended(&tenant, &[session]).await;
                Ok(())
            }
            _ => Err(AdminError::not_found(ObjectKind::Session, id)),
        }
    }

    /// Revokes every session and grant of the user `user_id` (refresh
    /// tokens issued outside a live session, `offline_access` ones,
    /// included); returns how many sessions were live.
    pub async fn revoke_user_sessions(
        &self,
        ctx: &AuditContext,
        slug: &str,
        user_id: &str,
    ) -> Result<u64, AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        self.revoke_all_of(ctx, &tenant, &user.id).await
    }

    /// Revokes every session and grant of `user`, and tells the relying
    /// parties of the sessions that were live.
    pub(super) async fn revoke_all_of(
        &self,
        ctx: &AuditContext,
        tenant: &TenantContext,
        user: &UserId,
    ) -> Result<u64, AdminError> {
        let now = self.clock.now();
        let sessions = self
            .store
            .user_sessions(&tenant.record.id, user, now)
            .await?;
        let event = ctx.event(
            AuditAction::UserSessionsRevoke,
            Some(tenant),
            Target::new("user", user.as_str()),
            Changes::none(),
            now,
        );
        let change = AdminChange::RevokeUser {
            tenant: &tenant.record.id,
            user,
            now,
            keep_until: self.keep_until(now),
        };
        let revoked = match self.store.apply_audited(change, &event).await? {
            Applied::Done(n) => n,
            Applied::Missing | Applied::LimitReached(_) => 0,
        };
        self.notify_ended(tenant, &sessions).await;
        Ok(revoked)
    }

    /// Tells the relying parties of `sessions`, which just ended, through
    /// the back channel. A failure is logged: the revocation stands.
    pub(super) async fn notify_ended(&self, tenant: &TenantContext, sessions: &[SessionRecord]) {
        let now = self.clock.now();
        let mut notices = EndNotices::default();
        for s in sessions {
            let notices_of = end_notices(
                &self.store,
                self.deliver.as_ref(),
                self.config.logout_retry.as_ref(),
                tenant,
                s,
                now,
            );
            match notices_of.await {
                Ok(n) => notices.extend(n),
                Err(error) => {
                    tracing::warn!(session = %s.id, %error, "logout notices not prepared");
                }
            }
        }
        let _ = notices.deliver().await;
    }
}
