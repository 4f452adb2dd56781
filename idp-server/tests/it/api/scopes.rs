//! The scope rules, table-driven: every route of the route table (so a new
//! route cannot be left out) × every kind of credential → the status it
//! must get. Keys are minted, attenuated offline and revoked by the real
//! `idp-server api-key` commands.

use super::world::{World, is_write, success};
use super::{Api, Auth, api_server, attenuate, create_key, revoke};
use idp_server::api::routes::{Op, ROUTES, Route};
use reqwest::StatusCode;
use std::time::Duration;

/// The credentials of the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// No `Authorization` header.
    Nothing,
    /// A bearer token that is no key.
    Garbage,
    /// A key revoked with `api-key revoke`.
    Revoked,
    /// A key past its `--expires`.
    Expired,
    /// An offline attenuation of a key revoked after it was made.
    RevokedAttenuation,
    /// `api-key attenuate --expires 1s` of a full key, a while later.
    ExpiredAttenuation,
    /// A key without limits.
    Full,
    /// `api-key create --read-only`.
    ReadOnly,
    /// `api-key attenuate --read-only` of a full key.
    AttenuatedReadOnly,
    /// `api-key create --tenant alpha`.
    TenantA,
    /// `api-key attenuate --tenant alpha` of a full key.
    AttenuatedTenantA,
}

const KINDS: [Kind; 11] = [
    Kind::Nothing,
    Kind::Garbage,
    Kind::Revoked,
    Kind::Expired,
    Kind::RevokedAttenuation,
    Kind::ExpiredAttenuation,
    Kind::Full,
    Kind::ReadOnly,
    Kind::AttenuatedReadOnly,
    Kind::TenantA,
    Kind::AttenuatedTenantA,
];

/// What a row expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The operation's success status.
    Success,
    /// This error.
    Status(StatusCode),
}

/// Which tenant a row's request is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// `alpha`, the tenant the scoped keys may use.
    A,
    /// `bravo`, which they may not.
    B,
}

/// The table: `kind` on `route` about `target`.
fn expect(kind: Kind, route: &Route, target: Target) -> Expect {
    use Expect::{Status, Success};
    if route.op == Op::OpenApi {
        return Success; // public
    }
    let has_tenant = route.path.contains("{slug}");
    let platform = route.op.is_platform_operation();
    match kind {
        Kind::Nothing
        | Kind::Garbage
        | Kind::Revoked
        | Kind::Expired
        | Kind::RevokedAttenuation
        | Kind::ExpiredAttenuation => Status(StatusCode::UNAUTHORIZED),
        // alpha is active when the lifecycle routes come (in table order:
        // approve, reject, suspend, reactivate): approving or rejecting it
        // is a conflict, which only an authorized request learns.
        Kind::Full if matches!(route.op, Op::ApproveTenant | Op::RejectTenant) => {
            Status(StatusCode::CONFLICT)
        }
        Kind::Full => Success,
        Kind::ReadOnly | Kind::AttenuatedReadOnly if is_write(route) => {
            Status(StatusCode::FORBIDDEN)
        }
        Kind::ReadOnly | Kind::AttenuatedReadOnly => Success,
        Kind::TenantA | Kind::AttenuatedTenantA => match (has_tenant, target) {
            // The lifecycle is the platform's, even for the key's own tenant.
            (true, Target::A) if platform => Status(StatusCode::FORBIDDEN),
            (true, Target::A) => Success,
            (true, Target::B) => Status(StatusCode::NOT_FOUND),
            // Lists across tenants show only alpha's; a new tenant is no
            // tenant the key is limited to; tiers, the platform's settings
            // and analytics are no tenant's.
            (false, _) if is_write(route) || platform => Status(StatusCode::FORBIDDEN),
            (false, _) => Success,
        },
    }
}

struct Keys {
    tokens: Vec<(Kind, Option<String>)>,
}

impl Keys {
    fn token(&self, kind: Kind) -> Option<String> {
        self.tokens
            .iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, t)| t.clone())
    }
}

/// Mints every kind of credential on `server`; `api` checks that the
/// attenuation later revoked worked before its revocation.
async fn keys(server: &crate::support::TestServer, api: &Api) -> Keys {
    let expired = create_key(server, &["--expires", "1s", "--name", "short"]);
    let revoked = create_key(server, &["--name", "revoked"]);
    revoke(server, &revoked.id);
    let parent = create_key(server, &["--name", "parent"]);
    let child = attenuate(server, &parent.key, &["--read-only"]);
    let before = api
        .send(super::Req::get("/api/v1/tenants").token(&child))
        .await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    revoke(server, &parent.id);
    let read_only = create_key(server, &["--read-only", "--name", "reader"]);
    let tenant_a = create_key(server, &["--tenant", "alpha", "--name", "alpha-only"]);
    let att_ro = attenuate(server, &api.key.key, &["--read-only"]);
    let att_tenant = attenuate(server, &api.key.key, &["--tenant", "alpha"]);
    let att_short = attenuate(server, &api.key.key, &["--expires", "1s"]);
    // Let the short key expire.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    Keys {
        tokens: vec![
            (Kind::Nothing, None),
            (Kind::Garbage, Some("not-a-biscuit-key".to_owned())),
            (Kind::Revoked, Some(revoked.key)),
            (Kind::Expired, Some(expired.key)),
            (Kind::RevokedAttenuation, Some(child)),
            (Kind::ExpiredAttenuation, Some(att_short)),
            (Kind::Full, Some(api.key.key.clone())),
            (Kind::ReadOnly, Some(read_only.key)),
            (Kind::AttenuatedReadOnly, Some(att_ro)),
            (Kind::TenantA, Some(tenant_a.key)),
            (Kind::AttenuatedTenantA, Some(att_tenant)),
        ],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_times_every_kind_of_key() {
    let server = api_server().await;
    let api = Api::new(&server);
    let mut alpha = World::create(&api, "alpha").await;
    let bravo = World::create(&api, "bravo").await;
    let keys = keys(&server, &api).await;
    let bravo_before = bravo.snapshot(&api).await;
    let mut failures = Vec::new();
    let mut rows = 0;
    for route in ROUTES {
        for kind in KINDS {
            let targets: &[Target] = match kind {
                // Only the tenant-limited keys tell the tenants apart; the
                // others would change bravo, which must stay untouched.
                Kind::TenantA | Kind::AttenuatedTenantA => &[Target::A, Target::B],
                _ => &[Target::A],
            };
            for &target in targets {
                let want = expect(kind, route, target);
                // A success that changes things gets fresh objects in
                // alpha; everything else runs on the shared worlds (and
                // must change nothing).
                let world = match (target, want) {
                    (Target::B, _) => bravo.clone(),
                    (Target::A, Expect::Success) if is_write(route) => {
                        if route.op == Op::DeleteTenant {
                            alpha.clone()
                        } else {
                            World::furnish_for(&api, "alpha", route.op).await
                        }
                    }
                    (Target::A, _) => alpha.clone(),
                };
                let auth = match keys.token(kind) {
                    Some(t) => Auth::Token(t),
                    None => Auth::Nothing,
                };
                let res = api.send(world.request(route).auth(auth)).await;
                rows += 1;
                let ok = match want {
                    Expect::Success => success(route.op).contains(&res.status),
                    Expect::Status(s) => {
                        res.status == s
                            && res.header("content-type").as_deref()
                                == Some("application/problem+json")
                            && (s != StatusCode::UNAUTHORIZED
                                || res
                                    .header("www-authenticate")
                                    .is_some_and(|c| c.starts_with("Bearer")))
                    }
                };
                if !ok {
                    failures.push(format!(
                        "{kind:?} {} {} ({target:?}): expected {want:?}, got {} {}",
                        route.method, route.path, res.status, res.body
                    ));
                }
                if route.op == Op::DeleteTenant && target == Target::A && res.status.is_success() {
                    alpha = World::create(&api, "alpha").await;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {rows} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(rows > ROUTES.len() * KINDS.len());
    let bravo_after = bravo.snapshot(&api).await;
    assert_eq!(
        bravo_before, bravo_after,
        "requests refused in bravo changed it"
    );
}

/// A key limited to alpha lists only alpha among the tenants, and only
/// alpha's audit events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_key_sees_only_its_tenant_in_lists() {
    let server = api_server().await;
    let api = Api::new(&server);
    World::create(&api, "alpha").await;
    World::create(&api, "bravo").await;
    let key = create_key(&server, &["--tenant", "alpha"]);
    let res = api
        .send(super::Req::get("/api/v1/tenants").token(&key.key))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let slugs: Vec<String> = res.json()["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| super::text(&t["slug"]))
        .collect();
    assert_eq!(slugs, vec!["alpha".to_owned()]);
    let res = api
        .send(super::Req::get("/api/v1/audit-events?limit=200").token(&key.key))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let events = res.json()["items"].as_array().cloned().unwrap_or_default();
    assert!(!events.is_empty());
    for e in &events {
        assert_eq!(e["tenant"], "alpha", "{e}");
    }
    let res = api
        .send(super::Req::get("/api/v1/audit-events?tenant=bravo").token(&key.key))
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

    // bravo is deleted and its slug taken again by another organisation:
    // a key for the new bravo reads the new bravo's events only.
    let res = api.send(super::Req::delete("/api/v1/tenants/bravo")).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    api.create(
        "/api/v1/tenants",
        &serde_json::json!({"slug": "bravo", "name": "Bravo again"}),
    )
    .await;
    let new_bravo = create_key(&server, &["--tenant", "bravo"]);
    for query in ["limit=200", "tenant=bravo&limit=200"] {
        let res = api
            .send(super::Req::get(&format!("/api/v1/audit-events?{query}")).token(&new_bravo.key))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        let actions: Vec<String> = res.json()["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|e| super::text(&e["action"]))
            .collect();
        assert_eq!(
            actions,
            ["tenant.create", "api_key.create"],
            "{query}: {}",
            res.body
        );
    }
}
