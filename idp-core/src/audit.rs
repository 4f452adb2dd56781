//! Who changes what: the audit model (ADR 0029).
//!
//! Every change made through the [`Admin`](crate::Admin) service (the admin
//! API, the CLI, the console) is made by someone, an [`AuditContext`], and
//! is recorded as an [`AuditEvent`](crate::store::AuditEvent) in the same
//! transaction as the change ([`AuditStore::apply_audited`](crate::store::AuditStore::apply_audited)).
//! An event says who ([`Actor`]), what ([`AuditAction`], `object.verb`), to
//! which object ([`Target`]), in which tenant, when, from where (address and
//! request id) and which fields changed ([`Changes`]), never a secret's value:
//! a secret field is recorded as changed, with no value.

use crate::clock::UnixTime;
use crate::store::AuditEvent;
use crate::tenant::TenantContext;
use serde_json::{Map, Value};

/// What kind of actor made a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// An admin API key; its id and name.
    ApiKey,
    /// An operator signed in through the platform tenant; their user id and email.
    Operator,
    /// The command line on the server's machine; the OS user.
    Cli,
    /// The server itself (scheduled jobs).
    System,
    /// Someone signing an organisation up at `/signup`: the new admin's
    /// email (id and name), with the request's address.
    Signup,
    /// A user changing their own account at `{issuer}/account`; their
    /// user id and email, in the tenant the event is in.
    User,
}

impl ActorKind {
    /// As stored and shown: `api_key`, `operator`, `cli`, `system`,
    /// `signup`, `user`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ApiKey => "api_key",
            Self::Operator => "operator",
            Self::Cli => "cli",
            Self::System => "system",
            Self::Signup => "signup",
            Self::User => "user",
        }
    }
}

/// Who made a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    /// What kind of actor.
    pub kind: ActorKind,
    /// The key's id, the operator's user id, the OS user.
    pub id: String,
    /// The key's name, the operator's email; may be empty.
    pub name: String,
}

/// Who is acting, and from where: given to every change of the
/// [`Admin`](crate::Admin) service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditContext {
    /// Who.
    pub actor: Actor,
    /// The request's source address, if it came over the network.
    pub address: Option<String>,
    /// The request's id, if any.
    pub request_id: Option<String>,
}

impl AuditContext {
    /// The command line, run by the OS user `os_user`.
    pub fn cli(os_user: impl Into<String>) -> Self {
        let id = os_user.into();
        Self {
            actor: Actor {
                kind: ActorKind::Cli,
                name: id.clone(),
                id,
            },
            address: None,
            request_id: None,
        }
    }

    /// The server itself (a scheduled job).
    pub fn system(job: &str) -> Self {
        Self {
            actor: Actor {
                kind: ActorKind::System,
                id: job.to_owned(),
                name: String::new(),
            },
            address: None,
            request_id: None,
        }
    }

    /// A sign-up at `/signup` by `email`, from `address`.
    pub fn signup(email: &str, address: Option<String>, request_id: Option<String>) -> Self {
        Self {
            actor: Actor {
                kind: ActorKind::Signup,
                id: email.to_owned(),
                name: email.to_owned(),
            },
            address,
            request_id,
        }
    }

    /// An admin API key.
    pub fn api_key(
        id: &str,
        name: &str,
        address: Option<String>,
        request_id: Option<String>,
    ) -> Self {
        Self {
            actor: Actor {
                kind: ActorKind::ApiKey,
                id: id.to_owned(),
                name: name.to_owned(),
            },
            address,
            request_id,
        }
    }

    /// An operator signed in through the platform tenant: their user id
    /// and email.
    pub fn operator(
        user_id: &str,
        email: &str,
        address: Option<String>,
        request_id: Option<String>,
    ) -> Self {
        Self {
            actor: Actor {
                kind: ActorKind::Operator,
                id: user_id.to_owned(),
                name: email.to_owned(),
            },
            address,
            request_id,
        }
    }

    /// A user acting on their own account (the account page), signed in
    /// to their tenant: their user id and email.
    pub fn user(
        user_id: &str,
        email: &str,
        address: Option<String>,
        request_id: Option<String>,
    ) -> Self {
        Self {
            actor: Actor {
                kind: ActorKind::User,
                id: user_id.to_owned(),
                name: email.to_owned(),
            },
            address,
            request_id,
        }
    }

    /// The event for `action` on `target` in `tenant` (if inside one) at `time`.
    pub(crate) fn event(
        &self,
        action: AuditAction,
        tenant: Option<&TenantContext>,
        target: Target,
        changes: Changes,
        time: UnixTime,
    ) -> AuditEvent {
        self.event_in(
            action,
            tenant.map(|t| (t.record.slug.as_str(), &t.record.id)),
            target,
            changes,
            time,
        )
    }

    /// [`AuditContext::event`] with the tenant given by slug and id.
    pub(crate) fn event_in(
        &self,
        action: AuditAction,
        tenant: Option<(&str, &crate::ids::TenantId)>,
        target: Target,
        changes: Changes,
        time: UnixTime,
    ) -> AuditEvent {
        AuditEvent {
            id: 0,
            time,
            actor_kind: self.actor.kind.as_str().to_owned(),
            actor_id: self.actor.id.clone(),
            actor_name: self.actor.name.clone(),
            action: action.as_str().to_owned(),
            tenant: tenant.map(|(slug, _)| slug.to_owned()),
            tenant_id: tenant.map(|(_, id)| id.clone()),
            target_kind: target.kind.to_owned(),
            target_id: target.id,
            address: self.address.clone(),
            request_id: self.request_id.clone(),
            changes: changes.into_json(),
        }
    }
}

macro_rules! actions {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What was done, `object.verb`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum AuditAction {
            $($(#[$doc])* $variant,)*
        }

        impl AuditAction {
            /// Every action.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// As stored and shown, e.g. `client.create`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }
        }
    };
}

actions! {
    /// A tenant was created.
    TenantCreate => "tenant.create",
    /// A tenant's settings changed.
    TenantUpdate => "tenant.update",
    /// A tenant and everything in it was deleted.
    TenantDelete => "tenant.delete",
    /// A pending tenant was approved (now active).
    TenantApprove => "tenant.approve",
    /// A pending tenant was rejected, with a reason.
    TenantReject => "tenant.reject",
    /// An active tenant was suspended, with a reason.
    TenantSuspend => "tenant.suspend",
    /// A suspended tenant was reactivated.
    TenantReactivate => "tenant.reactivate",
    /// A client was registered.
    ClientCreate => "client.create",
    /// A client's registration changed.
    ClientUpdate => "client.update",
    /// A client was deleted.
    ClientDelete => "client.delete",
    /// A client got a new secret.
    ClientSecretRotate => "client.secret.rotate",
    /// A user was created.
    UserCreate => "user.create",
    /// A user's profile changed.
    UserUpdate => "user.update",
    /// A user was disabled.
    UserDisable => "user.disable",
    /// A user was enabled.
    UserEnable => "user.enable",
    /// A user's password was set.
    UserPasswordSet => "user.password.set",
    /// A one-time set-up link was issued to a user (the link is never recorded).
    UserSetupLink => "user.setup_link",
    /// A user was deleted.
    UserDelete => "user.delete",
    /// Every session and grant of a user was revoked.
    UserSessionsRevoke => "user.sessions.revoke",
    /// One session was revoked.
    SessionRevoke => "session.revoke",
    /// A tenant's signing keys were rotated.
    KeyRotate => "key.rotate",
    /// An application role was created.
    RoleCreate => "role.create",
    /// A role's description changed.
    RoleUpdate => "role.update",
    /// A role was deleted.
    RoleDelete => "role.delete",
    /// A role was assigned to a user.
    RoleAssign => "role.assign",
    /// A role was taken from a user.
    RoleUnassign => "role.unassign",
    /// An admin API key was created.
    ApiKeyCreate => "api_key.create",
    /// An admin API key was revoked.
    ApiKeyRevoke => "api_key.revoke",
    /// An organisation signed up at `/signup` (its tenant, its first admin
    /// and their role, in one change).
    TenantSignup => "tenant.signup",
    /// The platform's settings changed (who may sign up).
    PlatformSettingsUpdate => "platform.settings.update",
    /// A tier was created.
    TierCreate => "tier.create",
    /// A tier's limits changed.
    TierUpdate => "tier.update",
    /// A tier was deleted.
    TierDelete => "tier.delete",
    /// A client registered itself (RFC 7591), or was registered by anyone
    /// the tenant lets register.
    ClientRegister => "client.register",
    /// An upstream identity provider was added to a tenant.
    UpstreamCreate => "upstream.create",
    /// An upstream's name, credentials or rules changed.
    UpstreamUpdate => "upstream.update",
    /// An upstream was deleted (with the identities linked through it).
    UpstreamDelete => "upstream.delete",
    /// A user was created by a first sign-in through an upstream, with the
    /// identity linked.
    UserCreateFromUpstream => "user.create.upstream",
    /// An upstream identity was linked to a user.
    UserIdentityLink => "user.identity.link",
    /// An upstream identity was unlinked from a user.
    UserIdentityUnlink => "user.identity.unlink",
}

/// The object a change was made to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// `tenant`, `client`, `user`, `session`, `key`, `role`, `api_key`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
}

impl Target {
    /// The object of `kind` with `id`.
    pub fn new(kind: &'static str, id: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.into(),
        }
    }
}

/// The fields a change set, as a JSON object. Secret fields are recorded
/// with [`Changes::secret`]: the name, never the value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// No field.
    pub fn none() -> Self {
        Self::default()
    }

    /// Records `field` set to `value`.
    pub fn set(mut self, field: &str, value: impl serde::Serialize) -> Self {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.0.insert(field.to_owned(), value);
        self
    }

    /// Records `field` set to `value` if it is `Some`.
    pub fn set_some<T: serde::Serialize>(self, field: &str, value: Option<T>) -> Self {
        match value {
            Some(v) => self.set(field, v),
            None => self,
        }
    }

    /// Records the time `field` was set to, as RFC 3339 (how the admin API
    /// shows every time), `null` for `None`.
    pub fn time(self, field: &str, value: Option<crate::clock::UnixTime>) -> Self {
        self.set(field, value.map(crate::clock::format_rfc3339))
    }

    /// Records that the secret `field` changed, without its value.
    pub fn secret(mut self, field: &str) -> Self {
        self.0
            .insert(field.to_owned(), Value::String("[changed]".to_owned()));
        self
    }

    /// The JSON object as text.
    pub fn into_json(self) -> String {
        Value::Object(self.0).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_object_dot_verb_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            let name = a.as_str();
            assert!(name.contains('.'), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
            );
            assert!(seen.insert(name), "{name} twice");
        }
    }

    #[test]
    fn secrets_are_named_never_valued() {
        let json = Changes::none()
            .set("name", "Shop")
            .secret("client_secret")
            .set_some("email", None::<String>)
            .into_json();
        let v: Value = serde_json::from_str(&json).unwrap_or_default();
        assert_eq!(v["name"], "Shop");
        assert_eq!(v["client_secret"], "[changed]");
        assert!(v.get("email").is_none());
    }

    #[test]
    fn events_carry_the_context() {
        let ctx = AuditContext::api_key("k1", "ci", Some("10.0.0.1".into()), Some("r-1".into()));
        let id = crate::ids::TenantId::new("t1");
        let e = ctx.event_in(
            AuditAction::ClientCreate,
            Some(("acme", &id)),
            Target::new("client", "c1"),
            Changes::none().set("name", "Shop"),
            42,
        );
        assert_eq!(
            (
                e.actor_kind.as_str(),
                e.actor_id.as_str(),
                e.action.as_str()
            ),
            ("api_key", "k1", "client.create")
        );
        assert_eq!(e.tenant.as_deref(), Some("acme"));
        assert_eq!(e.tenant_id, Some(id));
        assert_eq!(e.address.as_deref(), Some("10.0.0.1"));
        assert_eq!(
            (e.target_kind.as_str(), e.target_id.as_str()),
            ("client", "c1")
        );
        assert_eq!(e.time, 42);
    }
}
