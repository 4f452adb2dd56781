//! Authorization on every console route: each page and each form, for
//! each operator role, on the operator's organisation (`alpha`) and on
//! another (`bravo`), with the status the console must answer; and every
//! form refused without its CSRF token. The console decides nothing itself
//! (the admin API's policy does), so this table checks that every screen
//! passes the policy's answer through and offers nothing it would refuse.

use super::{Console, console_server};
use crate::support::*;
use reqwest::StatusCode;

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

    /// Whether the role may change things in `alpha`.
    fn writes_alpha(self) -> bool {
        matches!(self, Self::Owner | Self::Admin | Self::OrgAdminA)
    }

    /// Whether the role sees `bravo`.
    fn sees_bravo(self) -> bool {
        matches!(self, Self::Owner | Self::Admin | Self::Auditor)
    }
}

/// What a console route is, for the expectations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A page that shows an organisation's things.
    View,
    /// A page that only leads to a change (a form or a confirmation).
    ChangePage,
    /// A confirmation of a platform decision about an organisation
    /// (reject, suspend, delete): owners and admins only.
    LifecyclePage,
    /// The platform's settings and tiers: owners, admins, auditors.
    PlatformView,
    /// A page leading to a change of the platform's settings or tiers.
    PlatformChangePage,
}

/// Every GET page under `/admin/tenants/{slug}` (`{client}`, `{user}`,
/// `{role}` stand for objects that exist in both organisations) and
/// `/admin/settings`.
const PAGES: &[(&str, Kind)] = &[
    ("", Kind::View),
    ("/clients", Kind::View),
    ("/clients/new", Kind::ChangePage),
    ("/clients/{client}", Kind::View),
    ("/clients/{client}/delete", Kind::ChangePage),
    ("/users", Kind::View),
    ("/users/new", Kind::ChangePage),
    ("/users/{user}", Kind::View),
    ("/users/{user}/disable", Kind::ChangePage),
    ("/users/{user}/delete", Kind::ChangePage),
    ("/users/{user}/sessions/revoke", Kind::ChangePage),
    ("/roles", Kind::View),
    ("/roles/{role}", Kind::View),
    ("/roles/{role}/delete", Kind::ChangePage),
    ("/upstreams", Kind::View),
    ("/upstreams/{upstream}", Kind::View),
    ("/upstreams/{upstream}/delete", Kind::ChangePage),
    (
        "/users/{user}/identities/{upstream}/{subject}/unlink",
        Kind::ChangePage,
    ),
    ("/keys", Kind::View),
    ("/keys/rotate", Kind::ChangePage),
    ("/suspend", Kind::LifecyclePage),
    ("/delete", Kind::LifecyclePage),
];

/// The platform's own pages (no organisation).
const PLATFORM_PAGES: &[(&str, Kind)] = &[
    ("/admin/settings", Kind::PlatformView),
    ("/admin/settings/tiers/gold", Kind::PlatformView),
    ("/admin/settings/tiers/_new", Kind::PlatformChangePage),
    (
        "/admin/settings/tiers/gold/delete",
        Kind::PlatformChangePage,
    ),
];

/// Every form: the path (as [`PAGES`]), and whether it is a platform
/// decision (lifecycle, tier, settings).
const FORMS: &[(&str, bool)] = &[
    ("/admin/tenants/{slug}", false),
    ("/admin/tenants/{slug}/tier", true),
    ("/admin/tenants/{slug}/suspend", true),
    ("/admin/tenants/{slug}/delete", true),
    ("/admin/tenants/{slug}/clients", false),
    ("/admin/tenants/{slug}/clients/{client}", false),
    ("/admin/tenants/{slug}/clients/{client}/secret", false),
    ("/admin/tenants/{slug}/clients/{client}/delete", false),
    ("/admin/tenants/{slug}/users", false),
    ("/admin/tenants/{slug}/users/{user}", false),
    ("/admin/tenants/{slug}/users/{user}/password", false),
    ("/admin/tenants/{slug}/users/{user}/disable", false),
    ("/admin/tenants/{slug}/users/{user}/enable", false),
    ("/admin/tenants/{slug}/users/{user}/delete", false),
    ("/admin/tenants/{slug}/users/{user}/roles", false),
    (
        "/admin/tenants/{slug}/users/{user}/roles/{role}/remove",
        false,
    ),
    ("/admin/tenants/{slug}/users/{user}/sessions/revoke", false),
    ("/admin/tenants/{slug}/roles", false),
    ("/admin/tenants/{slug}/roles/{role}", false),
    ("/admin/tenants/{slug}/roles/{role}/delete", false),
    ("/admin/tenants/{slug}/upstreams", false),
    ("/admin/tenants/{slug}/upstreams/{upstream}", false),
    ("/admin/tenants/{slug}/upstreams/{upstream}/delete", false),
    (
        "/admin/tenants/{slug}/users/{user}/identities/{upstream}/{subject}/unlink",
        false,
    ),
    ("/admin/tenants/{slug}/keys/rotate", false),
    ("/admin/tenants", true),
    ("/admin/settings/signup", true),
    ("/admin/settings/tiers", true),
    ("/admin/settings/tiers/gold", true),
    ("/admin/settings/tiers/gold/delete", true),
];

/// What `role` must get for the page of `kind` in `alpha` (`bravo` false)
/// or `bravo` (true).
fn expect_page(role: Role, kind: Kind, bravo: bool) -> StatusCode {
    let platform = matches!(role, Role::Owner | Role::Admin);
    match kind {
        Kind::PlatformView if platform || role == Role::Auditor => StatusCode::OK,
        Kind::PlatformChangePage if platform => StatusCode::OK,
        Kind::PlatformChangePage if role == Role::Auditor => StatusCode::FORBIDDEN,
        Kind::PlatformView | Kind::PlatformChangePage => StatusCode::NOT_FOUND,
        _ if bravo && !role.sees_bravo() => StatusCode::NOT_FOUND,
        _ if role == Role::Nothing => StatusCode::NOT_FOUND,
        Kind::View => StatusCode::OK,
        Kind::LifecyclePage if platform => StatusCode::OK,
        Kind::LifecyclePage => StatusCode::FORBIDDEN,
        Kind::ChangePage if platform || (role == Role::OrgAdminA && !bravo) => StatusCode::OK,
        Kind::ChangePage => StatusCode::FORBIDDEN,
    }
}

/// The objects the table's paths name, in one organisation.
struct Objects {
    client: String,
    user: String,
    upstream: String,
}

fn fill(path: &str, slug: &str, o: &Objects) -> String {
    path.replace("{slug}", slug)
        .replace("{client}", &o.client)
        .replace("{user}", &o.user)
        .replace("{upstream}", &o.upstream)
        .replace("{subject}", "sub-1")
        .replace("{role}", "editor")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_console_route_times_every_operator_role() {
    let (server, api) = console_server().await;
    let mut objects = Vec::new();
    for slug in ["alpha", "bravo"] {
        let tenant = server.cli_json(&["tenant", "create", slug, "--json"], None);
        let client = server.cli_json(
            &[
                "client",
                "create",
                "--tenant",
                slug,
                "--name",
                "Web",
                "--redirect-uri",
                REDIRECT_URI,
                "--json",
            ],
            None,
        );
        let user = server.create_user(slug, &format!("u@{slug}.test"), "U", PASSWORD);
        api.create(
            &format!("/api/v1/tenants/{slug}/roles"),
            &serde_json::json!({"name": "editor"}),
        )
        .await;
        let upstream = api
            .create(
                &format!("/api/v1/tenants/{slug}/upstreams"),
                &serde_json::json!({"kind": "github", "name": "GitHub",
                                    "client_id": "c", "client_secret": "s"}),
            )
            .await;
        let upstream = upstream["id"].as_str().unwrap_or_default().to_owned();
        let tenant_id = tenant["id"].as_str().unwrap_or_default();
        for subject in ["sub-1", "sub-2"] {
            crate::api::upstreams::link(
                &server.database_url,
                tenant_id,
                &upstream,
                subject,
                &user.id,
            )
            .await;
        }
        objects.push(Objects {
            client: client["client_id"].as_str().unwrap_or_default().to_owned(),
            user: user.id,
            upstream,
        });
    }
    let res = api
        .send(crate::api::Req::post(
            "/api/v1/tiers",
            &serde_json::json!({"name": "gold"}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let mut wrong = Vec::new();
    for role in [
        Role::Owner,
        Role::Admin,
        Role::Auditor,
        Role::OrgAdminA,
        Role::OrgViewerA,
        Role::Nothing,
    ] {
        let console = Console::sign_in(&server, &api, role.names()).await;
        for (slug, o) in ["alpha", "bravo"].into_iter().zip(&objects) {
            for (rest, kind) in PAGES {
                let path = format!("/admin/tenants/{slug}{}", fill(rest, slug, o));
                let got = console.get(&path).await;
                let want = expect_page(role, *kind, slug == "bravo");
                if got.status != want {
                    wrong.push(format!("{role:?} GET {path}: {} (want {want})", got.status));
                }
                // A page shown to someone who may not change things
                // offers no change.
                let offers = got.body.matches("<form method=\"post\"").count()
                    - got.body.matches("/admin/logout\"").count();
                let may_change =
                    role.writes_alpha() && !(slug == "bravo" && role == Role::OrgAdminA);
                if got.status == StatusCode::OK && !may_change && offers > 0 {
                    wrong.push(format!("{role:?} GET {path}: offers {offers} change forms"));
                }
            }
        }
        for (path, kind) in PLATFORM_PAGES {
            let got = console.get(path).await;
            let want = expect_page(role, *kind, false);
            if got.status != want {
                wrong.push(format!("{role:?} GET {path}: {} (want {want})", got.status));
            }
        }
        // A read-only role's forged forms are refused, whatever the form.
        if matches!(role, Role::Auditor | Role::OrgViewerA) {
            for (path, _) in FORMS {
                let path = fill(path, "alpha", &objects[0]);
                let got = console
                    .post(&path, &[("name", "x"), ("role", "editor")])
                    .await;
                if got.status != StatusCode::FORBIDDEN && got.status != StatusCode::NOT_FOUND {
                    wrong.push(format!("{role:?} POST {path}: {} (want 403)", got.status));
                }
            }
        }
        // No form works without its CSRF token.
        if role == Role::Owner {
            for (path, _) in FORMS {
                let path = fill(path, "alpha", &objects[0]);
                let got = console
                    .browser
                    .post_form(&console.url(&path), &[("name", "x"), ("csrf", "forged")])
                    .await;
                if got.status != StatusCode::FORBIDDEN {
                    wrong.push(format!("POST {path} without CSRF: {}", got.status));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // Nothing was changed by the refused forms.
    let events = api.audit("tenant=alpha").await;
    let changes: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["actor"]["kind"] == "operator")
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
}
