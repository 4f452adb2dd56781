//! The admin API's route table: every method and path it serves, and the
//! operation each one is. Dispatch, authorization (read or write, which
//! tenant) and the OpenAPI document's route-parity test all read this one
//! table, so a route cannot be served without being described.

use http::Method;

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// The OpenAPI document (public).
    OpenApi,
    /// Tenants.
    ListTenants,
    /// Create a tenant.
    CreateTenant,
    /// One tenant.
    GetTenant,
    /// Change a tenant.
    UpdateTenant,
    /// Delete a tenant and everything in it.
    DeleteTenant,
    /// Approve a pending tenant (platform).
    ApproveTenant,
    /// Reject a pending tenant, with a reason (platform).
    RejectTenant,
    /// Suspend an active tenant, with a reason (platform).
    SuspendTenant,
    /// Reactivate a suspended tenant (platform).
    ReactivateTenant,
    /// A tenant's clients.
    ListClients,
    /// Register a client.
    CreateClient,
    /// One client.
    GetClient,
    /// Change a client.
    UpdateClient,
    /// Delete a client.
    DeleteClient,
    /// Give a client a new secret.
    RotateClientSecret,
    /// A tenant's users.
    ListUsers,
    /// Create a user.
    CreateUser,
    /// One user.
    GetUser,
    /// Change a user (profile, password, disabled).
    UpdateUser,
    /// Delete a user.
    DeleteUser,
    /// A user's live sessions.
    ListUserSessions,
    /// Revoke every session and grant of a user.
    RevokeUserSessions,
    /// Revoke one session of a user (and the refresh tokens issued in it).
    RevokeUserSession,
    /// A tenant's roles.
    ListRoles,
    /// Create a role.
    CreateRole,
    /// One role.
    GetRole,
    /// Change a role's description.
    UpdateRole,
    /// Delete a role.
    DeleteRole,
    /// A user's roles.
    ListUserRoles,
    /// Assign a role to a user.
    AssignRole,
    /// Take a role from a user.
    UnassignRole,
    /// A tenant's signing keys.
    ListKeys,
    /// Rotate a tenant's signing keys.
    RotateKeys,
    /// The audit log.
    ListAuditEvents,
    /// The platform's settings (platform).
    GetPlatformSettings,
    /// Change the platform's settings (platform).
    UpdatePlatformSettings,
    /// A tenant's sign-in analytics.
    TenantAnalytics,
    /// The platform's sign-in analytics, over every tenant (platform).
    PlatformAnalytics,
    /// Tiers (platform).
    ListTiers,
    /// Create a tier (platform).
    CreateTier,
    /// One tier (platform).
    GetTier,
    /// Change a tier's limits (platform).
    UpdateTier,
    /// Delete a tier no tenant is assigned to (platform).
    DeleteTier,
    /// A tenant's tier, limits and usage.
    GetTenantUsage,
    /// Every user of a tenant, streamed as JSON Lines or CSV.
    ExportUsers,
    /// A tenant's upstream identity providers.
    ListUpstreams,
    /// Add an upstream identity provider.
    CreateUpstream,
    /// One upstream.
    GetUpstream,
    /// Change an upstream (name, credentials, rules).
    UpdateUpstream,
    /// Delete an upstream and the identities linked through it.
    DeleteUpstream,
    /// The upstream identities linked to a user.
    ListUserIdentities,
    /// Unlink an upstream identity from a user.
    UnlinkUserIdentity,
}

/// One route: a method, a path template under `/api/v1` (`{name}` is one
/// path segment) and the operation.
#[derive(Clone, Debug)]
pub struct Route {
    /// The HTTP method.
    pub method: Method,
    /// The path template, as the OpenAPI document spells it.
    pub path: &'static str,
    /// The operation.
    pub op: Op,
}

const fn route(method: Method, path: &'static str, op: Op) -> Route {
    Route { method, path, op }
}

/// Every route of the admin API.
pub const ROUTES: &[Route] = &[
    route(Method::GET, "/api/v1/openapi.json", Op::OpenApi),
    route(Method::GET, "/api/v1/tenants", Op::ListTenants),
    route(Method::POST, "/api/v1/tenants", Op::CreateTenant),
    route(Method::GET, "/api/v1/tenants/{slug}", Op::GetTenant),
    route(Method::PATCH, "/api/v1/tenants/{slug}", Op::UpdateTenant),
    route(Method::DELETE, "/api/v1/tenants/{slug}", Op::DeleteTenant),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/approve",
        Op::ApproveTenant,
    ),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/reject",
        Op::RejectTenant,
    ),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/suspend",
        Op::SuspendTenant,
    ),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/reactivate",
        Op::ReactivateTenant,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/clients",
        Op::ListClients,
    ),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/clients",
        Op::CreateClient,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/clients/{client_id}",
        Op::GetClient,
    ),
    route(
        Method::PATCH,
        "/api/v1/tenants/{slug}/clients/{client_id}",
        Op::UpdateClient,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/clients/{client_id}",
        Op::DeleteClient,
    ),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/clients/{client_id}/secret",
        Op::RotateClientSecret,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/usage",
        Op::GetTenantUsage,
    ),
    route(Method::GET, "/api/v1/tenants/{slug}/users", Op::ListUsers),
    // Before `/users/{id}`, which would match `export` as an id.
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/users/export",
        Op::ExportUsers,
    ),
    route(Method::POST, "/api/v1/tenants/{slug}/users", Op::CreateUser),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/users/{id}",
        Op::GetUser,
    ),
    route(
        Method::PATCH,
        "/api/v1/tenants/{slug}/users/{id}",
        Op::UpdateUser,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/users/{id}",
        Op::DeleteUser,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/users/{id}/sessions",
        Op::ListUserSessions,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/users/{id}/sessions",
        Op::RevokeUserSessions,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/users/{id}/sessions/{sid}",
        Op::RevokeUserSession,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/users/{id}/roles",
        Op::ListUserRoles,
    ),
    route(
        Method::PUT,
        "/api/v1/tenants/{slug}/users/{id}/roles/{role}",
        Op::AssignRole,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/users/{id}/roles/{role}",
        Op::UnassignRole,
    ),
    route(Method::GET, "/api/v1/tenants/{slug}/roles", Op::ListRoles),
    route(Method::POST, "/api/v1/tenants/{slug}/roles", Op::CreateRole),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/roles/{role}",
        Op::GetRole,
    ),
    route(
        Method::PATCH,
        "/api/v1/tenants/{slug}/roles/{role}",
        Op::UpdateRole,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/roles/{role}",
        Op::DeleteRole,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/users/{id}/identities",
        Op::ListUserIdentities,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/users/{id}/identities/{upstream_id}/{subject}",
        Op::UnlinkUserIdentity,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/upstreams",
        Op::ListUpstreams,
    ),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/upstreams",
        Op::CreateUpstream,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/upstreams/{upstream_id}",
        Op::GetUpstream,
    ),
    route(
        Method::PATCH,
        "/api/v1/tenants/{slug}/upstreams/{upstream_id}",
        Op::UpdateUpstream,
    ),
    route(
        Method::DELETE,
        "/api/v1/tenants/{slug}/upstreams/{upstream_id}",
        Op::DeleteUpstream,
    ),
    route(Method::GET, "/api/v1/tenants/{slug}/keys", Op::ListKeys),
    route(
        Method::POST,
        "/api/v1/tenants/{slug}/keys/rotate",
        Op::RotateKeys,
    ),
    route(Method::GET, "/api/v1/audit-events", Op::ListAuditEvents),
    route(
        Method::GET,
        "/api/v1/platform/settings",
        Op::GetPlatformSettings,
    ),
    route(
        Method::PATCH,
        "/api/v1/platform/settings",
        Op::UpdatePlatformSettings,
    ),
    route(
        Method::GET,
        "/api/v1/tenants/{slug}/analytics",
        Op::TenantAnalytics,
    ),
    route(Method::GET, "/api/v1/analytics", Op::PlatformAnalytics),
    route(Method::GET, "/api/v1/tiers", Op::ListTiers),
    route(Method::POST, "/api/v1/tiers", Op::CreateTier),
    route(Method::GET, "/api/v1/tiers/{tier}", Op::GetTier),
    route(Method::PATCH, "/api/v1/tiers/{tier}", Op::UpdateTier),
    route(Method::DELETE, "/api/v1/tiers/{tier}", Op::DeleteTier),
];

impl Op {
    /// The lifecycle move the operation makes, if it is one: a platform
    /// operation, refused to a key limited to tenants.
    pub fn transition(self) -> Option<idp_core::tenant::state::Transition> {
        use idp_core::tenant::state::Transition;
        match self {
            Self::ApproveTenant => Some(Transition::Approve),
            Self::RejectTenant => Some(Transition::Reject),
            Self::SuspendTenant => Some(Transition::Suspend),
            Self::ReactivateTenant => Some(Transition::Reactivate),
            _ => None,
        }
    }

    /// Whether the operation is the platform's rather than one tenant's:
    /// a lifecycle move (even though its path names a tenant), tiers, the
    /// platform's settings, analytics over every tenant. What each
    /// credential may do is decided by `idp_core::admin::policy` from the
    /// kind `api::action_kind` gives every route: a new platform-wide route
    /// belongs here.
    pub fn is_platform_operation(self) -> bool {
        self.transition().is_some()
            || self.is_tier_operation()
            || matches!(
                self,
                Self::GetPlatformSettings | Self::UpdatePlatformSettings | Self::PlatformAnalytics
            )
    }

    /// Whether the operation reads or changes tiers (the platform's).
    pub fn is_tier_operation(self) -> bool {
        matches!(
            self,
            Self::ListTiers
                | Self::CreateTier
                | Self::GetTier
                | Self::UpdateTier
                | Self::DeleteTier
        )
    }
}

/// The path parameters of a matched route.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Params<'a> {
    /// `{slug}`: the tenant.
    pub slug: Option<&'a str>,
    /// `{client_id}`.
    pub client_id: Option<&'a str>,
    /// `{id}`: a user.
    pub user: Option<&'a str>,
    /// `{role}`.
    pub role: Option<&'a str>,
    /// `{tier}`: a tier's name.
    pub tier: Option<&'a str>,
    /// `{sid}`: a login session's id.
    pub session: Option<&'a str>,
    /// `{upstream_id}`: an upstream's id.
    pub upstream: Option<&'a str>,
    /// `{subject}`: an upstream's key for a person, percent-encoded
    /// (RFC 3986 §2.1) as it may hold any character.
    pub subject: Option<&'a str>,
}

/// How a path matched the table.
#[derive(Debug, PartialEq, Eq)]
pub enum Matched<'a> {
    /// A route: its operation and parameters.
    Route(Op, Params<'a>),
    /// The path is served, not with this method; the methods it allows.
    MethodNotAllowed(Vec<Method>),
    /// No route has this path.
    NotFound,
}

/// Matches `method` and `path` (which starts with `/api/v1`) against [`ROUTES`].
pub fn match_route<'a>(method: &Method, path: &'a str) -> Matched<'a> {
    let mut allowed = Vec::new();
    for r in ROUTES {
        if let Some(params) = match_path(r.path, path) {
            if r.method == *method {
                return Matched::Route(r.op, params);
            }
            allowed.push(r.method.clone());
        }
    }
    if allowed.is_empty() {
        Matched::NotFound
    } else {
        Matched::MethodNotAllowed(allowed)
    }
}

/// Matches one template; a parameter is one non-empty segment of
/// unreserved characters (ids, slugs and role names never need escaping,
/// so a `%` or other character cannot name anything and does not match),
/// but `{subject}`, an upstream's key for a person, which may also hold
/// percent-encoded octets (the handler decodes them).
fn match_path<'a>(template: &str, path: &'a str) -> Option<Params<'a>> {
    let mut params = Params::default();
    let mut segments = path.split('/');
    for expected in template.split('/') {
        let got = segments.next()?;
        match expected.strip_prefix('{').and_then(|e| e.strip_suffix('}')) {
            None if expected == got => {}
            None => return None,
            Some(name) => {
                let unreserved = |c: char| {
                    c.is_ascii_alphanumeric()
                        || "-._~:".contains(c)
                        || (name == "subject" && c == '%')
                };
                if got.is_empty() || !got.chars().all(unreserved) {
                    return None;
                }
                match name {
                    "slug" => params.slug = Some(got),
                    "client_id" => params.client_id = Some(got),
                    "id" => params.user = Some(got),
                    "tier" => params.tier = Some(got),
                    "sid" => params.session = Some(got),
                    "upstream_id" => params.upstream = Some(got),
                    "subject" => params.subject = Some(got),
                    _ => params.role = Some(got),
                }
            }
        }
    }
    segments.next().is_none().then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_their_templates_only() {
        let m = match_route(&Method::GET, "/api/v1/tenants/acme/users/u1/roles");
        assert_eq!(
            m,
            Matched::Route(
                Op::ListUserRoles,
                Params {
                    slug: Some("acme"),
                    user: Some("u1"),
                    ..Params::default()
                }
            )
        );
        assert_eq!(
            match_route(&Method::GET, "/api/v1/tenants/"),
            Matched::NotFound
        );
        assert_eq!(
            match_route(&Method::GET, "/api/v1/tenants/a%2Fb"),
            Matched::NotFound
        );
        assert_eq!(
            match_route(&Method::GET, "/api/v1/tenants/acme/extra/x"),
            Matched::NotFound
        );
        assert_eq!(
            match_route(&Method::PUT, "/api/v1/tenants"),
            Matched::MethodNotAllowed(vec![Method::GET, Method::POST])
        );
    }

    #[test]
    fn every_route_is_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {}",
                r.method,
                r.path
            );
            assert!(seen.len() <= ROUTES.len());
        }
    }
}
