//! RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0): the
//! relying party sends the browser to `{issuer}/logout` with an
//! `id_token_hint`, `client_id`, `post_logout_redirect_uri` and `state`.
//!
//! The request is validated first (§2-§3): a `post_logout_redirect_uri`
//! must be registered, exactly, by the client the request names. When the
//! hint proves the request comes from the RP of the browser's current
//! session, the session ends at once; otherwise the user confirms on a page
//! (§2: "the OP SHOULD ask the End-User whether to log out"), so that a
//! stray link cannot sign anyone out. The embedding application renders that
//! page and calls [`Provider::confirm_logout`].
//!
//! Ending the session tells its relying parties through the back channel
//! before this returns, and hands the "signed out" page the front-channel
//! URLs to load ([`channel_logout`](crate::channel_logout)).

use crate::client::{display_name, uri_policy::is_followable};
use crate::error::OAuthError;
use crate::id_token_hint::{self, IdTokenHint};
use crate::ids::{ClientId, SessionId};
use crate::provider::Provider;
use crate::session::{SESSION_COOKIE, set_cookie};
use crate::store::{SessionRecord, Store, StoreError};
use crate::tenant::TenantContext;
use crate::wire::Params;
use http::HeaderMap;
use std::sync::Arc;

/// A validated logout request; its fields go back into the confirmation
/// form as they came.
#[derive(Clone, Debug, Default)]
pub struct LogoutRequest {
    /// `id_token_hint` as sent.
    pub id_token_hint: Option<String>,
    /// The client the request names (from `client_id` or the hint's `aud`).
    pub client_id: Option<String>,
    /// A registered `post_logout_redirect_uri`.
    pub post_logout_redirect_uri: Option<String>,
    /// `state`, echoed to the redirect.
    pub state: Option<String>,
}

/// What to do with the browser.
#[derive(Debug)]
pub enum LogoutOutcome {
    /// Logged out (or there was no session). Send the browser to `redirect`
    /// (the RP, with `state`) or show a "signed out" page, and set
    /// `clear_cookie`. With `frontchannel` URLs, show a page that loads each
    /// in an iframe and then continues to `redirect`.
    Done {
        /// The RP's registered URI with `state`, if it gave one.
        redirect: Option<String>,
        /// Front-Channel Logout §3: the session's RPs' `frontchannel_logout_uri`
        /// with `iss` and `sid`, to render in iframes.
        frontchannel: Vec<String>,
        /// `Set-Cookie` value that removes the session cookie.
        clear_cookie: String,
        /// The tenant's display name, for the page.
        tenant_name: String,
    },
    /// Ask the user first.
    Confirm {
        /// The validated request, for the form's hidden fields.
        request: LogoutRequest,
        /// Who asks, if known.
        client_name: Option<String>,
        /// Who is signed in.
        user_email: Option<String>,
        /// The tenant's display name.
        tenant_name: String,
        /// The tenant's issuer path, for the form action.
        tenant_path: String,
    },
}

/// Why a logout request is refused (shown as a 400 page, never redirected).
#[derive(Debug, PartialEq, Eq)]
pub enum LogoutError {
    /// No such tenant.
    UnknownTenant,
    /// The request is malformed; the text says how.
    Invalid(String),
    /// Internal failure.
    Internal,
}

impl From<OAuthError> for LogoutError {
    fn from(e: OAuthError) -> Self {
        if e.code.is_server_side() {
            LogoutError::Internal
        } else {
            LogoutError::Invalid(e.description.into_owned())
        }
    }
}

impl From<StoreError> for LogoutError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "storage failure during logout");
        LogoutError::Internal
    }
}

struct Validated {
    tenant: Arc<TenantContext>,
    request: LogoutRequest,
    hint: Option<IdTokenHint>,
}

impl<S: Store> Provider<S> {
    async fn validate_logout(&self, slug: &str, params: &Params) -> Result<Validated, LogoutError> {
        let tenant = self.tenant(slug).await?.ok_or(LogoutError::UnknownTenant)?;
        let invalid = |m: &str| LogoutError::Invalid(m.to_owned());
        // §2: only an ID token this tenant issued (to `client_id`, if
        // given) is a hint; an expired one still is.
        let hint_token = params.single("id_token_hint")?;
        let requested_client = params.single("client_id")?;
        let hint = match hint_token {
            Some(t) => {
                Some(id_token_hint::verify(&*self.store, &tenant, t, requested_client).await?)
            }
            None => None,
        };
        let client_id = requested_client
            .map(str::to_owned)
            .or_else(|| hint.as_ref().map(|h| h.client_id.clone()));
        let post_logout_redirect_uri = match params.single("post_logout_redirect_uri")? {
            None => None,
            Some(uri) => {
                let Some(id) = &client_id else {
                    return Err(invalid(
                        "post_logout_redirect_uri needs client_id or id_token_hint",
                    ));
                };
                let client = self
                    .store
                    .client(&tenant.record.id, &ClientId::new(id.as_str()))
                    .await?
                    .ok_or_else(|| invalid("unknown client_id"))?;
                // Native apps listen on an ephemeral loopback port (RFC 8252 §7.3).
                if !crate::client::redirect_match::any_matches(
                    &client.post_logout_redirect_uris,
                    uri,
                ) {
                    return Err(invalid(
                        "post_logout_redirect_uri is not registered for this client",
                    ));
                }
                Some(uri.to_owned())
            }
        };
        Ok(Validated {
            request: LogoutRequest {
                id_token_hint: hint_token.map(str::to_owned),
                client_id,
                post_logout_redirect_uri,
                state: params.single("state")?.map(str::to_owned),
            },
            tenant,
            hint,
        })
    }

    fn logout_done(&self, v: &Validated, mut frontchannel: Vec<String>) -> LogoutOutcome {
        let redirect =
            v.request
                .post_logout_redirect_uri
                .as_ref()
                .map(|uri| match &v.request.state {
                    Some(state) => {
                        let mut url = uri.clone();
                        url.push(if uri.contains('?') { '&' } else { '?' });
                        url.push_str("state=");
                        url.extend(form_urlencoded::byte_serialize(state.as_bytes()));
                        url
                    }
                    None => uri.clone(),
                });
        // Clients stored before the redirect-URI policy may hold URIs a
        // browser must not be sent to (`crate::client::uri_policy`).
        let redirect = redirect.filter(|uri| is_followable(uri));
        frontchannel.retain(|u| {
            is_followable(u) && (u.starts_with("https://") || u.starts_with("http://"))
        });
        LogoutOutcome::Done {
            redirect,
            frontchannel,
            clear_cookie: set_cookie(
                SESSION_COOKIE,
                "",
                &v.tenant.path,
                0,
                self.config.secure_cookies(),
            ),
            tenant_name: v.tenant.record.name.clone(),
        }
    }

    /// Ends `session` and tells its relying parties: back-channel notices
    /// are delivered now; the front-channel URLs are returned for the page.
    async fn end(
        &self,
        v: &Validated,
        session: &SessionRecord,
    ) -> Result<Vec<String>, LogoutError> {
        self.store
            .end_session(&v.tenant.record.id, &session.id, self.clock.now())
            .await?;
        let notices = self.session_end_notices(&v.tenant, session).await?;
        Ok(notices.deliver().await)
    }

    /// `GET|POST {issuer}/logout` with the request's parameters (query or form).
    pub async fn logout_request(
        &self,
        slug: &str,
        params: &Params,
        headers: &HeaderMap,
    ) -> Result<LogoutOutcome, LogoutError> {
        let v = self.validate_logout(slug, params).await?;
        let Some(session) = self.current_session(&v.tenant, headers).await? else {
            // A cross-site POST arrives without the SameSite=Lax cookie: the
            // hint's `sid` still names the session the RP wants ended.
            let mut frontchannel = Vec::new();
            if let Some(sid) = v.hint.as_ref().and_then(|h| h.sid.as_deref())
                && let Some(session) = self
                    .store
                    .session(&v.tenant.record.id, &SessionId::new(sid), self.clock.now())
                    .await?
            {
                frontchannel = self.end(&v, &session).await?;
            }
            return Ok(self.logout_done(&v, frontchannel));
        };
        // The hint names this very session (or, without `sid`, its user).
        let from_session_rp = v.hint.as_ref().is_some_and(|h| match &h.sid {
            Some(sid) => sid == session.id.as_str(),
            None => h.names(&v.tenant, &session.user_id),
        });
        if from_session_rp {
            let frontchannel = self.end(&v, &session).await?;
            return Ok(self.logout_done(&v, frontchannel));
        }
        let client_name = match &v.request.client_id {
            Some(id) => self
                .store
                .client(&v.tenant.record.id, &ClientId::new(id.as_str()))
                .await?
                .map(|c| display_name::shown(&c.name)),
            None => None,
        };
        let user_email = self
            .store
            .user(&v.tenant.record.id, &session.user_id)
            .await?
            .map(|u| u.email);
        Ok(LogoutOutcome::Confirm {
            request: v.request,
            client_name,
            user_email,
            tenant_name: v.tenant.record.name.clone(),
            tenant_path: v.tenant.path.clone(),
        })
    }

    /// The user confirmed on the logout page (the form re-sends the request's
    /// parameters, validated again): end the session and finish.
    pub async fn confirm_logout(
        &self,
        slug: &str,
        params: &Params,
        headers: &HeaderMap,
    ) -> Result<LogoutOutcome, LogoutError> {
        let v = self.validate_logout(slug, params).await?;
        let mut frontchannel = Vec::new();
        if let Some(session) = self.current_session(&v.tenant, headers).await? {
            frontchannel = self.end(&v, &session).await?;
        }
        Ok(self.logout_done(&v, frontchannel))
    }
}
