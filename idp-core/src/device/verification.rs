//! The verification page's side of the device flow (RFC 8628 §3.3): the user
//! types the user code, signs in if needed, sees which application asks for
//! what, and approves or denies. The embedding application renders the
//! pages; the rules (code lookup, the attempt limit, sessions) are here.

use super::user_code;
use crate::abuse::{self, Attempt, AttemptResult, Subject};
use crate::analytics::buffer::Outcome as SignIn;
use crate::analytics::{FailureReason, SignInMethod};
use crate::error::OAuthError;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{DeviceCodeRecord, DeviceDecision, SessionRecord, Store, StoreError};
use crate::telemetry::LoginFailure;
use crate::tenant::TenantContext;
use http::HeaderMap;
use std::sync::Arc;

/// What the pages show about a pending device request.
#[derive(Clone, Debug)]
pub struct DeviceView {
    /// The tenant's display name.
    pub tenant_name: String,
    /// The tenant's issuer path (cookie path, form actions).
    pub tenant_path: String,
    /// The application asking.
    pub client_name: String,
    /// What it asks for.
    pub scopes: Vec<String>,
    /// The code as shown on the device, `WDJB-MJHT`.
    pub user_code: String,
    /// The signed-in user, if the browser has a session.
    pub user_email: Option<String>,
    /// Whether the sign-in form has a password form: off on an
    /// upstream-only tenant ([`crate::upstream::password_login`]), whose
    /// users sign in on its login page first.
    pub password_login: bool,
}

/// Why the verification page cannot go on.
#[derive(Debug, PartialEq, Eq)]
pub enum DeviceError {
    /// No such tenant.
    UnknownTenant,
    /// No pending request has this code (wrong, expired, or already answered).
    InvalidCode,
    /// Too many wrong codes from this browser or address: wait this many seconds.
    TooManyAttempts(i64),
    /// The decision needs a signed-in user.
    NotSignedIn,
    /// Internal failure.
    Internal,
}

impl From<OAuthError> for DeviceError {
    fn from(_: OAuthError) -> Self {
        DeviceError::Internal
    }
}

impl From<StoreError> for DeviceError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure on the device page");
        DeviceError::Internal
    }
}

/// The result of the sign-in form on the verification page.
#[derive(Debug)]
pub enum DeviceSignIn {
    /// Wrong email or password; on an upstream-only tenant
    /// ([`DeviceView::password_login`] off), any password, unchecked.
    Rejected(DeviceView),
    /// Too many failed attempts ([`crate::abuse`]): the password was not
    /// checked; show the form again with 429 and `Retry-After`.
    Locked {
        /// The request.
        view: DeviceView,
        /// How long until the lockout ends.
        retry_after: std::time::Duration,
    },
    /// Signed in: show the approval page and set this cookie.
    SignedIn {
        /// The request, with the user's email.
        view: DeviceView,
        /// `Set-Cookie` value of the new session.
        set_cookie: String,
    },
}

/// Who is entering codes, for the attempt limit: the server passes the
/// client address and something that identifies the browser.
#[derive(Clone, Debug)]
pub struct Attempter {
    /// Client IP address.
    pub ip: Option<String>,
    /// A per-browser value (e.g. its CSRF cookie).
    pub browser: Option<String>,
}

struct Found {
    tenant: Arc<TenantContext>,
    record: DeviceCodeRecord,
}

impl<S: Store> Provider<S> {
    fn attempt_keys(&self, tenant: &TenantContext, who: &Attempter) -> Vec<String> {
        let t = tenant.record.id.as_str();
        let mut keys = Vec::with_capacity(2);
        if let Some(ip) = &who.ip {
            keys.push(format!("{t}|ip|{ip}"));
        }
        if let Some(b) = &who.browser {
            keys.push(format!("{t}|browser|{b}"));
        }
        keys
    }

    /// Finds the pending request for a typed code, counting wrong codes.
    async fn find_device_request(
        &self,
        slug: &str,
        typed: &str,
        who: &Attempter,
    ) -> Result<Found, DeviceError> {
        let tenant = self.tenant(slug).await?.ok_or(DeviceError::UnknownTenant)?;
        let keys = self.attempt_keys(&tenant, who);
        let now = self.clock.now();
        self.device_guard
            .check(&keys, now)
            .map_err(DeviceError::TooManyAttempts)?;
        let found = match user_code::normalize(typed) {
            Some(code) => {
                self.store
                    .device_code_by_user_code(&tenant.record.id, &code, now)
                    .await?
            }
            None => None,
        };
        match found {
            Some(record) => Ok(Found { tenant, record }),
            None => {
                self.device_guard.fail(&keys, now);
                Err(DeviceError::InvalidCode)
            }
        }
    }

    async fn device_view(
        &self,
        f: &Found,
        user_email: Option<String>,
    ) -> Result<DeviceView, DeviceError> {
        let client = self
            .store
            .client(&f.tenant.record.id, &f.record.client_id)
            .await?
            .ok_or(DeviceError::InvalidCode)?;
        Ok(DeviceView {
            tenant_name: f.tenant.record.name.clone(),
            tenant_path: f.tenant.path.clone(),
            client_name: crate::client::display_name::shown(&client.name),
            scopes: Scopes::from_stored(&f.record.scope)
                .iter()
                .map(str::to_owned)
                .collect(),
            user_code: user_code::display(&f.record.user_code),
            user_email,
            password_login: crate::upstream::password_login::allowed(&f.tenant.record),
        })
    }

    async fn session_email(
        &self,
        tenant: &TenantContext,
        session: &SessionRecord,
    ) -> Result<Option<String>, DeviceError> {
        Ok(self
            .store
            .user(&tenant.record.id, &session.user_id)
            .await?
            .map(|u| u.email))
    }

    /// The tenant's display name and path, for the empty code-entry page.
    pub async fn device_entry(&self, slug: &str) -> Result<(String, String), DeviceError> {
        let tenant = self.tenant(slug).await?.ok_or(DeviceError::UnknownTenant)?;
        Ok((tenant.record.name.clone(), tenant.path.clone()))
    }

    /// The user typed a code: the request it names, with the signed-in
    /// user's email if the browser has a session (else the page asks to sign in).
    pub async fn device_lookup(
        &self,
        slug: &str,
        typed: &str,
        headers: &HeaderMap,
        who: &Attempter,
    ) -> Result<DeviceView, DeviceError> {
        let f = self.find_device_request(slug, typed, who).await?;
        let email = match self.current_session(&f.tenant, headers).await? {
            Some(s) => self.session_email(&f.tenant, &s).await?,
            None => None,
        };
        self.device_view(&f, email).await
    }

    /// The sign-in form of the verification page, guarded by the abuse
    /// limits like the login form (keyed on [`Attempter::ip`]).
    pub async fn device_sign_in(
        &self,
        slug: &str,
        typed: &str,
        email: &str,
        password: &str,
        who: &Attempter,
    ) -> Result<DeviceSignIn, DeviceError> {
        let f = self.find_device_request(slug, typed, who).await?;
        if !crate::upstream::password_login::allowed(&f.tenant.record) {
            // Upstream-only: refused unchecked, as on the login page.
            return Ok(DeviceSignIn::Rejected(self.device_view(&f, None).await?));
        }
        let account = abuse::account(email);
        let attempt = Attempt {
            tenant: &f.tenant.record.id,
            subject: Subject::Account(&account),
            address: who.ip.as_deref().and_then(|ip| ip.parse().ok()),
        };
        let (tenant_id, client_id) = (&f.tenant.record.id, &f.record.client_id);
        if let Err(retry_after) = self.admit(&attempt).await {
            LoginFailure::RateLimited.record();
            let failed = SignIn::Failed(FailureReason::RateLimited, None);
            self.record_sign_in(tenant_id, client_id, SignInMethod::Password, failed);
            let view = self.device_view(&f, None).await?;
            return Ok(DeviceSignIn::Locked { view, retry_after });
        }
        let user = match self.check_password(tenant_id, email, password).await? {
            Ok(user) => user,
            Err(reason) => {
                self.settle(&attempt, AttemptResult::Failed).await;
                let failed = SignIn::Failed(reason, None);
                self.record_sign_in(tenant_id, client_id, SignInMethod::Password, failed);
                return Ok(DeviceSignIn::Rejected(self.device_view(&f, None).await?));
            }
        };
        self.settle(&attempt, AttemptResult::Succeeded).await;
        let signed_in = SignIn::Succeeded(&user.id);
        self.record_sign_in(tenant_id, client_id, SignInMethod::Password, signed_in);
        let (_session, set_cookie) = self
            .start_session(&f.tenant, &user, crate::acr::PASSWORD_AMR.into())
            .await?;
        Ok(DeviceSignIn::SignedIn {
            view: self.device_view(&f, Some(user.email)).await?,
            set_cookie,
        })
    }

    /// The user approved or denied on the verification page. Needs the
    /// browser's session; the device's next poll gets the answer.
    pub async fn device_decide(
        &self,
        slug: &str,
        typed: &str,
        headers: &HeaderMap,
        who: &Attempter,
        approve: bool,
    ) -> Result<DeviceView, DeviceError> {
        let f = self.find_device_request(slug, typed, who).await?;
        let session = self
            .current_session(&f.tenant, headers)
            .await?
            .ok_or(DeviceError::NotSignedIn)?;
        let decision = if approve {
            DeviceDecision::Approve {
                user_id: session.user_id.clone(),
                session_id: session.id.clone(),
                auth_time: session.auth_time,
            }
        } else {
            DeviceDecision::Deny
        };
        let decided = self
            .store
            .decide_device_code(
                &f.tenant.record.id,
                &f.record.user_code,
                &decision,
                self.clock.now(),
            )
            .await?;
        if !decided {
            return Err(DeviceError::InvalidCode);
        }
        let email = self.session_email(&f.tenant, &session).await?;
        self.device_view(&f, email).await
    }
}
