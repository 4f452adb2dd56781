//! The OpenAPI 3.1 document of the admin API, served without credentials
//! at `/api/v1/openapi.json`.
//!
//! It is generated, not written: the schemas come from [`super::schema`]
//! (utoipa's `ToSchema`), the operations from the route table
//! ([`ROUTES`]), each route described by [`describe`]: its body, its
//! success, its query parameters and the problems it can answer with
//! (RFC 9457, `application/problem+json`). A route cannot be added to the
//! table without a description here (the `match` is exhaustive), and the
//! route-parity test checks the document has exactly the table's routes.
//!
//! The server URL is BASE_URL and the paths keep their `/api/v1` prefix,
//! as the table spells them.

mod components;
mod examples;
mod operation;
mod parameter;

use super::routes::{Op, ROUTES};
use super::schema;
use operation::{Body, Describe};
use parameter::Query;
use serde_json::Value;
use std::sync::OnceLock;
use utoipa::OpenApi;

/// Every schema of the document (with the ones they refer to).
#[derive(OpenApi)]
#[openapi(components(schemas(
    schema::Problem,
    schema::Tenant,
    schema::NewTenant,
    schema::TenantPatch,
    schema::StateReason,
    schema::TenantPage,
    schema::Client,
    schema::NewClient,
    schema::ClientPatch,
    schema::ClientPage,
    schema::ClientSecret,
    schema::User,
    schema::NewUser,
    schema::UserPatch,
    schema::UserPage,
    schema::SessionPage,
    schema::RevokedSessions,
    schema::Role,
    schema::NewRole,
    schema::RolePatch,
    schema::RolePage,
    schema::RoleNamePage,
    schema::RoleAssignment,
    schema::SigningKeyPage,
    schema::RotatedKeys,
    schema::AuditEventPage,
    schema::PlatformSettings,
    schema::PlatformSettingsPatch,
    schema::Analytics,
    schema::Tier,
    schema::NewTier,
    schema::TierPatch,
    schema::TierPage,
    schema::TenantUsage,
    schema::Upstream,
    schema::NewUpstream,
    schema::UpstreamPatch,
    schema::UpstreamPage,
    schema::LinkedIdentityPage,
)))]
struct Schemas;

/// The document for a server at `base_url`.
pub fn document(base_url: &str) -> Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    let mut doc = DOCUMENT.get_or_init(build).clone();
    doc["servers"] = serde_json::json!([{
        "url": base_url,
        "description": "BASE_URL: every path starts with /api/v1",
    }]);
    doc
}

/// Builds the document once (without its server).
fn build() -> Value {
    let mut doc = Schemas::openapi();
    doc.info = utoipa::openapi::InfoBuilder::new()
        .title("idp admin API")
        .version("1")
        .description(Some(
            "Tenants, clients, users, roles, upstream identity providers, signing keys, the audit log, the platform's \
             settings and sign-in analytics of the identity provider. Authenticate with an \
             API key (a Biscuit token) or an operator's access token as \
             `Authorization: Bearer`. Errors are RFC 9457 problems.",
        ))
        .build();
    let mut components = doc.components.take().unwrap_or_default();
    components::add_shared(&mut components);
    doc.components = Some(components);
    let mut paths = utoipa::openapi::Paths::new();
    for route in ROUTES {
        let description = describe(route.op);
        paths.add_path_operation(
            route.path,
            vec![operation::method(&route.method)],
            description.operation(route.path),
        );
    }
    doc.paths = paths;
    serde_json::to_value(&doc).unwrap_or_else(|e| {
        tracing::error!(%e, "the OpenAPI document does not serialize");
        Value::Null
    })
}

const PAGE: &[Query] = &[Query::Limit, Query::Cursor];

/// What each operation takes and answers.
fn describe(op: Op) -> Describe {
    let d = Describe::new;
    match op {
        Op::OpenApi => d("getOpenApiDocument", "This OpenAPI document", "Document")
            .public()
            .document(),
        Op::ListTenants => d("listTenants", "List tenants, by slug", "Tenants")
            .query(PAGE)
            .ok("TenantPage"),
        Op::CreateTenant => d("createTenant", "Create a tenant", "Tenants")
            .body(Body::Json("NewTenant"))
            .create("Tenant"),
        Op::GetTenant => d("getTenant", "Show a tenant", "Tenants").single("Tenant"),
        Op::UpdateTenant => d("updateTenant", "Change a tenant", "Tenants")
            .body(Body::MergePatch("TenantPatch"))
            .if_match()
            .conflicts()
            .single("Tenant"),
        Op::DeleteTenant => d(
            "deleteTenant",
            "Delete a tenant and everything in it",
            "Tenants",
        )
        .if_match()
        .no_content(),
        Op::ApproveTenant => d(
            "approveTenant",
            "Approve a pending tenant (platform operators)",
            "Tenants",
        )
        .body(Body::Empty)
        .conflicts()
        .single("Tenant"),
        Op::RejectTenant => d(
            "rejectTenant",
            "Reject a pending tenant, with a reason (platform operators)",
            "Tenants",
        )
        .body(Body::Json("StateReason"))
        .conflicts()
        .single("Tenant"),
        Op::SuspendTenant => d(
            "suspendTenant",
            "Suspend an active tenant, with a reason (platform operators)",
            "Tenants",
        )
        .body(Body::Json("StateReason"))
        .conflicts()
        .single("Tenant"),
        Op::ReactivateTenant => d(
            "reactivateTenant",
            "Reactivate a suspended tenant (platform operators)",
            "Tenants",
        )
        .body(Body::Empty)
        .conflicts()
        .single("Tenant"),
        Op::ListClients => d("listClients", "List a tenant's clients", "Clients")
            .query(PAGE)
            .ok("ClientPage"),
        Op::CreateClient => d("createClient", "Register a client", "Clients")
            .body(Body::Json("NewClient"))
            .create("Client"),
        Op::GetClient => d("getClient", "Show a client", "Clients").single("Client"),
        Op::UpdateClient => d("updateClient", "Change a client", "Clients")
            .body(Body::MergePatch("ClientPatch"))
            .if_match()
            .conflicts()
            .single("Client"),
        Op::DeleteClient => d("deleteClient", "Delete a client", "Clients")
            .if_match()
            .no_content(),
        Op::RotateClientSecret => d(
            "rotateClientSecret",
            "Give a client a new secret (the old one works for a grace period)",
            "Clients",
        )
        .body(Body::Empty)
        .ok("ClientSecret"),
        Op::ListUsers => d("listUsers", "List a tenant's users", "Users")
            .query(&[Query::Email, Query::Limit, Query::Cursor])
            .ok("UserPage"),
        Op::CreateUser => d("createUser", "Create a user", "Users")
            .body(Body::Json("NewUser"))
            .create("User"),
        Op::GetUser => d("getUser", "Show a user", "Users").single("User"),
        Op::UpdateUser => d(
            "updateUser",
            "Change a user (profile, password, disabled)",
            "Users",
        )
        .body(Body::MergePatch("UserPatch"))
        .if_match()
        .conflicts()
        .single("User"),
        Op::DeleteUser => d("deleteUser", "Delete a user", "Users")
            .if_match()
            .no_content(),
        Op::ListUserSessions => d(
            "listUserSessions",
            "List a user's live sessions, newest first",
            "Users",
        )
        .ok("SessionPage"),
        Op::RevokeUserSessions => d(
            "revokeUserSessions",
            "Revoke every session and grant of a user",
            "Users",
        )
        .ok("RevokedSessions"),
        Op::RevokeUserSession => d(
            "revokeUserSession",
            "Revoke one of a user's sessions and the refresh tokens issued in it; 404 if it is not a live session of this user",
            "Users",
        )
        .no_content(),
        Op::ListRoles => d("listRoles", "List a tenant's roles", "Roles")
            .query(PAGE)
            .ok("RolePage"),
        Op::CreateRole => d("createRole", "Create a role", "Roles")
            .body(Body::Json("NewRole"))
            .create("Role"),
        Op::GetRole => d("getRole", "Show a role", "Roles").single("Role"),
        Op::UpdateRole => d("updateRole", "Change a role's description", "Roles")
            .body(Body::MergePatch("RolePatch"))
            .if_match()
            .single("Role"),
        Op::DeleteRole => d(
            "deleteRole",
            "Delete a role and every assignment of it",
            "Roles",
        )
        .if_match()
        .no_content(),
        Op::ListUserRoles => {
            d("listUserRoles", "List the names of a user's roles", "Roles").ok("RoleNamePage")
        }
        Op::AssignRole => d(
            "assignRole",
            "Assign a role to a user (201 if new, 200 if it already was)",
            "Roles",
        )
        .body(Body::Empty)
        .assign("RoleAssignment"),
        Op::UnassignRole => d("unassignRole", "Take a role from a user", "Roles").no_content(),
        Op::ListKeys => d(
            "listKeys",
            "List a tenant's signing keys with their state",
            "Keys",
        )
        .ok("SigningKeyPage"),
        Op::RotateKeys => d("rotateKeys", "Rotate a tenant's signing keys", "Keys")
            .body(Body::Empty)
            .query(&[Query::Immediately])
            .ok("RotatedKeys"),
        Op::ListAuditEvents => d("listAuditEvents", "The audit log, oldest first", "Audit")
            .query(&[
                Query::Tenant,
                Query::Actor,
                Query::Action,
                Query::Since,
                Query::Until,
                Query::Limit,
                Query::Cursor,
            ])
            .hides_tenants()
            .ok("AuditEventPage"),
        Op::GetPlatformSettings => d(
            "getPlatformSettings",
            "Show the platform's settings (platform operators)",
            "Platform",
        )
        .single("PlatformSettings"),
        Op::UpdatePlatformSettings => d(
            "updatePlatformSettings",
            "Change the platform's settings, such as who may sign up (platform operators)",
            "Platform",
        )
        .body(Body::MergePatch("PlatformSettingsPatch"))
        .if_match()
        .single("PlatformSettings"),
        Op::TenantAnalytics => d(
            "getTenantAnalytics",
            "A tenant's sign-ins per day (UTC), monthly active users and top clients, as of the last roll-up",
            "Analytics",
        )
        .query(&[Query::From, Query::To])
        .ok("Analytics"),
        Op::PlatformAnalytics => d(
            "getPlatformAnalytics",
            "Sign-ins over every tenant per day (UTC), monthly active users and top clients, as of the last roll-up (platform operators)",
            "Analytics",
        )
        .query(&[Query::From, Query::To])
        .ok("Analytics"),
        Op::ListTiers => d(
            "listTiers",
            "List tiers, by name (platform operators)",
            "Tiers",
        )
        .query(PAGE)
        .ok("TierPage"),
        Op::CreateTier => d("createTier", "Create a tier (platform operators)", "Tiers")
            .body(Body::Json("NewTier"))
            .create("Tier"),
        Op::GetTier => d("getTier", "Show a tier (platform operators)", "Tiers").single("Tier"),
        Op::UpdateTier => d(
            "updateTier",
            "Change a tier's limits (platform operators)",
            "Tiers",
        )
        .body(Body::MergePatch("TierPatch"))
        .if_match()
        .single("Tier"),
        Op::DeleteTier => d(
            "deleteTier",
            "Delete a tier; 409 while a tenant is assigned to it (platform operators)",
            "Tiers",
        )
        .if_match()
        .conflicts()
        .no_content(),
        Op::GetTenantUsage => d(
            "getTenantUsage",
            "A tenant's tier, limits and current usage",
            "Tiers",
        )
        .ok("TenantUsage"),
        Op::ExportUsers => d(
            "exportUsers",
            "Every user of a tenant, without secrets, streamed as JSON Lines or CSV",
            "Users",
        )
        .query(&[Query::Format])
        .export(),
        Op::ListUpstreams => d(
            "listUpstreams",
            "List a tenant's upstream identity providers",
            "Upstreams",
        )
        .query(PAGE)
        .ok("UpstreamPage"),
        Op::CreateUpstream => d(
            "createUpstream",
            "Add an upstream identity provider (GitHub, Google, Microsoft or any OpenID Provider); the answer has the callback URL to register there",
            "Upstreams",
        )
        .body(Body::Json("NewUpstream"))
        .create("Upstream"),
        Op::GetUpstream => d("getUpstream", "Show an upstream", "Upstreams").single("Upstream"),
        Op::UpdateUpstream => d(
            "updateUpstream",
            "Change an upstream's name, issuer, credentials or rules",
            "Upstreams",
        )
        .body(Body::MergePatch("UpstreamPatch"))
        .if_match()
        .single("Upstream"),
        Op::DeleteUpstream => d(
            "deleteUpstream",
            "Delete an upstream and the identities linked through it",
            "Upstreams",
        )
        .if_match()
        .no_content(),
        Op::ListUserIdentities => d(
            "listUserIdentities",
            "List the upstream identities linked to a user",
            "Users",
        )
        .ok("LinkedIdentityPage"),
        Op::UnlinkUserIdentity => d(
            "unlinkUserIdentity",
            "Unlink an upstream identity from a user (the subject percent-encoded); 409 if it is their last way to sign in",
            "Users",
        )
        .conflicts()
        .no_content(),
    }
}
