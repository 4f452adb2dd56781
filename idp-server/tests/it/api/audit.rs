//! The audit log: each mutating route writes exactly the expected event
//! (action, the key as actor, tenant, target, address, the caller's
//! `X-Request-Id`, changes without secret values); the filters and paging
//! of `GET /api/v1/audit-events`; the CLI as actor `cli`; no route changes
//! or deletes an event.

use super::world::{World, is_write, unique};
use super::{Api, Req, api_server, assert_problem, text};
use crate::support::Cli;
use idp_server::api::routes::{Op, ROUTES, Route};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The action and target (kind, id) `route` must record in `w`; `answer`
/// is what the request returned (the id of what it created).
fn expected(route: &Route, w: &World, answer: &Value) -> (&'static str, &'static str, String) {
    let created = |field: &str| text(&answer[field]);
    match route.op {
        Op::CreateTenant => ("tenant.create", "tenant", created("slug")),
        Op::UpdateTenant => ("tenant.update", "tenant", w.slug.clone()),
        Op::DeleteTenant => ("tenant.delete", "tenant", w.slug.clone()),
        Op::ApproveTenant => ("tenant.approve", "tenant", w.slug.clone()),
        Op::RejectTenant => ("tenant.reject", "tenant", w.slug.clone()),
        Op::SuspendTenant => ("tenant.suspend", "tenant", w.slug.clone()),
        Op::ReactivateTenant => ("tenant.reactivate", "tenant", w.slug.clone()),
        Op::RotateKeys => ("key.rotate", "tenant", w.slug.clone()),
        Op::CreateClient => ("client.create", "client", created("client_id")),
        Op::UpdateClient => ("client.update", "client", w.client_id.clone()),
        Op::DeleteClient => ("client.delete", "client", w.client_id.clone()),
        Op::RotateClientSecret => ("client.secret.rotate", "client", w.client_id.clone()),
        Op::CreateUser => ("user.create", "user", created("id")),
        Op::UpdateUser => ("user.update", "user", w.user_id.clone()),
        Op::DeleteUser => ("user.delete", "user", w.user_id.clone()),
        Op::RevokeUserSessions => ("user.sessions.revoke", "user", w.user_id.clone()),
        Op::RevokeUserSession => ("session.revoke", "session", w.session.clone()),
        Op::AssignRole => ("role.assign", "user", w.user_id.clone()),
        Op::UnassignRole => ("role.unassign", "user", w.user_id.clone()),
        Op::CreateRole => ("role.create", "role", created("name")),
        Op::UpdateRole => ("role.update", "role", w.role.clone()),
        Op::DeleteRole => ("role.delete", "role", w.role.clone()),
        Op::UpdatePlatformSettings => (
            "platform.settings.update",
            "platform",
            "settings".to_owned(),
        ),
        Op::CreateTier => ("tier.create", "tier", created("name")),
        Op::UpdateTier => ("tier.update", "tier", w.tier.clone()),
        Op::DeleteTier => ("tier.delete", "tier", w.tier.clone()),
        Op::CreateUpstream => ("upstream.create", "upstream", created("id")),
        Op::UpdateUpstream => ("upstream.update", "upstream", w.upstream.clone()),
        Op::DeleteUpstream => ("upstream.delete", "upstream", w.upstream.clone()),
        Op::UnlinkUserIdentity => ("user.identity.unlink", "user", w.user_id.clone()),
        Op::ListUpstreams
        | Op::GetUpstream
        | Op::ListUserIdentities
        | Op::OpenApi
        | Op::ListTiers
        | Op::GetTier
        | Op::GetTenantUsage
        | Op::ExportUsers
        | Op::ListTenants
        | Op::GetTenant
        | Op::ListClients
        | Op::GetClient
        | Op::ListUsers
        | Op::GetUser
        | Op::ListUserSessions
        | Op::ListRoles
        | Op::GetRole
        | Op::ListUserRoles
        | Op::ListKeys
        | Op::ListAuditEvents
        | Op::GetPlatformSettings
        | Op::TenantAnalytics
        | Op::PlatformAnalytics => panic!("{:?} is not a change", route.op),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutating_route_writes_its_event() {
    let server = api_server().await;
    let api = Api::new(&server);
    let mut secrets = Vec::new();
    let mut writes = 0;
    for route in ROUTES.iter().filter(|r| is_write(r)) {
        let mut w = World::create_for(&server, &api, "audit", route.op).await;
        if route.op == Op::AssignRole {
            // A role the user does not have yet: assigning it is a change.
            w.role = unique("fresh");
            api.create(
                &format!("/api/v1/tenants/{}/roles", w.slug),
                &json!({"name": w.role}),
            )
            .await;
        }
        let request_id = unique("req-");
        let res = api
            .send(w.request(route).header("x-request-id", &request_id))
            .await;
        let what = format!("{} {}", route.method, route.path);
        assert!(
            res.status.is_success(),
            "{what}: {} {}",
            res.status,
            res.body
        );
        assert_eq!(res.header("x-request-id"), Some(request_id.clone()));
        let answer: Value = serde_json::from_str(&res.body).unwrap_or(Value::Null);
        if let Some(s) = answer["client_secret"].as_str() {
            secrets.push(s.to_owned());
        }
        let (action, target_kind, target_id) = expected(route, &w, &answer);
        let tenant = if route.op == Op::CreateTenant {
            json!(target_id.clone())
        } else if route.op.is_tier_operation() || route.op == Op::UpdatePlatformSettings {
            // Tiers and the platform's settings are the platform's, in no tenant.
            Value::Null
        } else {
            json!(w.slug.clone())
        };
        let events: Vec<Value> = api
            .audit(&format!("actor={}", api.key.id))
            .await
            .into_iter()
            .filter(|e| e["request_id"] == json!(request_id))
            .collect();
        assert_eq!(events.len(), 1, "{what}: events {events:?}");
        let e = &events[0];
        assert_eq!(e["action"], action, "{what}: {e}");
        assert_eq!(
            e["actor"],
            json!({"kind": "api_key", "id": api.key.id, "name": "full"}),
            "{what}: {e}"
        );
        assert_eq!(e["tenant"], tenant, "{what}: {e}");
        assert_eq!(
            e["target"],
            json!({"kind": target_kind, "id": target_id}),
            "{what}: {e}"
        );
        assert_eq!(e["address"], "127.0.0.1", "{what}: {e}");
        assert!(e["changes"].is_object(), "{what}: {e}");
        assert!(e["id"].is_string() && e["time"].is_string(), "{what}: {e}");
        // Times inside changes are RFC 3339, as everywhere in the API.
        for (field, value) in e["changes"].as_object().into_iter().flatten() {
            if field.ends_with("_at") && !value.is_null() {
                let text = value.as_str().unwrap_or_default();
                assert!(
                    text.len() == 20 && text.ends_with('Z') && text.as_bytes()[10] == b'T',
                    "{what}: {field} is not RFC 3339: {e}"
                );
            }
        }
        writes += 1;
    }
    assert!(writes >= 21, "{writes} mutating routes");

    // A password set and a user disabled through PATCH: their own events,
    // without the password.
    let w = World::create(&api, "secrets").await;
    let password = "Correct-Horse-Battery-Staple-42";
    let user = format!("/api/v1/tenants/secrets/users/{}", w.user_id);
    let res = api
        .send(
            Req::patch(&user, &json!({"password": password, "disabled": true}))
                .header("x-request-id", "pw-1"),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let actions: Vec<String> = api
        .audit("tenant=secrets")
        .await
        .iter()
        .filter(|e| e["request_id"] == "pw-1")
        .map(|e| text(&e["action"]))
        .collect();
    // Disabling also revokes the user's sessions, as its own event.
    assert_eq!(
        actions,
        vec!["user.password.set", "user.disable", "user.sessions.revoke"]
    );

    // A request id that is no short token is replaced by one of the
    // server's, and that one is recorded.
    let res = api
        .send(
            Req::patch(&user, &json!({"name": "Renamed"}))
                .header("x-request-id", "has spaces and / slashes"),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let given = res.header("x-request-id").unwrap_or_default();
    assert!(!given.is_empty() && !given.contains(' '), "{given:?}");
    let renamed: Vec<Value> = api
        .audit("tenant=secrets&action=user.update")
        .await
        .into_iter()
        .filter(|e| e["request_id"] == json!(given))
        .collect();
    assert_eq!(renamed.len(), 1, "{renamed:?}");

    let everything = serde_json::to_string(&api.audit("").await).unwrap_or_default();
    assert!(!secrets.is_empty());
    for s in &secrets {
        assert!(
            !everything.contains(s.as_str()),
            "a client secret in the audit log"
        );
    }
    assert!(
        !everything.contains(password),
        "a password in the audit log"
    );
    let cli = server.cli(&["audit", "list", "--json"], None);
    assert!(cli.success, "{}", cli.stderr);
    assert!(!cli.stdout.contains(password));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_filters_pages_and_cannot_be_changed() {
    let server = api_server().await;
    let api = Api::new(&server);
    World::create(&api, "alpha").await;
    World::create(&api, "bravo").await;
    let by_cli = server.cli(&["tenant", "create", "fromcli"], None);
    assert!(by_cli.success, "{}", by_cli.stderr);

    let all = api.audit("").await;
    assert!(all.len() >= 10, "{} events", all.len());
    // Paging: one at a time walks the same events.
    let paged = api.all("/api/v1/audit-events", "", 1).await;
    assert_eq!(paged, all);
    let paged = api.all("/api/v1/audit-events", "tenant=alpha", 2).await;
    assert!(paged.len() >= 5, "{paged:?}");
    assert_eq!(paged, api.audit("tenant=alpha").await);

    for e in &paged {
        assert_eq!(e["tenant"], "alpha", "{e}");
    }
    // The two worlds' clients, and the console the platform registers
    // for itself on start.
    let clients = api.audit("action=client").await;
    assert_eq!(clients.len(), 3, "{clients:?}");
    for e in &clients {
        assert_eq!(e["action"], "client.create", "{e}");
    }
    let mine = api.audit(&format!("actor={}", api.key.id)).await;
    assert_eq!(
        mine.len(),
        all.iter()
            .filter(|e| e["actor"]["id"] == json!(api.key.id))
            .count()
    );
    assert!(mine.len() >= 10);

    let cli_events = api.audit("tenant=fromcli").await;
    assert_eq!(cli_events.len(), 1, "{cli_events:?}");
    let e = &cli_events[0];
    assert_eq!(e["action"], "tenant.create", "{e}");
    assert_eq!(e["actor"]["kind"], "cli", "{e}");
    let by_actor = api
        .audit(&format!(
            "actor={}",
            super::urlencoding(&text(&e["actor"]["id"]))
        ))
        .await;
    assert!(by_actor.contains(e), "{by_actor:?}");

    // `since`: the far future has nothing; an event's own time includes it.
    let none = api.audit("since=2999-01-01T00:00:00Z").await;
    assert!(none.is_empty(), "{none:?}");
    let since = api
        .audit(&format!("since={}", super::urlencoding(&text(&e["time"]))))
        .await;
    assert!(since.contains(e));
    let res = api
        .send(Req::get("/api/v1/audit-events?since=yesterday"))
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    // `until`, before it: the distant past has nothing, the far future
    // everything, and `[t, t)` is empty while `[t, far future)` has it.
    assert!(api.audit("until=2000-01-01T00:00:00Z").await.is_empty());
    assert_eq!(api.audit("until=2999-01-01T00:00:00Z").await, all);
    let t = super::urlencoding(&text(&e["time"]));
    let empty = api.audit(&format!("since={t}&until={t}")).await;
    assert!(empty.is_empty(), "{empty:?}");
    let range = api
        .audit(&format!("since={t}&until=2999-01-01T00:00:00Z"))
        .await;
    assert_eq!(range, since);
    let res = api
        .send(Req::get("/api/v1/audit-events?until=tomorrow"))
        .await;
    assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);

    // Append-only: nothing changes or deletes an event.
    let id = text(&all[0]["id"]);
    for method in [Method::PUT, Method::PATCH, Method::DELETE, Method::POST] {
        let res = api
            .send(Req::new(method.clone(), "/api/v1/audit-events").json(&json!({})))
            .await;
        let p = assert_problem(&res, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(res.header("allow").as_deref(), Some("GET"), "{method}: {p}");
        let res = api
            .send(Req::new(method, &format!("/api/v1/audit-events/{id}")).json(&json!({})))
            .await;
        assert!(
            res.status == StatusCode::NOT_FOUND || res.status == StatusCode::METHOD_NOT_ALLOWED,
            "{}",
            res.status
        );
    }
    assert_eq!(api.audit("").await.len(), all.len());
}
