//! The JSON each object is shown as: one function per object, used by
//! every route that returns it (and hashed for its `ETag`). Times are RFC
//! 3339 UTC; secrets never appear, except a new client secret in the one
//! response that creates it.

use idp_core::admin::KeyInfo;
use idp_core::clock::{UnixTime, format_rfc3339};
use idp_core::session::SessionInfo;
use idp_core::store::{
    AuditEvent, ClientRecord, RoleRecord, TenantRecord, TokenEndpointAuthMethod, UserRecord,
};
use serde_json::{Value, json};

fn time(t: UnixTime) -> Value {
    Value::String(format_rfc3339(t))
}

fn opt_time(t: Option<UnixTime>) -> Value {
    t.map_or(Value::Null, time)
}

/// A tenant; `issuer` is where its provider is.
pub fn tenant(t: &TenantRecord, base_url: &str) -> Value {
    json!({
        "id": t.id.as_str(),
        "slug": t.slug,
        "name": t.name,
        "issuer": format!("{base_url}/t/{}", t.slug),
        "dynamic_registration": t.dynamic_registration,
        "password_login": t.password_login,
        "created_at": time(t.created_at),
        "state": t.state.as_str(),
        "state_reason": t.state_reason,
        "state_changed_at": opt_time(t.state_changed_at),
    })
}

/// A client's registration, with its issuer and discovery URL ready to paste.
pub fn client(c: &ClientRecord, issuer: &str) -> Value {
    json!({
        "id": c.id.as_str(),
        "client_id": c.id.as_str(),
        "name": c.name,
        "public": c.auth_method == TokenEndpointAuthMethod::None,
        "token_endpoint_auth_method": c.auth_method.as_str(),
        "redirect_uris": c.redirect_uris,
        "grant_types": c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
        "require_pkce": c.require_pkce,
        "id_token_signed_response_alg": c.id_token_alg.as_str(),
        "allowed_scopes": c.allowed_scopes,
        "audiences": c.audiences,
        "post_logout_redirect_uris": c.post_logout_redirect_uris,
        "frontchannel_logout_uri": c.frontchannel_logout_uri,
        "backchannel_logout_uri": c.backchannel_logout_uri,
        "require_pushed_authorization_requests": c.require_pushed_authorization_requests,
        "allowed_origins": c.allowed_origins,
        "subject_type": c.subject_type.as_str(),
        "created_at": time(c.created_at),
        "issuer": issuer,
        "discovery_url": format!("{issuer}/.well-known/openid-configuration"),
    })
}

/// A user, without any credential.
pub fn user(u: &UserRecord) -> Value {
    json!({
        "id": u.id.as_str(),
        "email": u.email,
        "email_verified": u.email_verified,
        "name": u.name,
        "disabled": u.disabled,
        "has_password": u.password_hash.is_some(),
        "created_at": time(u.created_at),
        "updated_at": time(u.updated_at),
    })
}

/// A live login session.
pub fn session(s: &SessionInfo) -> Value {
    json!({
        "id": s.id,
        "user_id": s.user_id,
        "auth_time": time(s.auth_time),
        "created_at": time(s.created_at),
        "expires_at": time(s.expires_at),
    })
}

/// An application role.
pub fn role(r: &RoleRecord) -> Value {
    json!({
        "id": r.name,
        "name": r.name,
        "description": r.description,
        "created_at": time(r.created_at),
    })
}

/// A signing key's public facts.
pub fn key(k: &KeyInfo) -> Value {
    json!({
        "kid": k.kid,
        "alg": k.alg.as_str(),
        "state": k.state.as_str(),
        "created_at": time(k.created_at),
        "activates_at": time(k.activates_at),
        "retired_at": opt_time(k.retired_at),
    })
}

/// An audit event, as design.md gives it.
pub fn audit_event(e: &AuditEvent) -> Value {
    let changes: Value = serde_json::from_str(&e.changes).unwrap_or_else(|_| json!({}));
    json!({
        "id": e.id.to_string(),
        "time": time(e.time),
        "actor": {"kind": e.actor_kind, "id": e.actor_id, "name": e.actor_name},
        "action": e.action,
        "tenant": e.tenant,
        "target": {"kind": e.target_kind, "id": e.target_id},
        "address": e.address,
        "request_id": e.request_id,
        "changes": changes,
    })
}

/// The platform's settings (`/platform/settings`).
pub fn platform_settings(s: &idp_core::store::PlatformSettings) -> Value {
    serde_json::json!({
        "signup": s.signup.as_str(),
        "updated_at": opt_time(s.updated_at),
    })
}

/// A tier: its limits, `null` for unlimited.
pub fn tier(t: &idp_core::store::TierRecord) -> Value {
    let mut v = limits(&t.limits);
    v["name"] = json!(t.name);
    v["created_at"] = time(t.created_at);
    v["updated_at"] = time(t.updated_at);
    v
}

/// Limits by name (`users`, `clients`, `upstreams`, `api_keys`), `null`
/// for unlimited.
pub fn limits(l: &idp_core::tier::Limits) -> Value {
    let mut v = json!({});
    for limit in idp_core::tier::Limit::ALL {
        v[limit.as_str()] = json!(l.get(limit));
    }
    v
}

/// A tenant's tier, its limits and its usage of each.
pub fn usage(slug: &str, u: &idp_core::admin::TenantUsage) -> Value {
    let mut usage = json!({});
    for limit in idp_core::tier::Limit::ALL {
        usage[limit.as_str()] = json!(u.usage.get(limit));
    }
    json!({
        "tenant": slug,
        "tier": u.tier.as_ref().map(|t| t.name.as_str()),
        "limits": limits(&u.limits()),
        "usage": usage,
    })
}

/// An upstream identity provider, without its client secret (never
/// returned), with the callback URL to register at the upstream.
pub fn upstream(u: &idp_core::admin::UpstreamInfo) -> Value {
    json!({
        "id": u.id.as_str(),
        "kind": u.kind.as_str(),
        "name": u.name,
        "issuer": u.issuer,
        "client_id": u.client_id,
        "signup": u.signup,
        "auto_link": u.auto_link,
        "callback_url": u.callback_url,
        "created_at": time(u.created_at),
        "updated_at": time(u.updated_at),
    })
}

/// An upstream identity linked to a user.
pub fn linked_identity(i: &idp_core::admin::LinkedIdentity) -> Value {
    json!({
        "upstream_id": i.upstream_id.as_str(),
        "upstream_name": i.upstream_name,
        "kind": i.kind.as_str(),
        "subject": i.subject,
        "email": i.email,
        "created_at": time(i.created_at),
        "last_used_at": time(i.last_used_at),
    })
}
