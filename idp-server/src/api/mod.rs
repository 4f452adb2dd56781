//! The admin REST API at `/api/v1` (design.md "Admin API"): JSON over
//! HTTP on the [`Admin`] service, authorized by Biscuit API keys
//! ([`idp_core::api_key`]) or operators' access tokens of the platform
//! tenant ([`idp_core::platform`]) through one policy
//! ([`idp_core::admin::policy`]), errors as RFC 9457 problems, described
//! by the OpenAPI document at `/api/v1/openapi.json`.
//!
//! A request goes through, in order: the route table ([`routes`]), the
//! credential (`Authorization: Bearer`: a Biscuit key, or a JWT access
//! token of an operator), the policy with the request's action (read or
//! write, tenant, kind), the per-key or per-operator rate limit,
//! `Idempotency-Key` for creates, then the operation's handler. Every
//! change is made as the key ([`AuditContext::api_key`]) or the operator
//! ([`AuditContext::operator`]) and so lands in the audit log with the
//! request's address and id.

mod analytics;
mod audit;
mod body;
mod clients;
mod etag;
mod export;
mod keys;
pub mod openapi;
mod platform;
mod problem;
mod query;
pub(crate) mod representation;
mod roles;
pub mod routes;
mod schema;
mod tenants;
mod tiers;
mod upstreams;
mod users;

use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use idp_core::admin::policy::{self, Action, ActionKind, Principal, Verdict};
use idp_core::api_key::{ApiKeyVerifier, Denied, Operation, VerifiedKey};
use idp_core::platform::Operator;
use idp_core::store::ApiKeyRecord;
use idp_core::{Admin, AuditContext};
use problem::Problem;
use routes::{Matched, Op, Params};
use serde_json::Value;

/// The path prefix of every admin API route.
pub const PREFIX: &str = "/api/v1";

/// What the admin API keeps beside the [`App`]: the admin service and the
/// key verifier (the root public key, loaded once).
pub struct AdminApi<S: Backend> {
    admin: Admin<S>,
    verifier: ApiKeyVerifier,
    /// Held by every change to an existing object from its `If-Match`
    /// check to its write, so two requests holding the same tag cannot
    /// both pass the check (RFC 9110 §13.1.1). Within this process only:
    /// several servers on one database would need the store to compare
    /// versions.
    changes: tokio::sync::Mutex<()>,
}

impl<S: Backend> AdminApi<S> {
    /// Loads (creating it on first start) the API-key root.
    pub async fn load(admin: Admin<S>) -> Result<Self, idp_core::AdminError> {
        let verifier = ApiKeyVerifier::load(&admin).await?;
        Ok(Self {
            admin,
            verifier,
            changes: tokio::sync::Mutex::new(()),
        })
    }
}

/// One authorized request, as a handler sees it.
pub(crate) struct Call<'a, S: Backend> {
    admin: &'a Admin<S>,
    ctx: AuditContext,
    req: &'a Request<Bytes>,
    params: Params<'a>,
    principal: Principal<'a>,
    /// Who calls, for `Idempotency-Key` (`key id` or `operator:{user id}`).
    caller: &'a str,
    path: &'a str,
    base_url: &'a str,
    now: idp_core::clock::UnixTime,
}

impl<S: Backend> Call<'_, S> {
    /// The `{slug}` of the route (every route that reads it has one).
    fn slug(&self) -> &str {
        self.params.slug.unwrap_or_default()
    }

    /// The tenant's issuer.
    fn issuer(&self) -> String {
        format!("{}/t/{}", self.base_url, self.slug())
    }

    /// Whether the key may read in `tenant` (lists across tenants show
    /// only those).
    fn may_read(&self, tenant: &str) -> bool {
        self.may_read_in(Some(tenant))
    }

    /// Whether the key may read what belongs to no tenant (events of API
    /// keys): only a key not limited to tenants.
    fn may_read_platform(&self) -> bool {
        self.may_read_in(None)
    }

    /// Whether the caller may change the platform's side of this tenant
    /// (its tier): a platform operation, decided by the one policy.
    fn may_act_on_platform(&self) -> bool {
        let action = Action {
            operation: Operation::Write,
            tenant: self.params.slug,
            kind: ActionKind::Platform,
            path: self.path,
            now: self.now,
        };
        policy::decide(self.principal, &action).is_ok()
    }

    fn may_read_in(&self, tenant: Option<&str>) -> bool {
        policy::may_read(self.principal, tenant, self.path, self.now)
    }
}

/// The operator the console signed in, as the credential of a request
/// the console makes in process ([`crate::console`]); no request from the
/// network can carry it (it is a request extension, not a header).
#[derive(Clone, Debug)]
pub(crate) struct ConsoleOperator(pub(crate) Operator);

/// The credential a request was authenticated with.
enum Credential {
    /// An admin API key and its record.
    Key(Box<(VerifiedKey, ApiKeyRecord)>),
    /// An operator's access token.
    Operator(Operator),
}

/// A handler's answer.
pub(crate) enum Reply {
    /// A JSON body; `etag` adds its `ETag` (single objects).
    Json {
        status: StatusCode,
        body: Value,
        etag: bool,
    },
    /// 204.
    NoContent,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self::Json {
            status: StatusCode::OK,
            body,
            etag: true,
        }
    }

    fn list(body: Value) -> Self {
        Self::Json {
            status: StatusCode::OK,
            body,
            etag: false,
        }
    }

    fn created(body: Value) -> Self {
        Self::Json {
            status: StatusCode::CREATED,
            body,
            etag: true,
        }
    }

    fn into_response(self) -> Response<Bytes> {
        match self {
            Self::NoContent => {
                let mut res = Response::new(Bytes::new());
                *res.status_mut() = StatusCode::NO_CONTENT;
                res
            }
            Self::Json { status, body, etag } => {
                let tag = etag.then(|| etag::of(&body));
                let mut res = json_response(status, Bytes::from(body.to_string()));
                if let Some(tag) = tag.and_then(|t| HeaderValue::from_str(&t).ok()) {
                    res.headers_mut().insert(header::ETAG, tag);
                }
                res
            }
        }
    }
}

fn json_response(status: StatusCode, body: Bytes) -> Response<Bytes> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// 413 as a problem.
pub fn payload_too_large(limit: usize) -> Response<Bytes> {
    Problem::payload_too_large(limit).into_response()
}

/// Whether `path` (with BASE_URL's path removed) is the admin API's.
pub fn is_api_path(path: &str) -> bool {
    path == PREFIX || path.starts_with("/api/v1/")
}

/// Serves one admin API request; `path` is the request path without
/// BASE_URL's path.
pub async fn serve<S: Backend>(app: &App<S>, req: Request<Bytes>, path: &str) -> Response<Bytes> {
    let request_id = request_id(&req);
    let mut res = match answer(app, &req, path, &request_id).await {
        Ok(res) => res,
        Err(problem) => problem.into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The caller's `X-Request-Id` if it is a short token, else a fresh one.
fn request_id(req: &Request<Bytes>) -> String {
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=128).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map_or_else(|| idp_core::crypto::random::token(12), str::to_owned)
}

async fn answer<S: Backend>(
    app: &App<S>,
    req: &Request<Bytes>,
    path: &str,
    request_id: &str,
) -> Result<Response<Bytes>, Problem> {
    let Some(api) = app.admin_api.as_ref() else {
        return Err(Problem::not_found("the admin API is not enabled"));
    };
    let (op, params) = match routes::match_route(req.method(), path) {
        Matched::Route(op, params) => (op, params),
        Matched::MethodNotAllowed(allowed) => return Err(Problem::method_not_allowed(&allowed)),
        Matched::NotFound => return Err(Problem::not_found("no such resource in the admin API")),
    };
    if op == Op::OpenApi {
        let doc = openapi::document(&app.base_url);
        return Ok(json_response(StatusCode::OK, Bytes::from(doc.to_string())));
    }
    let now = api.admin.now();
    let operation = if *req.method() == Method::GET {
        Operation::Read
    } else {
        Operation::Write
    };
    let denied = |d: Denied| match d {
        Denied::Unauthenticated(reason) => Problem::unauthenticated(reason, true),
        Denied::Forbidden => Problem::forbidden("this credential may not do this"),
        Denied::Hidden => Problem::not_found("no such tenant"),
        Denied::Unavailable => Problem::unavailable(),
    };
    // The console calls in process for the operator it signed in; from
    // the network a request carries a Bearer. A Biscuit (URL-safe base64)
    // has no '.'; an access token (a JWT) has.
    let console = req.extensions().get::<ConsoleOperator>();
    let token = match console {
        Some(_) => "",
        None => bearer(req)?,
    };
    let credential = if let Some(ConsoleOperator(operator)) = console {
        Credential::Operator(operator.clone())
    } else if token.contains('.') {
        let audience = format!("{}{PREFIX}", app.base_url);
        let operator = app
            .provider
            .authenticate_operator(token, &audience)
            .await
            .map_err(denied)?;
        Credential::Operator(operator)
    } else {
        let (key, record) = api
            .admin
            .authenticate_api_key(&api.verifier, token)
            .await
            .map_err(denied)?;
        Credential::Key(Box::new((key, record)))
    };
    let principal = match &credential {
        Credential::Key(found) => Principal::ApiKey(&found.0),
        Credential::Operator(operator) => Principal::Operator(&operator.roles),
    };
    let kind = action_kind(&api.admin, op, &params).await?;
    let action = Action {
        operation,
        tenant: params.slug,
        kind,
        path,
        now,
    };
    let verdict = policy::decide(principal, &action).map_err(|d| match d {
        Denied::Forbidden if kind.is_platform_operation() => Problem::forbidden(PLATFORM_ONLY),
        Denied::Forbidden if kind == ActionKind::OnOwner => {
            Problem::forbidden("only an owner may act on the platform's owners")
        }
        other => denied(other),
    })?;
    debug_assert!(verdict == Verdict::Allowed || kind == ActionKind::AcrossTenants);
    let address = req
        .extensions()
        .get::<crate::forwarded::ClientAddr>()
        .map(|c| c.0.to_string());
    let request_id = Some(request_id.to_owned());
    let (ctx, caller) = match &credential {
        Credential::Key(found) => (
            AuditContext::api_key(&found.1.id, &found.1.name, address, request_id),
            found.1.id.clone(),
        ),
        Credential::Operator(o) => (
            AuditContext::operator(o.user_id.as_str(), &o.email, address, request_id),
            format!("operator:{}", o.user_id),
        ),
    };
    if let Err(wait) = app.limits.admin_api(&caller) {
        return Err(Problem::too_many_requests(
            crate::rate_limit::retry_after_secs(wait),
        ));
    }
    let call = Call {
        admin: &api.admin,
        ctx,
        req,
        params,
        principal,
        caller: &caller,
        path,
        base_url: &app.base_url,
        now,
    };
    if req.method() == Method::POST
        && is_create(op)
        && let Some(idempotency_key) = req.headers().get("idempotency-key")
    {
        let idempotency_key = idempotency_key
            .to_str()
            .map_err(|_| Problem::malformed("Idempotency-Key must be visible ASCII"))?;
        return idempotent(&call, op, idempotency_key).await;
    }
    if op == Op::ExportUsers {
        // Streamed: its own response, not a `Reply`.
        return export::serve(&call).await;
    }
    let _one_change_at_a_time = if is_change_to_existing(req.method(), op) {
        Some(api.changes.lock().await)
    } else {
        None
    };
    Ok(dispatch(&call, op).await?.into_response())
}

/// Why a key limited to tenants is refused a platform operation.
const PLATFORM_ONLY: &str = "this is a platform operation (creating, approving, rejecting, suspending or reactivating tenants, tiers and a tenant's tier, the platform's settings, analytics over every tenant); this credential is limited to tenants or may not do it";

/// Whether the request changes an object that exists (what `If-Match`
/// guards): every write but a create.
fn is_change_to_existing(method: &Method, op: Op) -> bool {
    *method != Method::GET && !is_create(op)
}

/// What kind of action the operation is, for the policy: the platform's
/// operations, tenant deletion, lists across tenants, and changes that act
/// on an owner (which the admin service finds out: `touches_owner`).
async fn action_kind<S: Backend>(
    admin: &Admin<S>,
    op: Op,
    params: &Params<'_>,
) -> Result<ActionKind, Problem> {
    let slug = params.slug.unwrap_or_default();
    let on_owner = match op {
        Op::AssignRole | Op::UnassignRole => {
            admin
                .touches_owner(slug, params.user, params.role, false)
                .await?
        }
        // Signing an owner out everywhere is acting on them too.
        Op::UpdateUser
        | Op::DeleteUser
        | Op::RevokeUserSessions
        | Op::RevokeUserSession
        | Op::UnlinkUserIdentity => admin.touches_owner(slug, params.user, None, true).await?,
        _ => false,
    };
    Ok(match op {
        _ if on_owner => ActionKind::OnOwner,
        Op::ListTenants | Op::ListAuditEvents => ActionKind::AcrossTenants,
        Op::CreateTenant => ActionKind::CreateTenant,
        Op::DeleteTenant => ActionKind::DeleteTenant,
        _ if op.transition().is_some() => ActionKind::Lifecycle,
        _ if op.is_platform_operation() => ActionKind::Platform,
        _ => ActionKind::Ordinary,
    })
}

/// The operations that create an object: the ones `Idempotency-Key` applies to.
fn is_create(op: Op) -> bool {
    matches!(
        op,
        Op::CreateTenant
            | Op::CreateClient
            | Op::CreateUser
            | Op::CreateRole
            | Op::CreateTier
            | Op::CreateUpstream
    )
}

/// Runs a create once per `Idempotency-Key` (`idp_core::admin::idempotency`).
async fn idempotent<S: Backend>(
    call: &Call<'_, S>,
    op: Op,
    idempotency_key: &str,
) -> Result<Response<Bytes>, Problem> {
    use idp_core::admin::{IdempotentRequest, IdempotentStart};
    let request = IdempotentRequest {
        caller: call.caller,
        method: call.req.method().as_str(),
        path: call.path,
        key: idempotency_key,
        body: call.req.body(),
    };
    match call.admin.begin_idempotent(&request).await? {
        IdempotentStart::Run(claim) => {
            let res = match dispatch(call, op).await {
                Ok(reply) => reply.into_response(),
                Err(problem) => {
                    // A failed create may be retried with the same key.
                    call.admin.abandon_idempotent(claim).await?;
                    return Err(problem);
                }
            };
            call.admin
                .finish_idempotent(claim, res.status().as_u16(), res.body())
                .await?;
            Ok(res)
        }
        IdempotentStart::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut res = json_response(status, Bytes::from(body));
            if let Ok(parsed) = serde_json::from_slice::<Value>(res.body())
                && let Ok(tag) = HeaderValue::from_str(&etag::of(&parsed))
            {
                res.headers_mut().insert(header::ETAG, tag);
            }
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(res)
        }
        IdempotentStart::InProgress => Err(Problem::conflict(
            "a request with this Idempotency-Key is still in progress; retry later",
        )),
        IdempotentStart::Mismatch => Err(Problem::invalid(vec![idp_core::admin::FieldError {
            field: "Idempotency-Key".into(),
            reason: "was used with another request body".into(),
        }])),
    }
}

/// The bearer token (RFC 6750 §2.1).
fn bearer(req: &Request<Bytes>) -> Result<&str, Problem> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Err(Problem::unauthenticated(
            "an API key or an operator's access token is required",
            false,
        ));
    };
    let text = value
        .to_str()
        .map_err(|_| Problem::unauthenticated("malformed Authorization header", true))?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(Problem::unauthenticated(
            "use the Bearer scheme with an API key",
            true,
        )),
    }
}

/// Runs the operation's handler.
async fn dispatch<S: Backend>(call: &Call<'_, S>, op: Op) -> Result<Reply, Problem> {
    match op {
        Op::OpenApi => Ok(Reply::list(openapi::document(call.base_url))),
        Op::ListTenants => tenants::list(call).await,
        Op::CreateTenant => tenants::create(call).await,
        Op::GetTenant => tenants::get(call).await,
        Op::UpdateTenant => tenants::update(call).await,
        Op::DeleteTenant => tenants::delete(call).await,
        Op::ApproveTenant | Op::RejectTenant | Op::SuspendTenant | Op::ReactivateTenant => {
            tenants::transition(call, op).await
        }
        Op::ListClients => clients::list(call).await,
        Op::CreateClient => clients::create(call).await,
        Op::GetClient => clients::get(call).await,
        Op::UpdateClient => clients::update(call).await,
        Op::DeleteClient => clients::delete(call).await,
        Op::RotateClientSecret => clients::rotate_secret(call).await,
        Op::ListUsers => users::list(call).await,
        Op::CreateUser => users::create(call).await,
        Op::GetUser => users::get(call).await,
        Op::UpdateUser => users::update(call).await,
        Op::DeleteUser => users::delete(call).await,
        Op::ListUserSessions => users::sessions(call).await,
        Op::RevokeUserSessions => users::revoke_sessions(call).await,
        Op::RevokeUserSession => users::revoke_session(call).await,
        Op::ListRoles => roles::list(call).await,
        Op::CreateRole => roles::create(call).await,
        Op::GetRole => roles::get(call).await,
        Op::UpdateRole => roles::update(call).await,
        Op::DeleteRole => roles::delete(call).await,
        Op::ListUserRoles => roles::of_user(call).await,
        Op::AssignRole => roles::assign(call).await,
        Op::UnassignRole => roles::unassign(call).await,
        Op::ListKeys => keys::list(call).await,
        Op::RotateKeys => keys::rotate(call).await,
        Op::ListAuditEvents => audit::list(call).await,
        Op::GetPlatformSettings => platform::get(call).await,
        Op::UpdatePlatformSettings => platform::update(call).await,
        Op::TenantAnalytics => analytics::tenant(call).await,
        Op::PlatformAnalytics => analytics::platform(call).await,
        Op::ListTiers => tiers::list(call).await,
        Op::CreateTier => tiers::create(call).await,
        Op::GetTier => tiers::get(call).await,
        Op::UpdateTier => tiers::update(call).await,
        Op::DeleteTier => tiers::delete(call).await,
        Op::GetTenantUsage => tiers::usage(call).await,
        Op::ListUpstreams => upstreams::list(call).await,
        Op::CreateUpstream => upstreams::create(call).await,
        Op::GetUpstream => upstreams::get(call).await,
        Op::UpdateUpstream => upstreams::update(call).await,
        Op::DeleteUpstream => upstreams::delete(call).await,
        Op::ListUserIdentities => upstreams::of_user(call).await,
        Op::UnlinkUserIdentity => upstreams::unlink(call).await,
        // Served by `export::serve` before dispatch (it streams).
        Op::ExportUsers => Err(Problem::internal()),
    }
}

/// `{"items": [...], "next_cursor": …}`.
fn page_json<T>(page: idp_core::admin::Page<T>, show: impl Fn(&T) -> Value) -> Value {
    serde_json::json!({
        "items": page.items.iter().map(show).collect::<Vec<_>>(),
        "next_cursor": page.next_cursor,
    })
}
