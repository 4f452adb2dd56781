//! The organisation lifecycle (issue 17): a tenant's [`TenantState`], the
//! [`Transition`]s operators make between states, and what each endpoint
//! of a tenant that is not active answers ([`gate`]). This is the one
//! place that decides it: the provider asks it before dispatching a
//! protocol endpoint ([`Provider::handle`](crate::Provider::handle)), the
//! host asks it before rendering a page ([`gate`] on a host endpoint).
//!
//! ```text
//!   (sign-up) ──► pending ──approve──► active ◄──reactivate── suspended
//!                    │                   └───────suspend──────────┘
//!                    └──reject──► rejected
//! ```
//!
//! Every tenant created by an operator is `active`; a `pending` one comes
//! from sign-up (or an operator's `--pending`). Rejected is final: an
//! operator who changes their mind deletes the tenant and has it sign up
//! again. Any other transition is refused as a conflict.
//!
//! Not supported: access tokens are JWTs (RFC 9068), so a resource server
//! that validates them locally keeps accepting one until it expires; only
//! introspection and userinfo see the state.

use crate::audit::AuditAction;
use crate::endpoint::{Endpoint, Server};
use crate::error::{ErrorCode, OAuthError};
use crate::wire;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};

/// Where a tenant is in its lifecycle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum TenantState {
    /// Serving: every endpoint works.
    #[default]
    Active,
    /// Signed up, waiting for an operator's approval.
    Pending,
    /// Refused by an operator (with a reason); final.
    Rejected,
    /// Stopped by an operator (with a reason) until reactivated.
    Suspended,
}

impl TenantState {
    /// Every state.
    pub const ALL: [Self; 4] = [Self::Active, Self::Pending, Self::Rejected, Self::Suspended];

    /// As stored and shown: `active`, `pending`, `rejected`, `suspended`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pending => "pending",
            Self::Rejected => "rejected",
            Self::Suspended => "suspended",
        }
    }

    /// The state named `name` ([`TenantState::as_str`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the tenant serves its users.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Active)
    }

    /// The title and text of the page a person sees at an endpoint of a
    /// tenant in this state (not for [`TenantState::Active`]).
    pub const fn page_text(self) -> (&'static str, &'static str) {
        match self {
            Self::Active => ("", ""),
            Self::Pending => (
                "This organisation is pending approval",
                "Sign-in opens once the platform's operators have approved it. Try again later.",
            ),
            Self::Rejected => (
                "This organisation was not approved",
                "Its sign-up was declined, so nobody can sign in here.",
            ),
            Self::Suspended => (
                "This organisation is suspended",
                "Sign-in is unavailable until the platform's operators reactivate it.",
            ),
        }
    }

    /// The `error_description` of a refused protocol request (RFC 6749
    /// §5.2: printable ASCII without `"` and `\`).
    pub fn refusal(self, slug: &str) -> OAuthError {
        let what = match self {
            Self::Active => "active",
            Self::Pending => "pending approval",
            Self::Rejected => "not approved",
            Self::Suspended => "suspended",
        };
        OAuthError::with(
            TENANT_UNAVAILABLE,
            format!("the organisation '{slug}' is {what}"),
        )
    }
}

impl std::fmt::Display for TenantState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error a token, device authorization or pushed authorization
/// request of a tenant that is not active gets: `unauthorized_client`
/// (400), with an `error_description` naming the state.
///
/// RFC 6749 §5.2 defines `unauthorized_client` as "the client is not
/// authorized to use this authorization grant type": here it is authorized
/// to use none, for now, which is the closest registered meaning. The
/// others would mislead a client: `invalid_request` says the request is
/// malformed (it is not, and resending it fixed will not help);
/// `invalid_grant` says the grant is bad, and a client that receives it
/// for a refresh token discards the token, which must keep working once
/// the tenant is reactivated; `invalid_client` makes clients rotate
/// credentials that are fine; `temporarily_unavailable` is an
/// authorization-endpoint code (§4.1.2.1) that invites immediate retries.
pub const TENANT_UNAVAILABLE: ErrorCode = ErrorCode::UnauthorizedClient;

/// An operator's move between states.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Transition {
    /// pending → active.
    Approve,
    /// pending → rejected; needs a reason.
    Reject,
    /// active → suspended; needs a reason.
    Suspend,
    /// suspended → active.
    Reactivate,
}

impl Transition {
    /// Every transition.
    pub const ALL: [Self; 4] = [Self::Approve, Self::Reject, Self::Suspend, Self::Reactivate];

    /// The verb, as the API's path and the CLI's command spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Suspend => "suspend",
            Self::Reactivate => "reactivate",
        }
    }

    /// The verb's past participle, for messages.
    pub const fn past(self) -> &'static str {
        match self {
            Self::Approve => "approved",
            Self::Reject => "rejected",
            Self::Suspend => "suspended",
            Self::Reactivate => "reactivated",
        }
    }

    /// The state it leaves.
    pub const fn from(self) -> TenantState {
        match self {
            Self::Approve | Self::Reject => TenantState::Pending,
            Self::Suspend => TenantState::Active,
            Self::Reactivate => TenantState::Suspended,
        }
    }

    /// The state it reaches.
    pub const fn to(self) -> TenantState {
        match self {
            Self::Approve | Self::Reactivate => TenantState::Active,
            Self::Reject => TenantState::Rejected,
            Self::Suspend => TenantState::Suspended,
        }
    }

    /// Whether the operator must say why (kept with the state and shown).
    pub const fn needs_reason(self) -> bool {
        matches!(self, Self::Reject | Self::Suspend)
    }

    /// Its audit action, `tenant.{verb}`.
    pub const fn action(self) -> AuditAction {
        match self {
            Self::Approve => AuditAction::TenantApprove,
            Self::Reject => AuditAction::TenantReject,
            Self::Suspend => AuditAction::TenantSuspend,
            Self::Reactivate => AuditAction::TenantReactivate,
        }
    }

    /// The state after this transition from `current`, or `None` if it
    /// does not start there.
    pub fn apply(self, current: TenantState) -> Option<TenantState> {
        (current == self.from()).then_some(self.to())
    }
}

/// The longest reason kept, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The reason rule: some visible text, at most [`MAX_REASON_CHARS`]
/// characters, no control characters (it is shown on pages and in logs).
pub fn check_reason(reason: &str) -> Result<(), String> {
    if reason.trim().is_empty() {
        return Err("a reason is required".into());
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(format!(
            "the reason is longer than {MAX_REASON_CHARS} characters"
        ));
    }
    if reason.chars().any(char::is_control) {
        return Err("the reason must not contain control characters".into());
    }
    Ok(())
}

/// What an endpoint of a tenant answers, by its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// As usual.
    Serve,
    /// The page saying so, 403, never a redirect to the client (the
    /// authorization endpoint and the pages where a person signs in).
    Page,
    /// The [`TENANT_UNAVAILABLE`] error (token, device authorization,
    /// pushed authorization, registration).
    Refuse,
    /// RFC 7662 §2.2 `{"active": false}`: every token of the tenant is
    /// inactive. The answer says nothing about any token, so the caller
    /// need not authenticate for it.
    Inactive,
    /// RFC 6750 §3.1 `invalid_token` (401), as for a revoked token.
    InvalidToken,
}

/// What `endpoint` of a tenant in `state` answers.
///
/// Discovery and JWKS stay up, so relying parties keep verifying what was
/// issued and fail gracefully; revocation stays up (it only takes access
/// away, RFC 7009); logout stays up (a person may always sign out, at the
/// account page too, whose other pages close).
pub fn gate(state: TenantState, endpoint: Endpoint) -> Gate {
    if state.is_active() {
        return Gate::Serve;
    }
    match endpoint {
        Endpoint::Discovery
        | Endpoint::AuthorizationServerMetadata
        | Endpoint::Jwks
        | Endpoint::Revoke
        | Endpoint::Logout
        | Endpoint::LogoutConfirm
        | Endpoint::AccountSignOut => Gate::Serve,
        Endpoint::Authorize
        | Endpoint::Interaction
        | Endpoint::InteractionLogin
        | Endpoint::InteractionConsent
        | Endpoint::InteractionCancel
        | Endpoint::Device
        | Endpoint::DeviceLogin
        | Endpoint::DeviceDecision
        | Endpoint::Account
        | Endpoint::AccountCallback
        | Endpoint::AccountProfile
        | Endpoint::AccountPassword
        | Endpoint::AccountSignOutOthers
        | Endpoint::InteractionUpstream
        | Endpoint::UpstreamCallback
        | Endpoint::AccountLink
        | Endpoint::AccountUnlink => Gate::Page,
        Endpoint::Token
        | Endpoint::DeviceAuthorization
        | Endpoint::PushedAuthorizationRequest
        | Endpoint::Register
        | Endpoint::RegistrationManagement => Gate::Refuse,
        Endpoint::Introspect => Gate::Inactive,
        Endpoint::Userinfo => Gate::InvalidToken,
    }
}

/// Marks the page answer of a tenant that is not active (in the
/// response's extensions), so a host with its own page style can render
/// its own page in its place ([`Unavailable::page_text`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    /// The tenant's state.
    pub state: TenantState,
    /// Its display name.
    pub tenant_name: String,
}

impl Unavailable {
    /// The page's title and text.
    pub const fn page_text(&self) -> (&'static str, &'static str) {
        self.state.page_text()
    }
}

/// The answer of `endpoint` of a provider endpoint for a tenant that is
/// not active, or `None` to serve it as usual.
pub(crate) fn answer(tenant: &super::TenantContext, endpoint: Endpoint) -> Option<Response<Bytes>> {
    let state = tenant.record.state;
    match gate(state, endpoint) {
        Gate::Serve => None,
        Gate::Page => Some(page(state, &tenant.record.name)),
        Gate::Refuse => Some(wire::json_error(&state.refusal(&tenant.record.slug))),
        Gate::Inactive => Some(wire::json_no_store(
            StatusCode::OK,
            br#"{"active":false}"#.to_vec(),
        )),
        Gate::InvalidToken => {
            let error = OAuthError::with(
                ErrorCode::InvalidToken,
                format!(
                    "the access token is not active: {}",
                    state.refusal(&tenant.record.slug).description
                ),
            );
            // The RFC 6750 §3 challenge userinfo answers with.
            Some(crate::userinfo::challenge(tenant, Some(&error)))
        }
    }
}

/// A minimal 403 page for `state` (an embedder without pages of its own
/// shows this one), marked [`Unavailable`].
pub fn page(state: TenantState, tenant_name: &str) -> Response<Bytes> {
    let (title, text) = state.page_text();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><main><h1>{title}</h1><p id=\"message\">{text}</p></main></body></html>"
    );
    let mut res = wire::html(
        StatusCode::FORBIDDEN,
        Bytes::from(body),
        HeaderValue::from_static("default-src 'none'"),
    );
    res.extensions_mut().insert(Unavailable {
        state,
        tenant_name: tenant_name.to_owned(),
    });
    res
}

/// Whether a host page of a tenant in `state` is served (else the host
/// shows [`TenantState::page_text`] with 403).
pub fn host_page_served(state: TenantState, endpoint: Endpoint) -> bool {
    debug_assert_eq!(endpoint.server(), Server::Host);
    gate(state, endpoint) == Gate::Serve
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_four_transitions_exist() {
        for t in Transition::ALL {
            for s in TenantState::ALL {
                let expected = match (t, s) {
                    (Transition::Approve, TenantState::Pending) => Some(TenantState::Active),
                    (Transition::Reject, TenantState::Pending) => Some(TenantState::Rejected),
                    (Transition::Suspend, TenantState::Active) => Some(TenantState::Suspended),
                    (Transition::Reactivate, TenantState::Suspended) => Some(TenantState::Active),
                    _ => None,
                };
                assert_eq!(t.apply(s), expected, "{t:?} from {s:?}");
            }
        }
    }

    #[test]
    fn states_round_trip_by_name() {
        for s in TenantState::ALL {
            assert_eq!(TenantState::parse(s.as_str()), Some(s));
        }
        assert_eq!(TenantState::parse("Active"), None);
        assert_eq!(TenantState::default(), TenantState::Active);
    }

    #[test]
    fn reject_and_suspend_need_a_reason() {
        let needing: Vec<_> = Transition::ALL
            .into_iter()
            .filter(|t| t.needs_reason())
            .collect();
        assert_eq!(needing, vec![Transition::Reject, Transition::Suspend]);
        assert!(check_reason("").is_err());
        assert!(check_reason("   ").is_err());
        assert!(check_reason("unpaid\ninvoice").is_err());
        assert!(check_reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
        assert!(check_reason("unpaid invoice").is_ok());
    }

    #[test]
    fn an_active_tenant_serves_everything() {
        for e in Endpoint::ALL {
            assert_eq!(gate(TenantState::Active, e), Gate::Serve, "{e:?}");
        }
    }

    #[test]
    fn a_tenant_that_is_not_active_keeps_only_its_documents_revocation_and_sign_out() {
        for s in [
            TenantState::Pending,
            TenantState::Rejected,
            TenantState::Suspended,
        ] {
            let served: Vec<_> = Endpoint::ALL
                .into_iter()
                .filter(|e| gate(s, *e) == Gate::Serve)
                .collect();
            assert_eq!(
                served,
                vec![
                    Endpoint::Discovery,
                    Endpoint::AuthorizationServerMetadata,
                    Endpoint::Jwks,
                    Endpoint::Revoke,
                    Endpoint::Logout,
                    Endpoint::LogoutConfirm,
                    Endpoint::AccountSignOut,
                ],
                "{s:?}"
            );
            assert_eq!(gate(s, Endpoint::Authorize), Gate::Page);
            assert_eq!(gate(s, Endpoint::Token), Gate::Refuse);
            assert_eq!(gate(s, Endpoint::Introspect), Gate::Inactive);
            assert_eq!(gate(s, Endpoint::Userinfo), Gate::InvalidToken);
        }
    }

    #[test]
    fn refusals_name_the_state() {
        let e = TenantState::Suspended.refusal("acme");
        assert_eq!(e.code.as_str(), "unauthorized_client");
        assert_eq!(e.description, "the organisation 'acme' is suspended");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            TenantState::Pending.refusal("acme").description,
            "the organisation 'acme' is pending approval"
        );
    }
}
