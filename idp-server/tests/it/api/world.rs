//! A tenant furnished through the API (a client, a user, a role assigned to
//! the user) and, for every route of the route table, the concrete request
//! that exercises it there and the status that means success.

use super::{Api, Req};
use idp_server::api::routes::{Op, ROUTES, Route};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Names that never repeat within a test binary.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// One tenant and its objects.
#[derive(Clone, Debug)]
pub struct World {
    /// The tenant's slug.
    pub slug: String,
    /// A confidential client's `client_id`.
    pub client_id: String,
    /// A user's id.
    pub user_id: String,
    /// A role's name, assigned to the user.
    pub role: String,
    /// A tier's name (tiers are the platform's: one made for this world).
    pub tier: String,
    /// A live session of the user once [`Self::sign_in`] made one; until
    /// then an id no session has.
    pub session: String,
    /// An upstream's id.
    pub upstream: String,
    /// The subject of an identity of [`Self::upstream`] linked to the user
    /// (with a second one, so unlinking it is allowed), percent-encoded
    /// as its path segment; `no-such-subject` when the API has no store
    /// to link through ([`Api::database_url`]).
    pub subject: String,
}

impl World {
    /// Creates tenant `slug` and its objects with `api`'s full key.
    pub async fn create(api: &Api, slug: &str) -> Self {
        api.create("/api/v1/tenants", &json!({"slug": slug, "name": "World"}))
            .await;
        Self::furnish(api, slug).await
    }

    /// A new world (slug `unique(prefix)`) in the state `op` starts from:
    /// pending for approve and reject (created by the CLI's `--pending`:
    /// the API creates active tenants), suspended for reactivate, active
    /// otherwise.
    pub async fn create_for(
        server: &crate::support::TestServer,
        api: &Api,
        prefix: &str,
        op: Op,
    ) -> Self {
        use crate::support::Cli;
        let slug = unique(prefix);
        match op {
            Op::ApproveTenant | Op::RejectTenant => {
                server.cli_json(&["tenant", "create", &slug, "--pending", "--json"], None);
                Self::furnish(api, &slug).await
            }
            Op::RevokeUserSession => {
                let mut w = Self::create(api, &slug).await;
                w.sign_in(api).await;
                w
            }
            Op::ReactivateTenant => {
                let w = Self::create(api, &slug).await;
                let res = api
                    .send(Req::post(
                        &format!("/api/v1/tenants/{slug}/suspend"),
                        &json!({"reason": "before reactivation"}),
                    ))
                    .await;
                assert_eq!(res.status, StatusCode::OK, "{}", res.body);
                w
            }
            _ => Self::create(api, &slug).await,
        }
    }

    /// New objects in the existing tenant `slug`.
    pub async fn furnish(api: &Api, slug: &str) -> Self {
        let base = format!("/api/v1/tenants/{slug}");
        let client = api
            .create(
                &format!("{base}/clients"),
                &json!({"name": "App", "redirect_uris": [crate::support::REDIRECT_URI]}),
            )
            .await;
        let user = api
            .create(
                &format!("{base}/users"),
                &json!({"email": format!("{}@example.com", unique("u")), "name": "U"}),
            )
            .await;
        let role = unique("role");
        api.create(&format!("{base}/roles"), &json!({"name": role}))
            .await;
        let user_id = super::text(&user["id"]);
        let res = api
            .send(Req::new(
                Method::PUT,
                &format!("{base}/users/{user_id}/roles/{role}"),
            ))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let tier = unique("tier");
        let res = api
            .send(Req::post(
                "/api/v1/tiers",
                &json!({"name": tier, "users": 1000}),
            ))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let upstream = api
            .create(
                &format!("{base}/upstreams"),
                &json!({
                    "kind": "github",
                    "name": "GitHub",
                    "client_id": "world-client",
                    "client_secret": "world upstream secret",
                }),
            )
            .await;
        let upstream = super::text(&upstream["id"]);
        let subject = match &api.database_url {
            Some(url) => {
                let tenant = super::text(&api.get(&base).await["id"]);
                let first = unique("tid/oid|");
                for subject in [first.as_str(), "second"] {
                    super::upstreams::link(url, &tenant, &upstream, subject, &user_id).await;
                }
                first.replace('/', "%2F").replace('|', "%7C")
            }
            None => "no-such-subject".to_owned(),
        };
        Self {
            slug: slug.to_owned(),
            client_id: super::text(&client["client_id"]),
            user_id,
            role,
            tier,
            session: "no-such-session".to_owned(),
            upstream,
            subject,
        }
    }

    /// [`Self::furnish`], with the user signed in when `op` revokes one
    /// session (it needs a live one to succeed).
    pub async fn furnish_for(api: &Api, slug: &str, op: Op) -> Self {
        let mut w = Self::furnish(api, slug).await;
        if op == Op::RevokeUserSession {
            w.sign_in(api).await;
        }
        w
    }

    /// Signs the user in at the tenant: a password set through the API,
    /// then the login form of an authorization request of the world's
    /// client submitted in a fresh browser. The live session this makes
    /// becomes [`Self::session`].
    pub async fn sign_in(&mut self, api: &Api) {
        use crate::support::{Browser, RawAuthorize, discover, pkce_pair};
        let password = "world user's password";
        let user = format!("/api/v1/tenants/{}/users/{}", self.slug, self.user_id);
        let res = api
            .send(Req::patch(&user, &json!({"password": password})))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let email = super::text(&res.json()["email"]);
        let endpoints = discover(&format!("{}/t/{}", api.base_url, self.slug)).await;
        let (_, challenge) = pkce_pair();
        let auth = RawAuthorize::code_with_pkce(&endpoints, &self.client_id, &challenge, "world");
        let browser = Browser::new();
        let res = browser.get(&auth.url()).await;
        let page = browser.get(res.redirect().as_str()).await;
        let res = browser.submit_login(&page, &email, password).await;
        assert!(
            res.status.is_redirection(),
            "login: {} {}",
            res.status,
            res.body
        );
        let live = api.get(&format!("{user}/sessions")).await;
        self.session = super::text(&live["items"][0]["id"]);
        assert!(!self.session.is_empty(), "no session after login: {live}");
    }

    /// `route`'s template with this world's objects in it.
    pub fn path(&self, route: &Route) -> String {
        route
            .path
            .replace("{slug}", &self.slug)
            .replace("{client_id}", &self.client_id)
            .replace("{id}", &self.user_id)
            .replace("{role}", &self.role)
            .replace("{tier}", &self.tier)
            .replace("{sid}", &self.session)
            .replace("{upstream_id}", &self.upstream)
            .replace("{subject}", &self.subject)
    }

    /// The request that exercises `route` here (with the full key).
    pub fn request(&self, route: &Route) -> Req {
        let method = Method::from_bytes(route.method.as_str().as_bytes()).unwrap_or(Method::GET);
        let req = Req::new(method, &self.path(route));
        match body_of(route.op) {
            Some(body) => req.json(&body),
            None => req,
        }
    }

    /// A snapshot of everything of this world, to show it untouched.
    pub async fn snapshot(&self, api: &Api) -> Vec<Value> {
        let mut seen = Vec::new();
        for r in ROUTES.iter().filter(|r| r.method == http::Method::GET) {
            if r.path.contains("{slug}") {
                seen.push(api.get(&self.path(r)).await);
            }
        }
        seen
    }
}

/// Whether `op` changes anything (every method but GET).
pub fn is_write(route: &Route) -> bool {
    route.method != http::Method::GET
}

/// The body the request for `op` carries. Exhaustive on purpose: a new
/// operation must be given one (or none) here before the tests compile.
pub fn body_of(op: Op) -> Option<Value> {
    match op {
        Op::CreateTenant => Some(json!({"slug": unique("t"), "name": "New"})),
        Op::UpdateTenant => Some(json!({"name": "Renamed"})),
        Op::CreateClient => Some(json!({
            "name": "Another",
            "redirect_uris": [crate::support::REDIRECT_URI],
        })),
        Op::UpdateClient => Some(json!({"name": "Renamed"})),
        Op::CreateUser => Some(json!({
            "email": format!("{}@example.com", unique("new")),
            "name": "New User",
        })),
        Op::UpdateUser => Some(json!({"name": "Renamed"})),
        Op::CreateRole => Some(json!({"name": unique("newrole"), "description": "d"})),
        Op::UpdateRole => Some(json!({"description": "changed"})),
        Op::RejectTenant | Op::SuspendTenant => Some(json!({"reason": "scripted"})),
        Op::UpdatePlatformSettings => Some(json!({"signup": "open"})),
        Op::CreateTier => Some(json!({"name": unique("newtier"), "users": 100})),
        Op::UpdateTier => Some(json!({"users": 50})),
        Op::CreateUpstream => Some(json!({
            "kind": "oidc",
            "name": "Corporate",
            "issuer": "https://id.example.com",
            "client_id": "another",
            "client_secret": "another upstream secret",
        })),
        Op::UpdateUpstream => {
            Some(json!({"name": "Renamed", "client_secret": "rotated upstream secret"}))
        }
        Op::ListUpstreams
        | Op::GetUpstream
        | Op::DeleteUpstream
        | Op::ListUserIdentities
        | Op::UnlinkUserIdentity
        | Op::OpenApi
        | Op::ListTiers
        | Op::GetTier
        | Op::DeleteTier
        | Op::GetTenantUsage
        | Op::ExportUsers
        | Op::ListTenants
        | Op::GetTenant
        | Op::DeleteTenant
        | Op::ApproveTenant
        | Op::ReactivateTenant
        | Op::ListClients
        | Op::GetClient
        | Op::DeleteClient
        | Op::RotateClientSecret
        | Op::ListUsers
        | Op::GetUser
        | Op::DeleteUser
        | Op::ListUserSessions
        | Op::RevokeUserSessions
        | Op::RevokeUserSession
        | Op::ListRoles
        | Op::GetRole
        | Op::DeleteRole
        | Op::ListUserRoles
        | Op::AssignRole
        | Op::UnassignRole
        | Op::ListKeys
        | Op::RotateKeys
        | Op::ListAuditEvents
        | Op::GetPlatformSettings
        | Op::TenantAnalytics
        | Op::PlatformAnalytics => None,
    }
}

/// The statuses that mean `op` succeeded.
pub fn success(op: Op) -> &'static [StatusCode] {
    match op {
        Op::CreateTenant
        | Op::CreateClient
        | Op::CreateUser
        | Op::CreateRole
        | Op::CreateTier
        | Op::CreateUpstream => &[StatusCode::CREATED],
        Op::DeleteTenant
        | Op::DeleteClient
        | Op::DeleteUser
        | Op::DeleteRole
        | Op::DeleteTier
        | Op::DeleteUpstream => &[StatusCode::NO_CONTENT],
        Op::UnassignRole | Op::RevokeUserSession | Op::UnlinkUserIdentity => {
            &[StatusCode::NO_CONTENT]
        }
        // Assigning a role the user already has is a no-op.
        Op::AssignRole => &[StatusCode::OK, StatusCode::CREATED],
        _ => &[StatusCode::OK],
    }
}
