//! The document's examples: one body per schema, as the handlers send and
//! read them, and one problem per status (RFC 9457).

use serde_json::{Value, json};

const TIME: &str = "2026-01-15T09:30:00Z";

fn tenant() -> Value {
    json!({
        "id": "t_4f9d2c1a7b3e",
        "slug": "acme",
        "name": "Acme",
        "issuer": "https://id.example.com/t/acme",
        "dynamic_registration": false,
        "password_login": true,
        "created_at": TIME,
        "state": "active",
        "state_reason": null,
        "state_changed_at": null,
    })
}

fn client() -> Value {
    json!({
        "id": "c_5mQz2kq8Jr1",
        "client_id": "c_5mQz2kq8Jr1",
        "name": "Billing",
        "public": false,
        "token_endpoint_auth_method": "client_secret_basic",
        "redirect_uris": ["https://billing.example.com/callback"],
        "grant_types": ["authorization_code", "refresh_token"],
        "require_pkce": true,
        "id_token_signed_response_alg": "ES256",
        "allowed_scopes": ["openid", "profile", "email"],
        "audiences": [],
        "post_logout_redirect_uris": [],
        "frontchannel_logout_uri": null,
        "backchannel_logout_uri": null,
        "require_pushed_authorization_requests": false,
        "allowed_origins": [],
        "subject_type": "public",
        "created_at": TIME,
        "issuer": "https://id.example.com/t/acme",
        "discovery_url": "https://id.example.com/t/acme/.well-known/openid-configuration",
    })
}

fn user() -> Value {
    json!({
        "id": "u_8c4f2a9b1d3e",
        "email": "ada@example.com",
        "email_verified": true,
        "name": "Ada Lovelace",
        "disabled": false,
        "has_password": true,
        "created_at": TIME,
        "updated_at": TIME,
    })
}

fn role() -> Value {
    json!({
        "id": "billing-admin",
        "name": "billing-admin",
        "description": "Manages invoices",
        "created_at": TIME,
    })
}

fn upstream() -> Value {
    json!({
        "id": "Jb6y2kQw9TzX1mLp4RvS8A",
        "kind": "github",
        "name": "GitHub",
        "issuer": null,
        "client_id": "Iv1.8a61f9b3a7aba766",
        "signup": true,
        "auto_link": false,
        "callback_url": "https://id.example.com/t/acme/upstream/Jb6y2kQw9TzX1mLp4RvS8A/callback",
        "created_at": TIME,
        "updated_at": TIME,
    })
}

fn page(item: Value) -> Value {
    json!({"items": [item], "next_cursor": null})
}

/// A response body of `schema`.
pub fn response(schema: &str) -> Value {
    match schema {
        "Tenant" => tenant(),
        "TenantPage" => page(tenant()),
        "Client" => {
            let mut c = client();
            c["client_secret"] = json!("kq3vV0m2c9yN4mM1X8rS5tB7uW0zA6dE");
            c
        }
        "ClientPage" => page(client()),
        "ClientSecret" => json!({
            "client_id": "c_5mQz2kq8Jr1",
            "client_secret": "Zp7wQ1xR3yT5uV8bN2mK4jH6gF9dS0aL",
            "previous_secret_expires_at": "2026-01-16T09:30:00Z",
        }),
        "User" => user(),
        "UserPage" => page(user()),
        "SessionPage" => page(json!({
            "id": "s_1a2b3c4d5e6f",
            "user_id": "u_8c4f2a9b1d3e",
            "auth_time": TIME,
            "created_at": TIME,
            "expires_at": "2026-01-29T09:30:00Z",
        })),
        "RevokedSessions" => json!({"revoked_sessions": 2}),
        "Role" => role(),
        "RolePage" => page(role()),
        "RoleNamePage" => json!({"items": ["billing-admin", "support"], "next_cursor": null}),
        "RoleAssignment" => json!({"user_id": "u_8c4f2a9b1d3e", "role": "billing-admin"}),
        "SigningKeyPage" => page(json!({
            "kid": "k-2026-01-15-es256",
            "alg": "ES256",
            "state": "active",
            "created_at": TIME,
            "activates_at": TIME,
            "retired_at": null,
        })),
        "Analytics" => json!({
            "from": "2026-01-14",
            "to": "2026-01-15",
            "days": [
                {"date": "2026-01-14", "logins": 41, "signups": 3, "active_users": 37,
                 "failures": {"wrong_password": 4}},
                {"date": "2026-01-15", "logins": 52, "signups": 1, "active_users": 44,
                 "failures": {"wrong_password": 6, "unknown_user": 2, "rate_limited": 1}},
            ],
            "months": [{"month": "2026-01", "active_users": 312}],
            "top_clients": [
                {"tenant": "acme", "client_id": "c_5mQz2kq8Jr1", "logins": 70},
                {"tenant": "acme", "client_id": "c_9hTz4mW2pQ7", "logins": 23},
            ],
        }),
        "RotatedKeys" => json!({
            "kids": ["k-2026-02-01-es256", "k-2026-02-01-rs256"],
            "activates_at": "2026-02-01T10:30:00Z",
        }),
        "AuditEventPage" => page(json!({
            "id": "42",
            "time": TIME,
            "actor": {"kind": "api_key", "id": "k_2b7e151628ae", "name": "deploy"},
            "action": "client.create",
            "tenant": "acme",
            "target": {"kind": "client", "id": "c_5mQz2kq8Jr1"},
            "address": "203.0.113.7",
            "request_id": "req-7f3a",
            "changes": {"name": "Billing"},
        })),
        "PlatformSettings" => json!({"signup": "approval", "updated_at": TIME}),
        "Tier" => {
            json!({"name": "free", "users": 1000, "clients": 5, "upstreams": 2, "api_keys": 1, "created_at": "2026-01-05T09:30:00Z", "updated_at": "2026-01-05T09:30:00Z"})
        }
        "TierPage" => page(
            json!({"name": "free", "users": 1000, "clients": 5, "upstreams": 2, "api_keys": 1, "created_at": "2026-01-05T09:30:00Z", "updated_at": "2026-01-05T09:30:00Z"}),
        ),
        "TenantUsage" => json!({
            "tenant": "acme",
            "tier": "free",
            "limits": {"users": 1000, "clients": 5, "upstreams": 2, "api_keys": 1},
            "usage": {"users": 412, "clients": 5, "upstreams": 0, "api_keys": 1},
        }),
        "Upstream" => upstream(),
        "UpstreamPage" => page(upstream()),
        "LinkedIdentityPage" => page(json!({
            "upstream_id": "Jb6y2kQw9TzX1mLp4RvS8A",
            "upstream_name": "GitHub",
            "kind": "github",
            "subject": "1234567",
            "email": "ada@example.com",
            "created_at": TIME,
            "last_used_at": TIME,
        })),
        _ => json!({}),
    }
}

/// A request body of `schema`.
pub fn request(schema: &str) -> Value {
    match schema {
        "NewTenant" => json!({"slug": "acme", "name": "Acme"}),
        "TenantPatch" => json!({"name": "Acme Corp"}),
        "StateReason" => json!({"reason": "Unpaid invoice INV-2026-014"}),
        "PlatformSettingsPatch" => json!({"signup": "open"}),
        "NewClient" => json!({
            "name": "Billing",
            "redirect_uris": ["https://billing.example.com/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
        }),
        "ClientPatch" => json!({"name": "Billing (EU)", "frontchannel_logout_uri": null}),
        "NewUser" => json!({"email": "ada@example.com", "name": "Ada Lovelace"}),
        "UserPatch" => json!({"disabled": true}),
        "NewRole" => json!({"name": "billing-admin", "description": "Manages invoices"}),
        "RolePatch" => json!({"description": "Manages invoices and refunds"}),
        "NewTier" => json!({"name": "free", "users": 1000, "clients": 5, "api_keys": 1}),
        "TierPatch" => json!({"users": 5000, "api_keys": null}),
        "NewUpstream" => json!({
            "kind": "github",
            "name": "GitHub",
            "client_id": "Iv1.8a61f9b3a7aba766",
            "client_secret": "0123456789abcdef0123456789abcdef01234567",
        }),
        "UpstreamPatch" => {
            json!({"client_secret": "fedcba9876543210fedcba9876543210fedcba98", "auto_link": true})
        }
        _ => json!({}),
    }
}

/// The `title` of a problem status (as `problem.rs` sends it).
pub fn problem_title(status: u16) -> &'static str {
    match status {
        400 => "Malformed request",
        401 => "Authentication required",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        412 => "Precondition failed",
        413 => "Payload too large",
        415 => "Unsupported media type",
        422 => "Invalid fields",
        429 => "Too many requests",
        _ => "Service unavailable",
    }
}

/// A problem of `status`, as `problem.rs` sends it.
pub fn problem(status: u16) -> Value {
    let (kind, detail) = match status {
        400 => (
            "malformed-request",
            "the body is not valid JSON: EOF while parsing an object at line 1 column 1",
        ),
        401 => ("unauthenticated", "an API key is required"),
        403 => ("forbidden", "this API key may not do this"),
        404 => ("not-found", "no such tenant"),
        409 => ("conflict", "a client named 'Billing' already exists"),
        412 => (
            "precondition-failed",
            "the object changed since the version If-Match names; read it again",
        ),
        413 => (
            "payload-too-large",
            "request bodies are limited to 65536 bytes",
        ),
        415 => (
            "unsupported-media-type",
            "send the body as application/json",
        ),
        422 => (
            "validation",
            "redirect_uris: must be an array of strings; extra: is not a field of this object",
        ),
        429 => (
            "rate-limited",
            "this API key sent too many requests; retry later",
        ),
        _ => ("unavailable", "storage is unavailable; retry shortly"),
    };
    let mut body = json!({
        "type": format!("urn:idp:problem:{kind}"),
        "title": problem_title(status),
        "status": status,
        "detail": detail,
    });
    if status == 422 {
        body["errors"] = json!([
            {"field": "redirect_uris", "reason": "must be an array of strings"},
            {"field": "extra", "reason": "is not a field of this object"},
        ]);
    }
    body
}
