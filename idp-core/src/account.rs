//! The user's own account (`{issuer}/account`, rendered by the host): who
//! is signed in, their profile, their password, their sessions. The
//! decisions are made here; the host renders and routes
//! ([`Endpoint::Account`](crate::endpoint::Endpoint::Account) and its
//! siblings).
//!
//! Who: the tenant's own login session ([`Provider::account_session`]),
//! the one the login page starts (the host signs the user in through the
//! tenant's first-party client `account` when there is none). A disabled
//! user has no account page, even with a session that survived a race.
//!
//! What a user may do, each change audited with the user as the actor
//! ([`AuditContext::user`]) through the [`Admin`](crate::Admin) service,
//! so it is recorded like an administrator's change:
//! - change their name ([`Provider::update_profile`]); the email stays an
//!   administrator's to change until addresses can be verified;
//! - change their password ([`Provider::change_password`]): the current
//!   one is checked under the same abuse limits as the login form (the
//!   failures count towards the same lockout), the new one follows
//!   [`password::check_new`] and is hashed with argon2id off the executor;
//! - list their live sessions ([`Provider::account_sessions`]), sign out
//!   of every other one ([`Provider::sign_out_others`]) or of this one
//!   ([`Provider::sign_out`]), with the semantics of an administrator's
//!   revocation: the session ends, the refresh tokens issued in it are
//!   revoked and its relying parties are told through the back channel.
//!
//! - list their linked upstream identities ([`Provider::account_identities`])
//!   and unlink one ([`Provider::unlink_identity`]), never the last way to
//!   sign in ([`crate::upstream::linking::may_unlink`]); linking another is
//!   a round trip ([`Provider::begin_upstream_link`]).
//!
//! Not here yet: changing the email (no verification exists), MFA.

use crate::abuse::{self, Attempt, AttemptResult, Subject};
use crate::admin::{AdminError, FieldError, UserUpdate};
use crate::audit::AuditContext;
use crate::client::display_name;
use crate::crypto::password;
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::session::{SESSION_COOKIE, SessionInfo, set_cookie};
use crate::store::{SessionRecord, Store, StoreError, UserRecord};
use crate::tenant::TenantContext;
use http::HeaderMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// A user signed in to their tenant: the live session their browser's
/// cookie names, and the user.
#[derive(Clone, Debug)]
pub struct Account {
    tenant: Arc<TenantContext>,
    session: SessionRecord,
    user: UserRecord,
}

impl Account {
    /// The tenant's slug.
    pub fn slug(&self) -> &str {
        &self.tenant.record.slug
    }

    /// The tenant's display name.
    pub fn tenant_name(&self) -> &str {
        &self.tenant.record.name
    }

    /// The issuer's path, ending in `/` (the session cookie's path).
    pub fn tenant_path(&self) -> &str {
        &self.tenant.path
    }

    /// The session's public id (the `sid` claim).
    pub fn session_id(&self) -> &str {
        self.session.id.as_str()
    }

    /// The user's id (`sub`).
    pub fn user_id(&self) -> &str {
        self.user.id.as_str()
    }

    /// The user's email, their login name.
    pub fn email(&self) -> &str {
        &self.user.email
    }

    /// The user's name, if they gave one.
    pub fn name(&self) -> Option<&str> {
        self.user.name.as_deref()
    }

    /// Whether the user has a password (one made with a set-up link not
    /// yet used has none, and cannot change it here).
    pub fn has_password(&self) -> bool {
        self.user.password_hash.is_some()
    }

    /// Whether the tenant allows password login: off on an upstream-only
    /// tenant, whose account page offers no password change.
    pub fn password_login(&self) -> bool {
        crate::upstream::password_login::allowed(&self.tenant.record)
    }

    /// Whether the user's password is a way to sign in: they have one and
    /// the tenant allows password login (off on an upstream-only tenant,
    /// [`crate::upstream::password_login`]). The account page offers a
    /// password change only then.
    pub fn password_signs_in(&self) -> bool {
        crate::upstream::password_login::counts(&self.tenant.record, self.has_password())
    }

    /// The tenant.
    pub(crate) fn tenant_context(&self) -> &TenantContext {
        &self.tenant
    }

    /// Who acts when this user changes their account, from `from`.
    fn actor(&self, from: Option<IpAddr>) -> AuditContext {
        AuditContext::user(
            self.user_id(),
            self.email(),
            from.map(|a| a.to_string()),
            None,
        )
    }
}

/// One upstream identity linked to the user, as their account page lists it.
#[derive(Clone, Debug)]
pub struct AccountIdentity {
    /// The upstream's id.
    pub upstream_id: String,
    /// The upstream's name.
    pub upstream_name: String,
    /// The upstream's key for the person (the unlink form names it).
    pub subject: String,
    /// The email the upstream last reported, to recognise it by.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: crate::clock::UnixTime,
    /// Whether unlinking it is allowed (never the last way to sign in).
    pub may_unlink: bool,
}

/// One live session of the user, as their account page lists it.
#[derive(Clone, Debug)]
pub struct AccountSession {
    /// The session.
    pub info: SessionInfo,
    /// Whether it is the one the page was asked from ("this browser").
    pub current: bool,
}

/// Why an account change was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Some input is wrong (`name`, `current_password`, `new_password`):
    /// each field and why, to show next to it.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// Too many wrong passwords for this account or from this address:
    /// nothing was checked; try again after this long.
    #[error("too many attempts")]
    Locked {
        /// Until the lockout ends.
        retry_after: Duration,
    },
    /// The session ended (or the user was disabled) meanwhile.
    #[error("the session has ended")]
    SignedOut,
    /// Storage cannot be reached for now.
    #[error("storage unavailable")]
    Unavailable,
    /// Something that should not fail did; the cause is for the log.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AccountError {
    fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![field_error(field, reason)])
    }
}

fn field_error(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_owned(),
        reason: reason.into(),
    }
}

impl From<AdminError> for AccountError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid(fields) => Self::Invalid(fields),
            // The user or the session went away meanwhile.
            AdminError::NotFound { .. } => Self::SignedOut,
            AdminError::Unavailable(_) => Self::Unavailable,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AdminError::from(e).into()
    }
}

impl From<OAuthError> for AccountError {
    fn from(e: OAuthError) -> Self {
        match e.code {
            crate::error::ErrorCode::TemporarilyUnavailable => Self::Unavailable,
            _ => Self::Internal(e.description.into_owned()),
        }
    }
}

impl<S: Store> Provider<S> {
    /// The user signed in to the tenant `slug` by the request's session
    /// cookie, if any: a live session of an enabled user. `None` for an
    /// unknown tenant too (the host's sign-in then finds out).
    pub async fn account_session(
        &self,
        slug: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Account>, AccountError> {
        let Some(tenant) = self.tenant(slug).await? else {
            return Ok(None);
        };
        let Some(session) = self.current_session(&tenant, headers).await? else {
            return Ok(None);
        };
        let user = self
            .store
            .user(&tenant.record.id, &session.user_id)
            .await?
            .filter(|u| !u.disabled);
        Ok(user.map(|user| Account {
            tenant,
            session,
            user,
        }))
    }

    /// Sets the user's name (trimmed; empty removes it), under the rules
    /// of names shown to people ([`display_name::check`]). An unchanged
    /// name changes nothing and records nothing.
    pub async fn update_profile(
        &self,
        account: &Account,
        name: &str,
        from: Option<IpAddr>,
    ) -> Result<(), AccountError> {
        let name = name.trim();
        display_name::check("name", name).map_err(|r| AccountError::invalid("name", r))?;
        if account.name().unwrap_or_default() == name {
            return Ok(());
        }
        let update = UserUpdate {
            name: Some(Some(name.to_owned())),
            ..UserUpdate::default()
        };
        self.admin()
            .update_user(
                &account.actor(from),
                account.slug(),
                account.user_id(),
                update,
            )
            .await?;
        Ok(())
    }

    /// Changes the user's password: `current` must be theirs (checked in
    /// constant time, counted by the login's abuse limits for their
    /// account and `from`), `new` must follow [`password::check_new`] and
    /// differ from it. Every wrong field is reported at once. Sessions
    /// stay as they are ([`Provider::sign_out_others`] ends the others).
    pub async fn change_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
        from: Option<IpAddr>,
    ) -> Result<(), AccountError> {
        if !crate::upstream::password_login::allowed(&account.tenant.record) {
            return Err(AccountError::invalid(
                "new_password",
                crate::upstream::password_login::CHANGE_REFUSED,
            ));
        }
        let mut problems = Vec::new();
        if let Err(reason) = password::check_new("new password", new) {
            problems.push(field_error("new_password", reason));
        } else if new == current {
            problems.push(field_error(
                "new_password",
                "new password must differ from the current one",
            ));
        }
        if current.is_empty() {
            problems.push(field_error(
                "current_password",
                "enter your current password",
            ));
        } else if !self
            .current_password_matches(account, current, from)
            .await?
        {
            problems.push(field_error(
                "current_password",
                "this is not your current password",
            ));
        }
        if !problems.is_empty() {
            return Err(AccountError::Invalid(problems));
        }
        self.admin()
            .set_password(
                &account.actor(from),
                account.slug(),
                account.user_id(),
                new.to_owned(),
            )
            .await?;
        Ok(())
    }

    /// Whether `typed` is the user's password, as the login form would
    /// decide it: admitted by the abuse limits first, verified off the
    /// executor (a user without a password costs the same time and never
    /// matches), the result reported back to the limits.
    async fn current_password_matches(
        &self,
        account: &Account,
        typed: &str,
        from: Option<IpAddr>,
    ) -> Result<bool, AccountError> {
        let key = abuse::account(account.email());
        let attempt = Attempt {
            tenant: &account.tenant.record.id,
            subject: Subject::Account(&key),
            address: from,
        };
        if let Err(retry_after) = self.admit(&attempt).await {
            return Err(AccountError::Locked { retry_after });
        }
        let typed = typed.to_owned();
        let phc = account.user.password_hash.clone();
        let matches = self
            .offload(move || match phc {
                Some(phc) => password::verify(&typed, &phc),
                None => {
                    password::verify_dummy(&typed);
                    false
                }
            })
            .await?;
        let result = if matches {
            AttemptResult::Succeeded
        } else {
            AttemptResult::Failed
        };
        self.settle(&attempt, result).await;
        Ok(matches)
    }

    /// The user's live sessions, this one first, then newest first.
    pub async fn account_sessions(
        &self,
        account: &Account,
    ) -> Result<Vec<AccountSession>, AccountError> {
        let sessions = self
            .store
            .user_sessions(
                &account.tenant.record.id,
                &account.user.id,
                self.clock.now(),
            )
            .await?;
        let mut listed: Vec<AccountSession> = sessions
            .into_iter()
            .map(|s| AccountSession {
                current: s.id == account.session.id,
                info: SessionInfo::from(s),
            })
            .collect();
        // A stable sort keeps the store's newest-first order behind it.
        listed.sort_by_key(|s| !s.current);
        Ok(listed)
    }

    /// Revokes every live session of the user but this one, with the
    /// refresh tokens issued in each; returns how many ended. A session
    /// that ended meanwhile is skipped.
    pub async fn sign_out_others(
        &self,
        account: &Account,
        from: Option<IpAddr>,
    ) -> Result<usize, AccountError> {
        let admin = self.admin();
        let actor = account.actor(from);
        let mut ended = 0;
        for s in self.account_sessions(account).await? {
            if s.current {
                continue;
            }
            match admin
                .revoke_session(&actor, account.slug(), &s.info.id)
                .await
            {
                Ok(()) => ended += 1,
                Err(AdminError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(ended)
    }

    /// Revokes this session (its refresh tokens with it) and returns the
    /// `Set-Cookie` value that removes its cookie. A session that already
    /// ended is no error: the user is signed out either way.
    pub async fn sign_out(
        &self,
        account: &Account,
        from: Option<IpAddr>,
    ) -> Result<String, AccountError> {
        match self
            .admin()
            .revoke_session(&account.actor(from), account.slug(), account.session_id())
            .await
        {
            Ok(()) | Err(AdminError::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(set_cookie(
            SESSION_COOKIE,
            "",
            account.tenant_path(),
            0,
            self.config.secure_cookies(),
        ))
    }

    /// The user's linked identities, by upstream then subject.
    pub async fn account_identities(
        &self,
        account: &Account,
    ) -> Result<Vec<AccountIdentity>, AccountError> {
        let tid = &account.tenant.record.id;
        let linked = self.store.identities_of_user(tid, &account.user.id).await?;
        let may = crate::upstream::linking::may_unlink(account.password_signs_in(), linked.len());
        let mut out = Vec::with_capacity(linked.len());
        for l in linked {
            let name = self
                .store
                .upstream(tid, &l.upstream_id)
                .await?
                .map_or_else(|| l.upstream_id.as_str().to_owned(), |u| u.name);
            out.push(AccountIdentity {
                upstream_id: l.upstream_id.as_str().to_owned(),
                upstream_name: name,
                subject: l.subject,
                email: l.email,
                created_at: l.created_at,
                may_unlink: may,
            });
        }
        Ok(out)
    }

    /// Unlinks the identity `subject` of `upstream` from the user (audited,
    /// the user as actor), unless it is their last way to sign in.
    pub async fn unlink_identity(
        &self,
        account: &Account,
        upstream: &str,
        subject: &str,
        from: Option<IpAddr>,
    ) -> Result<(), AccountError> {
        let tid = &account.tenant.record.id;
        let linked = self.store.identities_of_user(tid, &account.user.id).await?;
        let Some(identity) = linked
            .iter()
            .find(|l| l.upstream_id.as_str() == upstream && l.subject == subject)
        else {
            return Err(AccountError::invalid(
                "identity",
                "this identity is not linked to your account",
            ));
        };
        if !crate::upstream::linking::may_unlink(account.password_signs_in(), linked.len()) {
            return Err(AccountError::invalid(
                "identity",
                "this is your last way to sign in, so it cannot be unlinked",
            ));
        }
        let now = self.clock.now();
        let event = account.actor(from).event(
            crate::audit::AuditAction::UserIdentityUnlink,
            Some(&account.tenant),
            crate::audit::Target::new("user", account.user_id()),
            crate::audit::Changes::none()
                .set("upstream", identity.upstream_id.as_str())
                .set("subject", &identity.subject),
            now,
        );
        let change = crate::store::AdminChange::UnlinkIdentity {
            tenant: tid,
            user: &account.user.id,
            upstream: &identity.upstream_id,
            subject: &identity.subject,
        };
        match self.store.apply_audited(change, &event).await? {
            crate::store::Applied::Missing => Err(AccountError::invalid(
                "identity",
                "this identity is not linked to your account",
            )),
            _ => Ok(()),
        }
    }
}
