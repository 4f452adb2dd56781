//! Signing in (and linking) through an upstream, from the login page to
//! the relying party's code.
//!
//! - [`Provider::begin_upstream_sign_in`]: "Continue with {name}" on the
//!   login page of a live interaction: a [`Flight`] is stored and the
//!   browser sent to the upstream's authorization URL with the binding
//!   cookie;
//! - [`Provider::begin_upstream_link`]: "Link {name}" on the account page,
//!   the same for a signed-in user;
//! - [`Provider::finish_upstream`]: the callback
//!   (`{issuer}/upstream/{id}/callback`): the flight is taken (a `state`
//!   works once), the browser checked, the code redeemed, the identity
//!   resolved ([`super::linking`]) and a session started exactly as a
//!   password login does, so the interaction continues to consent or to
//!   the client with a code.
//!
//! Every failure is a [`SignInFailure`]: a page with a status and one
//! sentence, and a log line with a stable reason and the upstream's id
//! (never a code, token or secret). None is a 500.

use super::flight::{BINDING_COOKIE, Flight, LIFETIME, PendingLink, Purpose};
use super::linking::{Linked, Resolved};
use super::relying_party::{Configured, Outgoing};
use super::{Asserted, UpstreamFailure, UpstreamKind};
use crate::account::Account;
use crate::analytics::SignInMethod;
use crate::analytics::buffer::Outcome as SignIn;
use crate::crypto::{random, secret::SecretHash};
use crate::email::EmailAddress;
use crate::endpoint::Endpoint;
use crate::ids::{UpstreamId, UserId};
use crate::provider::Provider;
use crate::session::{cookie, set_cookie};
use crate::store::{Store, UpstreamRecord, UserRecord};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use std::net::IpAddr;

/// How many upstreams a login page offers at most.
const MAX_CHOICES: usize = 50;

/// One "Continue with {name}" button.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamChoice {
    /// The upstream's id (the form's `upstream` field).
    pub id: String,
    /// Its name as the tenant gave it.
    pub name: String,
    /// Its kind.
    pub kind: UpstreamKind,
}

/// Why an upstream round trip signed no one in (or linked nothing).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The round trip itself failed ([`UpstreamFailure`]).
    #[error(transparent)]
    Upstream(#[from] UpstreamFailure),
    /// No user has this identity and the upstream allows no sign-up.
    #[error("no account and no sign-up through this upstream")]
    NoAccount,
    /// The user is disabled.
    #[error("the user is disabled")]
    Disabled,
    /// A user would be created but the upstream gave no usable email.
    #[error("the upstream gave no usable email")]
    NoEmail,
    /// The tenant's tier allows no more users.
    #[error("the tenant's user limit is reached")]
    LimitReached,
    /// Linking: the identity belongs to another user.
    #[error("the identity is linked to another user")]
    LinkedElsewhere,
    /// Linking: the session that began it ended, or is not this browser's.
    #[error("the session that began the link has ended")]
    SessionEnded,
    /// The login page it began from expired or finished.
    #[error("the interaction expired or finished")]
    InteractionGone,
    /// Storage failed; the cause is in the log.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl Refusal {
    /// The page's status: 4xx for what the person or the upstream did,
    /// 502 when the upstream failed, 503 when storage did; never 500.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Upstream(f) => match f {
                UpstreamFailure::Unreachable(_)
                | UpstreamFailure::BadIdToken(_)
                | UpstreamFailure::Misconfigured(_) => StatusCode::BAD_GATEWAY,
                UpstreamFailure::UnknownUpstream => StatusCode::NOT_FOUND,
                UpstreamFailure::NoVerifiedEmail => StatusCode::FORBIDDEN,
                UpstreamFailure::Cancelled
                | UpstreamFailure::UpstreamError(_)
                | UpstreamFailure::BadState
                | UpstreamFailure::OtherBrowser => StatusCode::BAD_REQUEST,
            },
            Self::NoAccount | Self::Disabled | Self::NoEmail | Self::LimitReached => {
                StatusCode::FORBIDDEN
            }
            Self::LinkedElsewhere => StatusCode::CONFLICT,
            Self::SessionEnded => StatusCode::UNAUTHORIZED,
            Self::InteractionGone => StatusCode::BAD_REQUEST,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The page's title.
    pub fn title(&self) -> &'static str {
        match self {
            Self::Upstream(UpstreamFailure::Cancelled) => "Sign-in cancelled",
            Self::LinkedElsewhere | Self::SessionEnded => "Not linked",
            _ => "Sign-in failed",
        }
    }

    /// What the page tells the person, in one sentence.
    pub fn description(&self) -> &'static str {
        match self {
            Self::Upstream(f) => f.description(),
            Self::NoAccount => {
                "There is no account for you here. Ask your administrator to create one."
            }
            Self::Disabled => "Your account is disabled. Ask your administrator.",
            Self::NoEmail => {
                "The sign-in service did not give an email address, which an account here needs."
            }
            Self::LimitReached => {
                "This organisation cannot take new accounts right now. Ask your administrator."
            }
            Self::LinkedElsewhere => {
                "That account is already linked to another user here, so it was not linked to yours."
            }
            Self::SessionEnded => "Your session has ended. Sign in again and link once more.",
            Self::InteractionGone => {
                "This sign-in has expired or was already finished. Return to the application and sign in again."
            }
            Self::Unavailable(_) => "Something went wrong. Please try again in a moment.",
        }
    }

    /// A short stable word for logs.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Upstream(f) => f.reason(),
            Self::NoAccount => "no_account",
            Self::Disabled => "disabled",
            Self::NoEmail => "no_email",
            Self::LimitReached => "user_limit",
            Self::LinkedElsewhere => "linked_elsewhere",
            Self::SessionEnded => "session_ended",
            Self::InteractionGone => "interaction_gone",
            Self::Unavailable(_) => "unavailable",
        }
    }
}

impl From<crate::store::StoreError> for Refusal {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<super::flight::FlightError> for Refusal {
    fn from(e: super::flight::FlightError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<super::linking::LinkError> for Refusal {
    fn from(e: super::linking::LinkError) -> Self {
        Self::Unavailable(e.to_string())
    }
}

impl From<crate::error::OAuthError> for Refusal {
    fn from(e: crate::error::OAuthError) -> Self {
        Self::Unavailable(e.description.into_owned())
    }
}

/// Where the failure page leads back to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Back {
    /// The URL.
    pub href: String,
    /// The link's text.
    pub label: &'static str,
}

/// A failed round trip, as its page shows it.
#[derive(Clone, Debug)]
pub struct SignInFailure {
    /// Why.
    pub refusal: Refusal,
    /// The tenant's display name.
    pub tenant_name: String,
    /// The login page when its interaction is still alive, or the account
    /// page for a link.
    pub back: Option<Back>,
}

/// The notice the login page shows after a "sign in first" answer
/// (`?notice=` of its URL).
pub const NOTICE_SIGN_IN_FIRST: &str = "link";

/// At most this much of a path's upstream id or an `error` goes to the log.
fn bounded(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        .take(64)
        .collect()
}

impl<S: Store> Provider<S> {
    /// The tenant's upstreams, for the login page's buttons; none when
    /// they cannot be read (the password form still works).
    pub(crate) async fn upstream_choices(&self, tenant: &TenantContext) -> Vec<UpstreamChoice> {
        match self
            .store
            .upstreams_page(&tenant.record.id, None, MAX_CHOICES)
            .await
        {
            Ok(rows) => rows
                .into_iter()
                .map(|u| UpstreamChoice {
                    id: u.id.as_str().to_owned(),
                    name: u.name,
                    kind: u.kind,
                })
                .collect(),
            Err(e) => {
                tracing::warn!(tenant = %tenant.record.slug, error = %e, "upstreams could not be listed for the login page");
                Vec::new()
            }
        }
    }

    /// The tenant's upstreams (for the account page's "Link {name}").
    pub async fn upstreams_of(&self, account: &Account) -> Vec<UpstreamChoice> {
        self.upstream_choices(account.tenant_context()).await
    }

    fn open_secret(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
    ) -> Result<String, Refusal> {
        let key = self
            .tenant_data_key(tenant)
            .map_err(|e| UpstreamFailure::Misconfigured(e.to_string()))?;
        super::secret::open(
            &key,
            &tenant.record.id,
            &upstream.id,
            &upstream.sealed_client_secret,
        )
        .map_err(|_| {
            UpstreamFailure::Misconfigured("the client secret does not open".into()).into()
        })
    }

    /// Stores a flight to `upstream_id` for `purpose` and answers the 303
    /// to the upstream with the binding cookie.
    async fn launch(
        &self,
        tenant: &TenantContext,
        upstream_id: &str,
        purpose: Purpose,
        headers: &HeaderMap,
    ) -> Result<Response<Bytes>, Refusal> {
        let upstream = self
            .store
            .upstream(&tenant.record.id, &UpstreamId::new(upstream_id))
            .await?
            .ok_or(UpstreamFailure::UnknownUpstream)?;
        let secret = self.open_secret(tenant, &upstream)?;
        // One binding per browser, so that two tabs can each be in flight.
        let binding = cookie(headers, BINDING_COOKIE)
            .filter(|v| (32..=128).contains(&v.len()))
            .map_or_else(random::secret, str::to_owned);
        let flight = Flight::new(&upstream.id, purpose, &binding);
        let state = self.put_flight(tenant, &flight).await?;
        let redirect_uri = self.upstream_callback_url(&tenant.record.slug, &upstream.id);
        let out = Outgoing {
            redirect_uri: &redirect_uri,
            state: &state,
            nonce: &flight.nonce,
            pkce_verifier: &flight.pkce_verifier,
        };
        let configured = Configured {
            record: &upstream,
            client_secret: &secret,
        };
        let url = match self.upstreams.authorization_url(configured, out).await {
            Ok(url) => url,
            Err(f) => {
                // Nothing will come back for it.
                let _ = self.take_flight(tenant, &state).await;
                return Err(f.into());
            }
        };
        let mut res = wire::redirect(&url, StatusCode::SEE_OTHER);
        let set = set_cookie(
            BINDING_COOKIE,
            &binding,
            &tenant.path,
            LIFETIME,
            self.config.secure_cookies(),
        );
        if let Ok(v) = HeaderValue::from_str(&set) {
            res.headers_mut().append(http::header::SET_COOKIE, v);
        }
        Ok(res)
    }

    /// "Continue with {name}" on the login page of the interaction
    /// `interaction` of tenant `slug`: the 303 to the upstream.
    pub async fn begin_upstream_sign_in(
        &self,
        slug: &str,
        interaction: &str,
        upstream: &str,
        headers: &HeaderMap,
    ) -> Result<Response<Bytes>, SignInFailure> {
        let tenant = self.tenant_or_failure(slug, upstream).await?;
        let result = async {
            // A flight needs a live interaction on its login page: its
            // requester's pending slot bounds how many can be begun.
            let l = self
                .load_interaction(slug, interaction)
                .await
                .map_err(|_| Refusal::InteractionGone)?;
            if l.record.session_id.is_some() {
                return Err(Refusal::InteractionGone);
            }
            let purpose = Purpose::SignIn {
                interaction: interaction.to_owned(),
            };
            self.launch(&tenant, upstream, purpose, headers).await
        }
        .await;
        match result {
            Ok(res) => Ok(res),
            Err(refusal) => {
                let back = self.back_to_login(&tenant, interaction).await;
                Err(self.failed(&tenant, upstream, refusal, back))
            }
        }
    }

    /// "Link {name}" on the account page of `account`: the 303 to the
    /// upstream; the callback links what it asserts to this user.
    pub async fn begin_upstream_link(
        &self,
        account: &Account,
        upstream: &str,
        headers: &HeaderMap,
    ) -> Result<Response<Bytes>, SignInFailure> {
        let tenant = account.tenant_context();
        let purpose = Purpose::Link {
            user: account.user_id().to_owned(),
            session: account.session_id().to_owned(),
        };
        self.launch(tenant, upstream, purpose, headers)
            .await
            .map_err(|refusal| {
                let back = Some(back_to_account(tenant));
                self.failed(tenant, upstream, refusal, back)
            })
    }

    /// The upstream's callback, `GET {issuer}/upstream/{id}/callback?{query}`
    /// from `from`: signs in (or links) and continues, or fails with a page.
    pub async fn finish_upstream(
        &self,
        slug: &str,
        upstream: &str,
        query: &[u8],
        headers: &HeaderMap,
        from: Option<IpAddr>,
    ) -> Result<Response<Bytes>, SignInFailure> {
        let tenant = self.tenant_or_failure(slug, upstream).await?;
        let mut purpose = None;
        let result = self
            .finish_inner(&tenant, upstream, query, headers, from, &mut purpose)
            .await;
        match result {
            Ok(res) => Ok(res),
            Err(refusal) => {
                let back = match &purpose {
                    Some(Purpose::SignIn { interaction }) => {
                        self.back_to_login(&tenant, interaction).await
                    }
                    Some(Purpose::Link { .. }) => Some(back_to_account(&tenant)),
                    None => None,
                };
                Err(self.failed(&tenant, upstream, refusal, back))
            }
        }
    }

    async fn finish_inner(
        &self,
        tenant: &TenantContext,
        upstream_id: &str,
        query: &[u8],
        headers: &HeaderMap,
        from: Option<IpAddr>,
        purpose_out: &mut Option<Purpose>,
    ) -> Result<Response<Bytes>, Refusal> {
        let params = Params::parse(query);
        let get = |name: &'static str| params.single(name).ok().flatten();
        // An upstream this tenant does not have (another tenant's, or one
        // deleted) is a 404 before anything else: no flight is taken.
        let upstream = self
            .store
            .upstream(&tenant.record.id, &UpstreamId::new(upstream_id))
            .await?
            .ok_or(UpstreamFailure::UnknownUpstream)?;
        let state = get("state")
            .filter(|s| !s.is_empty())
            .ok_or(UpstreamFailure::BadState)?;
        let flight = self
            .take_flight(tenant, state)
            .await?
            .ok_or(UpstreamFailure::BadState)?;
        *purpose_out = Some(flight.purpose.clone());
        if flight.upstream != upstream_id {
            return Err(UpstreamFailure::BadState.into());
        }
        let binding = cookie(headers, BINDING_COOKIE);
        if !flight.bound_to(binding) {
            return Err(UpstreamFailure::OtherBrowser.into());
        }
        if let Some(error) = get("error") {
            return Err(match error {
                "access_denied" => UpstreamFailure::Cancelled,
                other => UpstreamFailure::UpstreamError(bounded(other)),
            }
            .into());
        }
        let code = get("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| UpstreamFailure::UpstreamError("no code".into()))?;
        // RFC 9207 §2.4: an `iss` that is not the upstream's is a mix-up.
        if let (UpstreamKind::Oidc, Some(iss), Some(expected)) =
            (upstream.kind, get("iss"), upstream.issuer.as_deref())
            && iss.trim_end_matches('/') != expected.trim_end_matches('/')
        {
            return Err(UpstreamFailure::BadIdToken(
                "the callback's iss is not the upstream's".into(),
            )
            .into());
        }
        let secret = self.open_secret(tenant, &upstream)?;
        let redirect_uri = self.upstream_callback_url(&tenant.record.slug, &upstream.id);
        let out = Outgoing {
            redirect_uri: &redirect_uri,
            state,
            nonce: &flight.nonce,
            pkce_verifier: &flight.pkce_verifier,
        };
        let configured = Configured {
            record: &upstream,
            client_secret: &secret,
        };
        let asserted = self.upstreams.redeem(configured, code, out).await?;
        match flight.purpose {
            Purpose::SignIn { interaction } => {
                let binding = binding.unwrap_or_default();
                self.sign_in_through(tenant, &upstream, &asserted, &interaction, binding, from)
                    .await
            }
            Purpose::Link { user, session } => {
                self.link_through(
                    tenant,
                    &upstream,
                    &asserted,
                    (&user, &session),
                    headers,
                    from,
                )
                .await
            }
        }
    }

    async fn sign_in_through(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
        asserted: &Asserted,
        interaction: &str,
        binding: &str,
        from: Option<IpAddr>,
    ) -> Result<Response<Bytes>, Refusal> {
        let l = self
            .load_interaction(&tenant.record.slug, interaction)
            .await
            .map_err(|_| Refusal::InteractionGone)?;
        if l.record.session_id.is_some() {
            return Err(Refusal::InteractionGone);
        }
        let user = match self
            .resolve_identity(tenant, upstream, asserted, from)
            .await?
        {
            Resolved::User(user) => user,
            Resolved::SignInFirst => {
                let pending = PendingLink::new(
                    &upstream.id,
                    &asserted.subject,
                    asserted.email.as_deref(),
                    binding,
                );
                self.put_pending_link(tenant, interaction, &pending).await?;
                let page = tenant.url_with(Endpoint::Interaction, interaction);
                return Ok(wire::redirect(
                    &format!("{page}?notice={NOTICE_SIGN_IN_FIRST}"),
                    StatusCode::SEE_OTHER,
                ));
            }
            Resolved::NoAccount => return Err(Refusal::NoAccount),
            Resolved::Disabled => return Err(Refusal::Disabled),
            Resolved::NoEmail => return Err(Refusal::NoEmail),
            Resolved::LimitReached => return Err(Refusal::LimitReached),
            Resolved::UpstreamGone => return Err(UpstreamFailure::UnknownUpstream.into()),
        };
        let signed_in = SignIn::Succeeded(&user.id);
        self.record_sign_in(
            &tenant.record.id,
            &l.request.client_id,
            SignInMethod::Upstream,
            signed_in,
        );
        let amr = crate::acr::federated_amr(upstream.kind);
        self.finish_login(&l, interaction, &user, amr)
            .await
            .map_err(|e| match e {
                crate::authorize::interaction::PageError::UnknownInteraction => {
                    Refusal::InteractionGone
                }
                other => Refusal::Unavailable(format!("{other:?}")),
            })
    }

    async fn link_through(
        &self,
        tenant: &TenantContext,
        upstream: &UpstreamRecord,
        asserted: &Asserted,
        (user, session): (&str, &str),
        headers: &HeaderMap,
        from: Option<IpAddr>,
    ) -> Result<Response<Bytes>, Refusal> {
        match self.current_session(tenant, headers).await? {
            Some(s) if s.id.as_str() == session && s.user_id.as_str() == user => {}
            _ => return Err(Refusal::SessionEnded),
        }
        let user = self
            .store
            .user(&tenant.record.id, &UserId::new(user))
            .await?
            .filter(|u| !u.disabled)
            .ok_or(Refusal::SessionEnded)?;
        match self
            .link_identity(tenant, upstream, asserted, &user, from)
            .await?
        {
            Linked::Linked | Linked::Already => Ok(wire::redirect(
                &format!("{}?done=linked", tenant.url(Endpoint::Account)),
                StatusCode::SEE_OTHER,
            )),
            Linked::Elsewhere => Err(Refusal::LinkedElsewhere),
            Linked::Gone => Err(UpstreamFailure::UnknownUpstream.into()),
        }
    }

    /// After a password sign-in on the interaction `interaction` as
    /// `user`: links the identity waiting there, when this browser brought
    /// it and it asserted this user's email. Failures are logged; the
    /// sign-in goes on.
    pub(crate) async fn link_pending(
        &self,
        tenant: &TenantContext,
        interaction: &str,
        user: &UserRecord,
        from: Option<IpAddr>,
        headers: &HeaderMap,
    ) {
        // A pending link is bound to the browser that came back from the
        // upstream: without its cookie there is none to look for, and a
        // password sign-in costs no store round trip for it.
        if cookie(headers, BINDING_COOKIE).is_none() {
            return;
        }
        let pending = match self.take_pending_link(tenant, interaction).await {
            Ok(Some(p)) => p,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "a pending upstream link could not be read");
                return;
            }
        };
        let same_email = pending
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok())
            .is_some_and(|e| e.as_str() == user.email);
        if !same_email || !pending.bound_to(cookie(headers, BINDING_COOKIE)) {
            tracing::warn!(upstream = %bounded(&pending.upstream), reason = "pending_link_refused", "a pending upstream link was not for this sign-in");
            return;
        }
        let upstream = match self
            .store
            .upstream(
                &tenant.record.id,
                &UpstreamId::new(pending.upstream.as_str()),
            )
            .await
        {
            Ok(Some(u)) => u,
            _ => return,
        };
        let asserted = Asserted {
            subject: pending.subject.clone(),
            email: pending.email.clone(),
            email_verified: false,
            name: None,
        };
        match self
            .link_identity(tenant, &upstream, &asserted, user, from)
            .await
        {
            Ok(Linked::Linked | Linked::Already) => {}
            Ok(other) => {
                tracing::warn!(upstream = %upstream.id, outcome = ?other, "a pending upstream link was not made")
            }
            Err(e) => {
                tracing::warn!(upstream = %upstream.id, error = %e, "a pending upstream link failed")
            }
        }
    }

    async fn tenant_or_failure(
        &self,
        slug: &str,
        upstream: &str,
    ) -> Result<std::sync::Arc<TenantContext>, SignInFailure> {
        let refusal = match self.tenant(slug).await {
            Ok(Some(t)) => return Ok(t),
            Ok(None) => Refusal::Upstream(UpstreamFailure::UnknownUpstream),
            Err(e) => Refusal::from(e),
        };
        tracing::warn!(upstream = %bounded(upstream), reason = refusal.reason(), "upstream sign-in failed");
        Err(SignInFailure {
            refusal,
            tenant_name: "Sign in".into(),
            back: None,
        })
    }

    /// The login page of `interaction` if it is still on its login stage.
    async fn back_to_login(&self, tenant: &TenantContext, interaction: &str) -> Option<Back> {
        let record = self
            .store
            .interaction(
                &tenant.record.id,
                &SecretHash::of(interaction),
                self.clock.now(),
            )
            .await
            .ok()
            .flatten()?;
        record.session_id.is_none().then(|| Back {
            href: tenant.url_with(Endpoint::Interaction, interaction),
            label: "Back to sign in",
        })
    }

    /// Logs `refusal` and makes its page.
    fn failed(
        &self,
        tenant: &TenantContext,
        upstream: &str,
        refusal: Refusal,
        back: Option<Back>,
    ) -> SignInFailure {
        tracing::warn!(
            tenant = %tenant.record.slug,
            upstream = %bounded(upstream),
            reason = refusal.reason(),
            detail = %refusal,
            "upstream sign-in failed"
        );
        SignInFailure {
            refusal,
            tenant_name: tenant.record.name.clone(),
            back,
        }
    }
}

fn back_to_account(tenant: &TenantContext) -> Back {
    Back {
        href: tenant.url(Endpoint::Account),
        label: "Back to your account",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_refusal_is_a_server_error() {
        let all = [
            Refusal::Upstream(UpstreamFailure::Unreachable("x".into())),
            Refusal::Upstream(UpstreamFailure::Cancelled),
            Refusal::Upstream(UpstreamFailure::BadState),
            Refusal::Upstream(UpstreamFailure::OtherBrowser),
            Refusal::Upstream(UpstreamFailure::UnknownUpstream),
            Refusal::Upstream(UpstreamFailure::Misconfigured("x".into())),
            Refusal::NoAccount,
            Refusal::LinkedElsewhere,
            Refusal::Unavailable("x".into()),
        ];
        for r in all {
            assert_ne!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "{r:?}");
            assert!(!r.description().is_empty());
        }
        assert_eq!(
            Refusal::Upstream(UpstreamFailure::BadState).status(),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            Refusal::Upstream(UpstreamFailure::Unreachable(String::new())).status(),
            StatusCode::BAD_GATEWAY
        );
    }

    #[test]
    fn log_fields_are_bounded_words() {
        assert_eq!(bounded("ab<script>c"), "abscriptc");
        assert_eq!(bounded(&"x".repeat(100)).len(), 64);
    }
}
