//! Operators (issue 17) through real HTTP: users of the platform tenant
//! sign in through the code flow with PKCE at a platform client registered
//! with `--audience {BASE_URL}/api/v1`, get an access token for that
//! resource (RFC 8707) and call the admin API with it; the one policy
//! (`idp_core::admin::policy`) decides by their roles, read fresh on each
//! request. Every route of the route table × every role; revoking the
//! operator's sessions makes the next call 401; another audience or
//! another tenant's token is 401; the only owner cannot lose the role.

use super::world::{World, is_write, success, unique};
use super::{Api, Auth, Req, api_server};
use crate::support::*;
use idp_server::api::routes::{Op, ROUTES, Route};
use reqwest::{Method, StatusCode};
use serde_json::json;

/// An operator's roles in the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Owner,
    Admin,
    Auditor,
    OrgAdminA,
    OrgViewerA,
    Nothing,
}

const ROLES: [Role; 6] = [
    Role::Owner,
    Role::Admin,
    Role::Auditor,
    Role::OrgAdminA,
    Role::OrgViewerA,
    Role::Nothing,
];

impl Role {
    fn names(self) -> &'static [&'static str] {
        match self {
            Self::Owner => &["owner"],
            Self::Admin => &["admin"],
            Self::Auditor => &["auditor"],
            Self::OrgAdminA => &["org-admin:alpha"],
            Self::OrgViewerA => &["org-viewer:alpha"],
            Self::Nothing => &[],
        }
    }
}

/// The platform's console: a confidential client of the platform tenant
/// allowed the admin API as audience.
pub struct Console {
    endpoints: Endpoints,
    client: RegisteredClient,
    audience: String,
}

impl Console {
    /// Registers it on `server` with the CLI.
    pub async fn register(server: &TestServer) -> Self {
        Self::register_with(server, &[]).await
    }

    /// The same, also allowed the audiences `more`.
    pub async fn register_with(server: &TestServer, more: &[&str]) -> Self {
        let audience = format!("{}/api/v1", server.base_url);
        let mut audiences = vec![audience.clone()];
        audiences.extend(more.iter().map(|a| (*a).to_owned()));
        let client = server.create_client(
            "platform",
            &ClientSpec {
                audiences,
                ..ClientSpec::confidential("Console")
            },
        );
        Self {
            endpoints: discover(&server.issuer("platform")).await,
            client,
            audience,
        }
    }

    /// Signs `user` in (code flow, PKCE) asking for `resource`: the
    /// access token.
    pub async fn token_for(&self, user: &User, resource: &str) -> String {
        let (verifier, challenge) = pkce_pair();
        let url =
            RawAuthorize::code_with_pkce(&self.endpoints, &self.client.client_id, &challenge, "st")
                .set("scope", "openid")
                .add("resource", resource)
                .url();
        let (callback, _) = Browser::new().authorize(&url, REDIRECT_URI, user).await;
        let code = callback.code();
        let res = token_request(
            &self.endpoints.token,
            ClientAuth::of(&self.client),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
                ("resource", resource),
            ],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        super::text(&res.json()["access_token"])
    }

    /// Signs `user` in for the admin API.
    pub async fn token(&self, user: &User) -> String {
        self.token_for(user, &self.audience.clone()).await
    }
}

/// A new operator holding `roles` (organisation roles created as needed,
/// with the full key): the user.
pub async fn operator(server: &TestServer, api: &Api, roles: &[&str]) -> User {
    let email = format!("{}@ops.example", unique("op"));
    let user = server.create_user("platform", &email, "Operator", PASSWORD);
    for role in roles {
        let path = format!("/api/v1/tenants/platform/roles/{role}");
        if api.send(Req::get(&path)).await.status == StatusCode::NOT_FOUND {
            api.create("/api/v1/tenants/platform/roles", &json!({"name": role}))
                .await;
        }
        let path = format!("/api/v1/tenants/platform/users/{}/roles/{role}", user.id);
        let res = api.send(Req::new(Method::PUT, &path)).await;
        assert!(res.status.is_success(), "{}", res.body);
    }
    user
}

/// Which tenant a row's request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// alpha, the organisation roles' tenant.
    A,
    /// bravo, which they may not see.
    B,
}

/// `role` on `route` about `target`: `None` is the operation's success.
fn expect(role: Role, route: &Route, target: Target) -> Option<StatusCode> {
    if route.op == Op::OpenApi {
        return None;
    }
    let has_tenant = route.path.contains("{slug}");
    let write = is_write(route);
    // Creating and deleting tenants, their lifecycle, tiers, the
    // platform's settings and analytics over every tenant.
    let platform_or_lifecycle =
        matches!(route.op, Op::CreateTenant | Op::DeleteTenant) || route.op.is_platform_operation();
    match role {
        Role::Owner | Role::Admin => None,
        Role::Auditor if write => Some(StatusCode::FORBIDDEN),
        Role::Auditor => None,
        Role::Nothing => Some(StatusCode::FORBIDDEN),
        Role::OrgAdminA | Role::OrgViewerA => match (has_tenant, target) {
            (true, Target::B) => Some(StatusCode::NOT_FOUND),
            _ if platform_or_lifecycle => Some(StatusCode::FORBIDDEN),
            _ if write && role == Role::OrgViewerA => Some(StatusCode::FORBIDDEN),
            _ => None,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_times_every_operator_role() {
    let server = api_server().await;
    let api = Api::new(&server);
    let mut alpha = World::create(&api, "alpha").await;
    let bravo = World::create(&api, "bravo").await;
    let console = Console::register(&server).await;
    let mut tokens = Vec::new();
    for role in ROLES {
        let user = operator(&server, &api, role.names()).await;
        tokens.push((role, console.token(&user).await));
    }
    let bravo_before = bravo.snapshot(&api).await;
    let mut failures = Vec::new();
    let mut rows = 0;
    for route in ROUTES {
        for (role, token) in &tokens {
            let targets: &[Target] = match role {
                Role::OrgAdminA | Role::OrgViewerA => &[Target::A, Target::B],
                _ => &[Target::A],
            };
            for &target in targets {
                let want = expect(*role, route, target);
                let world = match (target, want) {
                    (Target::B, _) => bravo.clone(),
                    (Target::A, None) if route.op.transition().is_some() => {
                        World::create_for(&server, &api, "life", route.op).await
                    }
                    (Target::A, None) if route.op == Op::DeleteTenant => {
                        World::create(&api, &unique("gone")).await
                    }
                    (Target::A, None) if is_write(route) => {
                        World::furnish_for(&api, "alpha", route.op).await
                    }
                    (Target::A, _) => alpha.clone(),
                };
                let req = world.request(route).auth(Auth::Token(token.clone()));
                let res = api.send(req).await;
                rows += 1;
                let ok = match want {
                    None => success(route.op).contains(&res.status),
                    Some(s) => {
                        res.status == s
                            && res.header("content-type").as_deref()
                                == Some("application/problem+json")
                    }
                };
                if !ok {
                    failures.push(format!(
                        "{role:?} {} {} ({target:?}): expected {want:?}, got {} {}",
                        route.method, route.path, res.status, res.body
                    ));
                }
            }
        }
        if route.op == Op::ListTenants {
            // Organisation roles list only their tenant.
            let (_, token) = &tokens[3];
            let res = api.send(Req::get("/api/v1/tenants").token(token)).await;
            assert_eq!(res.json()["items"].as_array().map(Vec::len), Some(1));
            assert_eq!(res.json()["items"][0]["slug"], "alpha", "{}", res.body);
        }
    }
    alpha = World::furnish(&api, &alpha.slug).await;
    assert!(!alpha.user_id.is_empty());
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rows > ROUTES.len() * ROLES.len());
    assert_eq!(bravo_before, bravo.snapshot(&api).await, "bravo changed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_token_works_until_their_sessions_are_revoked() {
    let server = api_server().await;
    let api = Api::new(&server);
    const OTHER: &str = "https://other.example/api";
    let console = Console::register_with(&server, &[OTHER]).await;
    let admin = operator(&server, &api, &["admin"]).await;
    let token = console.token(&admin).await;
    let created = api
        .send(Req::post("/api/v1/tenants", &json!({"slug": "delta"})).token(&token))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let events = api.audit("action=tenant.create&tenant=delta").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "operator");
    assert_eq!(events[0]["actor"]["id"], admin.id.as_str());
    assert_eq!(events[0]["actor"]["name"], admin.email.as_str());

    // A token for another resource, or of another tenant, is refused.
    let other = console.token_for(&admin, OTHER).await;
    let tenants = Req::get("/api/v1/tenants");
    let res = api.send(tenants.clone().token(&other)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    let foreign = {
        server.create_tenant("acme");
        let audience = format!("{}/api/v1", server.base_url);
        let client = server.create_client(
            "acme",
            &ClientSpec {
                audiences: vec![audience.clone()],
                ..ClientSpec::confidential("Lookalike")
            },
        );
        let user = server.create_user("acme", &admin.email, "Same Email", PASSWORD);
        let look = Console {
            endpoints: discover(&server.issuer("acme")).await,
            client,
            audience,
        };
        look.token(&user).await
    };
    let res = api.send(tenants.clone().token(&foreign)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);

    // An admin may not act on owners; the only owner cannot lose the role.
    let owner = operator(&server, &api, &["owner"]).await;
    let owner_role = format!("/api/v1/tenants/platform/users/{}/roles/owner", admin.id);
    let res = api
        .send(Req::new(Method::PUT, &owner_role).token(&token))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let owner_path = format!("/api/v1/tenants/platform/users/{}", owner.id);
    let res = api.send(Req::delete(&owner_path).token(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    // Nor sign an owner out everywhere.
    let owner_sessions = format!("{owner_path}/sessions");
    let res = api.send(Req::delete(&owner_sessions).token(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let owner_token = console.token(&owner).await;
    let own_role = format!("/api/v1/tenants/platform/users/{}/roles/owner", owner.id);
    for req in [Req::delete(&own_role), Req::delete(&owner_path)] {
        let res = api.send(req.token(&owner_token)).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    }
    let out = server.cli(&["user", "delete", "--tenant", "platform", &owner.id], None);
    assert_eq!(out.code, Some(4), "{out:?}");

    // Taking the role away takes effect at once.
    let res = api.send(tenants.clone().token(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let admin_role = format!("/api/v1/tenants/platform/users/{}/roles/admin", admin.id);
    let res = api.send(Req::delete(&admin_role)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let res = api.send(tenants.clone().token(&token)).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = api.send(Req::new(Method::PUT, &admin_role)).await;
    assert!(res.status.is_success(), "{}", res.body);
    let res = api.send(tenants.clone().token(&token)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Revoking the operator's sessions ends the token.
    let sessions = format!("/api/v1/tenants/platform/users/{}/sessions", admin.id);
    let res = api.send(Req::delete(&sessions)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = api.send(tenants.token(&token)).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    assert!(
        res.header("www-authenticate")
            .is_some_and(|c| c.starts_with("Bearer")),
        "{:?}",
        res.headers
    );
}
