//! Interactions: an authorization request suspended while the user logs in
//! or consents. The request is stored server-side (so a restart loses
//! nothing) under the hash of a random id carried in the page URL
//! `{issuer}/interaction/{id}`. The embedding application renders the pages
//! and calls back into these methods; the protocol stays here.
//!
//! An interaction starts with the short `pending_interaction` lifetime and
//! a slot of its requester's cap ([`super::pending`]); showing its page
//! extends it to `interaction` from its start; signing in through it,
//! consenting, denying or cancelling gives the slot back.

use super::pending::{self, Requester};
use super::request::AuthorizationRequest;
use super::{bounds, response};
use crate::abuse::{self, Attempt, AttemptResult, Subject};
use crate::analytics::buffer::Outcome as SignIn;
use crate::analytics::{FailureReason, SignInMethod};
use crate::crypto::{random, secret::SecretHash};
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::SessionId;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{ConsentRecord, InteractionRecord, SessionRecord, Store};
use crate::telemetry::LoginFailure;
use crate::tenant::TenantContext;
use crate::wire;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use std::net::IpAddr;
use std::sync::Arc;

/// Which page the interaction needs now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The user must log in.
    Login,
    /// The user is logged in and must approve the client's access.
    Consent,
}

/// What a page needs to show.
#[derive(Clone, Debug)]
pub struct InteractionView {
    /// Login or consent.
    pub stage: Stage,
    /// The tenant's display name.
    pub tenant_name: String,
    /// The client's display name, as pages may show it
    /// (`crate::client::display_name::shown`).
    pub client_name: String,
    /// Where the browser goes back to: the redirect URI's host (with a port
    /// other than the scheme's default), or the private-use scheme of a
    /// native app. Consent pages show it, so that a name copied from
    /// another application does not hide where the code is sent.
    pub redirect_host: String,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// `login_hint`, to pre-fill the username field.
    pub login_hint: Option<String>,
    /// The logged-in user's email, on the consent page.
    pub user_email: Option<String>,
    /// The tenant's issuer path, for cookie paths.
    pub tenant_path: String,
    /// The tenant's upstreams, for "Continue with {name}" on the login
    /// page ([`crate::upstream::sign_in`]).
    pub upstreams: Vec<crate::upstream::sign_in::UpstreamChoice>,
    /// Whether the login page has a password form: off on an upstream-only
    /// tenant ([`crate::upstream::password_login`]). A
    /// [`LoginOutcome::Rejected`] with this off was a password posted anyway,
    /// refused unchecked.
    pub password_login: bool,
}

/// [`InteractionView::redirect_host`] of `redirect_uri`.
fn redirect_host(redirect_uri: &str) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => u.scheme().to_owned(),
        },
        Err(_) => String::new(),
    }
}

/// Why a page cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub enum PageError {
    /// No such tenant.
    UnknownTenant,
    /// No such interaction, or it expired or finished.
    UnknownInteraction,
    /// The interaction belongs to another browser session.
    WrongSession,
    /// Internal failure.
    Internal,
}

impl From<OAuthError> for PageError {
    fn from(_: OAuthError) -> Self {
        PageError::Internal
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "storage failure on an interaction page");
        PageError::Internal
    }
}

/// The result of a login form submission.
#[derive(Debug)]
pub enum LoginOutcome {
    /// Wrong username or password: show the form again. On an
    /// upstream-only tenant ([`InteractionView::password_login`] off), any
    /// password: it was not checked.
    Rejected(InteractionView),
    /// Too many failed attempts from this address, or at this account from
    /// this address ([`crate::abuse`]): the password was not checked. Show
    /// the form again with 429 and `Retry-After`, in the same words whether
    /// or not the account exists.
    Locked {
        /// The form to show again.
        view: InteractionView,
        /// How long until the lockout ends.
        retry_after: std::time::Duration,
    },
    /// Logged in: follow this response (it sets the session cookie).
    Continue(Response<Bytes>),
}

pub(crate) struct Loaded {
    pub(crate) tenant: Arc<TenantContext>,
    pub(crate) id_hash: SecretHash,
    pub(crate) record: InteractionRecord,
    pub(crate) request: AuthorizationRequest,
}

impl<S: Store> Provider<S> {
    /// Suspends `request`, redirecting the browser to its page. The
    /// interaction first gets the short pending lifetime and a slot of
    /// `requester`'s cap; over the cap nothing is stored.
    pub(crate) async fn begin_interaction(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        session: Option<SessionId>,
        requester: Option<Requester>,
        status: StatusCode,
    ) -> Result<Response<Bytes>, OAuthError> {
        let id = random::secret();
        let now = self.clock.now();
        let request_json = serde_json::to_string(request).map_err(OAuthError::server)?;
        bounds::check_stored_size(&request_json)?;
        let lifetimes = &self.config.lifetimes;
        let record = InteractionRecord {
            id_hash: SecretHash::of(&id),
            request_json,
            session_id: session,
            created_at: now,
            expires_at: now + lifetimes.pending_interaction.min(lifetimes.interaction),
        };
        if let Some(requester) = requester
            && let Err(wait) =
                self.pending
                    .admit(requester, &record.id_hash, record.expires_at, now)
        {
            return Ok(pending::refusal(wait));
        }
        if let Err(e) = self
            .store
            .create_interaction(&tenant.record.id, &record)
            .await
        {
            self.pending.release(&record.id_hash);
            return Err(e.into());
        }
        Ok(wire::redirect(
            &tenant.url_with(Endpoint::Interaction, &id),
            status,
        ))
    }

    pub(crate) async fn load_interaction(&self, slug: &str, id: &str) -> Result<Loaded, PageError> {
        let tenant = self.tenant(slug).await?.ok_or(PageError::UnknownTenant)?;
        let id_hash = SecretHash::of(id);
        let record = self
            .store
            .interaction(&tenant.record.id, &id_hash, self.clock.now())
            .await?
            .ok_or(PageError::UnknownInteraction)?;
        let request: AuthorizationRequest =
            serde_json::from_str(&record.request_json).map_err(|_| PageError::Internal)?;
        Ok(Loaded {
            tenant,
            id_hash,
            record,
            request,
        })
    }

    /// The session bound to a consent-stage interaction, which must be the
    /// browser's current session.
    async fn bound_session(
        &self,
        l: &Loaded,
        headers: &HeaderMap,
    ) -> Result<SessionRecord, PageError> {
        let bound = l
            .record
            .session_id
            .as_ref()
            .ok_or(PageError::WrongSession)?;
        let current = self.current_session(&l.tenant, headers).await?;
        match current {
            Some(s) if &s.id == bound => Ok(s),
            _ => Err(PageError::WrongSession),
        }
    }

    async fn view(
        &self,
        l: &Loaded,
        user_email: Option<String>,
    ) -> Result<InteractionView, PageError> {
        let client = self
            .store
            .client(&l.tenant.record.id, &l.request.client_id)
            .await?
            .ok_or(PageError::UnknownInteraction)?;
        Ok(InteractionView {
            stage: if l.record.session_id.is_some() {
                Stage::Consent
            } else {
                Stage::Login
            },
            tenant_name: l.tenant.record.name.clone(),
            client_name: crate::client::display_name::shown(&client.name),
            redirect_host: redirect_host(&l.request.redirect_uri),
            scopes: l
                .request
                .consent_scopes()
                .iter()
                .map(str::to_owned)
                .collect(),
            login_hint: l.request.login_hint.clone(),
            user_email,
            tenant_path: l.tenant.path.clone(),
            upstreams: match l.record.session_id {
                None => self.upstream_choices(&l.tenant).await,
                Some(_) => Vec::new(),
            },
            password_login: crate::upstream::password_login::allowed(&l.tenant.record),
        })
    }

    /// What the interaction's page should show.
    pub async fn interaction(
        &self,
        slug: &str,
        id: &str,
        headers: &HeaderMap,
    ) -> Result<InteractionView, PageError> {
        let l = self.load_interaction(slug, id).await?;
        let email = match &l.record.session_id {
            Some(_) => {
                let session = self.bound_session(&l, headers).await?;
                self.store
                    .user(&l.tenant.record.id, &session.user_id)
                    .await?
                    .map(|u| u.email)
            }
            None => None,
        };
        self.extend_when_shown(&l).await?;
        self.view(&l, email).await
    }

    /// The page is being shown to someone: the interaction gets its full
    /// lifetime, counted from its start (it keeps its requester's slot).
    async fn extend_when_shown(&self, l: &Loaded) -> Result<(), PageError> {
        let full = l.record.created_at + self.config.lifetimes.interaction;
        if l.record.expires_at < full {
            self.store
                .extend_interaction(&l.tenant.record.id, &l.id_hash, full)
                .await?;
            self.pending.extend(&l.id_hash, full);
        }
        Ok(())
    }

    /// Checks the submitted credentials, sent from `from` (the client's
    /// address, for the abuse limits); on success starts a session and
    /// continues to consent or straight back to the client.
    pub async fn submit_login(
        &self,
        slug: &str,
        id: &str,
        email: &str,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<LoginOutcome, PageError> {
        self.submit_login_from(slug, id, email, password, from, &HeaderMap::new())
            .await
    }

    /// [`Provider::submit_login`] with the request's `headers`: an upstream
    /// identity waiting on this interaction for its owner to sign in
    /// ([`crate::upstream::linking`]) is linked to the user when this
    /// browser is the one that brought it.
    pub async fn submit_login_from(
        &self,
        slug: &str,
        id: &str,
        email: &str,
        password: &str,
        from: Option<IpAddr>,
        headers: &HeaderMap,
    ) -> Result<LoginOutcome, PageError> {
        let l = self.load_interaction(slug, id).await?;
        if !crate::upstream::password_login::allowed(&l.tenant.record) {
            // Upstream-only: the form is not offered; a password posted anyway
            // is refused before it is checked (so it tells nothing about the
            // account) and does not count against the abuse limits.
            return Ok(LoginOutcome::Rejected(self.view(&l, None).await?));
        }
        let account = abuse::account(email);
        let attempt = Attempt {
            tenant: &l.tenant.record.id,
            subject: Subject::Account(&account),
            address: from,
        };
        let (tenant_id, client_id) = (&l.tenant.record.id, &l.request.client_id);
        if let Err(retry_after) = self.admit(&attempt).await {
            LoginFailure::RateLimited.record();
            let failed = SignIn::Failed(FailureReason::RateLimited, None);
            self.record_sign_in(tenant_id, client_id, SignInMethod::Password, failed);
            let view = self.view(&l, None).await?;
            return Ok(LoginOutcome::Locked { view, retry_after });
        }
        let user = match self.check_password(tenant_id, email, password).await? {
            Ok(user) => user,
            Err(reason) => {
                self.settle(&attempt, AttemptResult::Failed).await;
                let failed = SignIn::Failed(reason, None);
                self.record_sign_in(tenant_id, client_id, SignInMethod::Password, failed);
                return Ok(LoginOutcome::Rejected(self.view(&l, None).await?));
            }
        };
        self.settle(&attempt, AttemptResult::Succeeded).await;
        let signed_in = SignIn::Succeeded(&user.id);
        self.record_sign_in(tenant_id, client_id, SignInMethod::Password, signed_in);
        self.link_pending(&l.tenant, id, &user, from, headers).await;
        let amr = crate::acr::PASSWORD_AMR.to_owned();
        Ok(LoginOutcome::Continue(
            self.finish_login(&l, id, &user, amr).await?,
        ))
    }

    /// Someone signed in through the interaction `id` as `user` (a password
    /// or an upstream), authenticated by `amr` ([`crate::acr`]): starts the
    /// session and continues to consent or straight back to the client
    /// with a code.
    pub(crate) async fn finish_login(
        &self,
        l: &Loaded,
        id: &str,
        user: &crate::store::UserRecord,
        amr: String,
    ) -> Result<Response<Bytes>, PageError> {
        let (session, cookie) = self.start_session(&l.tenant, user, amr).await?;
        // Someone signed in through it: no longer an anonymous request.
        self.pending.release(&l.id_hash);
        let client = self
            .store
            .client(&l.tenant.record.id, &l.request.client_id)
            .await?
            .ok_or(PageError::UnknownInteraction)?;
        let mut res = if self
            .consent_needed(&l.tenant, &l.request, &client, &session)
            .await?
        {
            self.store
                .set_interaction_session(&l.tenant.record.id, &l.id_hash, &session.id)
                .await?;
            wire::redirect(
                &l.tenant.url_with(Endpoint::Interaction, id),
                StatusCode::SEE_OTHER,
            )
        } else {
            self.store
                .delete_interaction(&l.tenant.record.id, &l.id_hash)
                .await?;
            self.issue_code(&l.tenant, &l.request, &session, StatusCode::SEE_OTHER)
                .await?
        };
        let value = HeaderValue::from_str(&cookie).map_err(|_| PageError::Internal)?;
        res.headers_mut().append(http::header::SET_COOKIE, value);
        Ok(res)
    }

    /// Records the user's answer on the consent page and returns the client's
    /// redirect: a code if approved, `access_denied` otherwise.
    pub async fn submit_consent(
        &self,
        slug: &str,
        id: &str,
        headers: &HeaderMap,
        approve: bool,
    ) -> Result<Response<Bytes>, PageError> {
        let l = self.load_interaction(slug, id).await?;
        let session = self.bound_session(&l, headers).await?;
        self.store
            .delete_interaction(&l.tenant.record.id, &l.id_hash)
            .await?;
        self.pending.release(&l.id_hash);
        if !approve {
            return Ok(self.deny(&l));
        }
        let tenant_id = &l.tenant.record.id;
        let requested = l.request.consent_scopes();
        let previous = self
            .store
            .consent(tenant_id, &session.user_id, &l.request.client_id)
            .await?;
        let scope = match previous {
            Some(p) => Scopes::from_stored(&p.scope).union(&requested),
            None => requested,
        };
        let consent = ConsentRecord {
            user_id: session.user_id.clone(),
            client_id: l.request.client_id.clone(),
            scope: scope.to_param(),
            updated_at: self.clock.now(),
        };
        self.store.save_consent(tenant_id, &consent).await?;
        Ok(self
            .issue_code(&l.tenant, &l.request, &session, StatusCode::SEE_OTHER)
            .await?)
    }

    /// The user gave up on the login page: tell the client (`access_denied`).
    pub async fn cancel_interaction(
        &self,
        slug: &str,
        id: &str,
    ) -> Result<Response<Bytes>, PageError> {
        let l = self.load_interaction(slug, id).await?;
        self.store
            .delete_interaction(&l.tenant.record.id, &l.id_hash)
            .await?;
        self.pending.release(&l.id_hash);
        Ok(self.deny(&l))
    }

    fn deny(&self, l: &Loaded) -> Response<Bytes> {
        response::error_redirect(
            &l.request.redirect_uri,
            l.request.state.as_deref(),
            &l.tenant.issuer,
            &OAuthError::new(ErrorCode::AccessDenied, "the user denied the request"),
            l.request.response_mode,
            StatusCode::SEE_OTHER,
        )
    }
}
