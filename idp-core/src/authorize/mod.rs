//! The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2): validates the
//! request, then either issues a code at once (a live session that satisfies
//! `prompt`/`max_age` and a remembered consent) or suspends the request as an
//! interaction for the login and consent pages, which resume it.
//!
//! A pushed request's `request_uri` ([`pushed`], RFC 9126) is exchanged
//! for the parameters pushed with it, and request objects (`request`,
//! `request_uri`) are resolved ([`request_object`]), first, so the
//! pipeline sees one set of parameters. Sizes
//! are bounded before anything is parsed or fetched, and again after the
//! object is merged ([`bounds`]); how many interactions one requester may
//! leave pending is capped ([`pending`]).
//!
//! Not supported, on purpose: implicit and hybrid response types (and so the
//! `fragment` response mode).

pub mod bounds;
pub mod interaction;
pub mod pending;
pub mod pkce;
pub mod prompt;
pub mod pushed;
pub mod request;
mod request_object;
pub mod response;

use crate::crypto::{random, secret::SecretHash};
use crate::error::{ErrorCode, OAuthError};
use crate::ids::GrantId;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{ClientRecord, CodeRecord, SessionRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use request::{AuthorizationRequest, Rejection};

/// What to do with a validated request given the browser's session.
enum Decision {
    /// Issue a code now.
    Issue(SessionRecord),
    /// Show the login page.
    Login,
    /// Show the consent page for this session.
    Consent(SessionRecord),
}

impl<S: Store> Provider<S> {
    pub(crate) async fn authorize(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let (status, raw) = if req.method() == Method::GET {
            (
                StatusCode::FOUND,
                req.uri().query().unwrap_or("").as_bytes(),
            )
        } else {
            // OIDC Core §3.1.2.1: POST uses form serialization.
            (StatusCode::SEE_OTHER, req.body().as_ref())
        };
        if let Err(error) = bounds::check_request_size(raw) {
            return wire::error_page(&error);
        }
        let params = Params::parse(raw);
        let requester = req.extensions().get::<pending::Requester>().copied();
        if let Err(error) = bounds::check_parameter_sizes(&params) {
            return self
                .error_before_validation(tenant, &params, &error, status)
                .await;
        }
        let (params, was_pushed) = match self.pushed_request_params(tenant, &params).await {
            Ok(Some(pushed)) => (pushed, true),
            Ok(None) => (params, false),
            Err(error) => return wire::error_page(&error),
        };
        let params = if was_pushed {
            params
        } else {
            match self.resolve_request_object(tenant, params.clone()).await {
                Ok(p) => p,
                Err(error) => {
                    return self
                        .error_before_validation(tenant, &params, &error, status)
                        .await;
                }
            }
        };
        let (request, client) = match request::validate(&*self.store, tenant, &params).await {
            Ok(ok) => ok,
            Err(Rejection::Page(error)) => return wire::error_page(&error),
            Err(Rejection::Redirect {
                redirect_uri,
                state,
                mode,
                error,
            }) => {
                return response::error_redirect(
                    &redirect_uri,
                    state.as_deref(),
                    &tenant.issuer,
                    &error,
                    mode,
                    status,
                );
            }
        };
        let fail = |error: &OAuthError| {
            response::error_redirect(
                &request.redirect_uri,
                request.state.as_deref(),
                &tenant.issuer,
                error,
                request.response_mode,
                status,
            )
        };
        // RFC 9126 §6: the client accepts only requests it pushed itself.
        if client.require_pushed_authorization_requests && !was_pushed {
            return fail(&OAuthError::invalid_request(
                "this client must use pushed authorization requests (RFC 9126)",
            ));
        }
        let result = async {
            let session = self.current_session(tenant, req.headers()).await?;
            let decision = self.decide(tenant, &request, &client, session).await?;
            match decision {
                Decision::Issue(session) => {
                    self.issue_code(tenant, &request, &session, status).await
                }
                Decision::Login | Decision::Consent(_) if request.prompt.none => {
                    let code = if matches!(decision, Decision::Login) {
                        OAuthError::new(ErrorCode::LoginRequired, "the user must log in")
                    } else {
                        OAuthError::new(ErrorCode::ConsentRequired, "the user must consent")
                    };
                    Err(code)
                }
                Decision::Login => {
                    self.begin_interaction(tenant, &request, None, requester, status)
                        .await
                }
                Decision::Consent(s) => {
                    self.begin_interaction(tenant, &request, Some(s.id), requester, status)
                        .await
                }
            }
        }
        .await;
        result.unwrap_or_else(|e| fail(&e))
    }

    /// An error found before the pipeline ran (a parameter over its bound,
    /// a request object that cannot be used): it goes to the query's
    /// redirect URI only if that is registered for the query's client
    /// (RFC 6749 §4.1.2.1), else to a page.
    async fn error_before_validation(
        &self,
        tenant: &TenantContext,
        params: &Params,
        error: &OAuthError,
        status: StatusCode,
    ) -> Response<Bytes> {
        match request::validate_target(&*self.store, tenant, params).await {
            Some(redirect_uri) => response::error_redirect(
                &redirect_uri,
                bounds::echoable_state(params.single("state").ok().flatten()),
                &tenant.issuer,
                error,
                response::ResponseMode::Query,
                status,
            ),
            None => wire::error_page(error),
        }
    }

    /// Applies `prompt`, `max_age`, `id_token_hint` and remembered consent.
    async fn decide(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        client: &ClientRecord,
        session: Option<SessionRecord>,
    ) -> Result<Decision, OAuthError> {
        let now = self.clock.now();
        if prompt::login_needed(
            request.prompt,
            request.max_age,
            |user| {
                request.hint_sub.as_deref().is_none_or(|sub| {
                    tenant
                        .subjects
                        .names(sub, request.hint_sector.as_deref(), user)
                })
            },
            session.as_ref(),
            now,
        ) {
            return Ok(Decision::Login);
        }
        let Some(session) = session else {
            return Ok(Decision::Login);
        };
        if self
            .consent_needed(tenant, request, client, &session)
            .await?
        {
            Ok(Decision::Consent(session))
        } else {
            Ok(Decision::Issue(session))
        }
    }

    /// Consent is asked when `prompt=consent`, or when the user has not yet
    /// granted this client every requested scope (OIDC Core §3.1.2.4).
    pub(crate) async fn consent_needed(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        client: &ClientRecord,
        session: &SessionRecord,
    ) -> Result<bool, OAuthError> {
        if request.prompt.consent {
            return Ok(true);
        }
        // The provider's own console and account page ask no consent.
        if crate::first_party::FirstParty::of(&tenant.record.slug, client.id.as_str()).is_some() {
            return Ok(false);
        }
        let granted = self
            .store
            .consent(&tenant.record.id, &session.user_id, &client.id)
            .await?;
        let requested = request.consent_scopes();
        Ok(granted.is_none_or(|c| !requested.is_subset_of(&Scopes::from_stored(&c.scope))))
    }

    /// Stores a single-use code for the session's user and redirects to the client.
    pub(crate) async fn issue_code(
        &self,
        tenant: &TenantContext,
        request: &AuthorizationRequest,
        session: &SessionRecord,
        status: StatusCode,
    ) -> Result<Response<Bytes>, OAuthError> {
        let code = random::secret();
        let record = CodeRecord {
            code_hash: SecretHash::of(&code),
            grant_id: GrantId::generate(),
            client_id: request.client_id.clone(),
            user_id: session.user_id.clone(),
            session_id: session.id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scope: request.scope.clone(),
            nonce: request.nonce.clone(),
            code_challenge: request.code_challenge.clone(),
            claims: request.claims.as_ref().map(|c| c.to_json()),
            auth_time: session.auth_time,
            amr: session.amr.clone(),
            expires_at: self.clock.now() + self.config.lifetimes.code,
            resource: request.resource.clone(),
        };
        // One write: the code, and the session's client for front- and
        // back-channel logout (channel_logout) to tell when the session ends.
        self.store
            .create_code(&tenant.record.id, &record, self.clock.now())
            .await?;
        Ok(response::code_redirect(
            &request.redirect_uri,
            &code,
            request.state.as_deref(),
            &tenant.issuer,
            request.response_mode,
            status,
        ))
    }
}

impl AuthorizationRequest {
    /// What the user consents to: the scopes, and those implied by claims
    /// asked for with the `claims` parameter.
    pub fn consent_scopes(&self) -> Scopes {
        let scopes = Scopes::from_stored(&self.scope);
        match &self.claims {
            Some(c) => scopes.union(&c.implied_scopes()),
            None => scopes,
        }
    }
}
