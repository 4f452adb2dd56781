//! The one policy of the admin API: who may do what, for both kinds of
//! credential (design.md "Admin API", issue 17).
//!
//! A [`Principal`] is an API key (its Biscuit checks decide, with the
//! request's facts: [`crate::api_key::verify`]) or an operator (a user of
//! the platform tenant, by their roles: [`crate::platform`]). An
//! [`Action`] is what the request does: read or write, in which tenant (if
//! one), and of which [`ActionKind`] (the platform's operations, acting on
//! owners, lists across tenants). [`decide`] answers, and
//! [`may_read`] filters what a list across tenants shows.
//!
//! Operators' rules:
//! - `owner`: everything;
//! - `admin`: everything except acting on owners ([`ActionKind::OnOwner`]);
//! - `auditor`: every read, the audit log included; no write;
//! - `org-admin:{slug}`: read and write inside that tenant, except its
//!   lifecycle, its deletion and platform operations;
//!   `org-viewer:{slug}`: read inside it;
//! - no role: 403; a tenant the operator cannot read: 404 ([`Denied::Hidden`],
//!   as for keys, so tenants cannot be enumerated).
//!
//! Roles grant independently: an auditor who is also org admin of `acme`
//! may write in `acme`.

use crate::api_key::{AccessRequest, Denied, Operation, VerifiedKey};
use crate::clock::UnixTime;
use crate::platform::{OperatorRole, OrgRole, PlatformRole};
use std::collections::{BTreeMap, BTreeSet};

/// What kind of action, beyond read or write and its tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActionKind {
    /// An ordinary read or change of one tenant's objects (or, with no
    /// tenant, of the platform's).
    Ordinary,
    /// A read across tenants whose answer shows only what the principal
    /// may read ([`may_read`]): the tenant list, the audit log.
    AcrossTenants,
    /// Creating a tenant: the platform's.
    CreateTenant,
    /// Approving, rejecting, suspending, reactivating a tenant: the platform's.
    Lifecycle,
    /// Deleting a tenant: never an organisation admin's.
    DeleteTenant,
    /// The platform's own objects and settings, even when the path names a
    /// tenant: tiers and a tenant's tier, who may sign up, analytics over
    /// every tenant. Platform operators only (an auditor reads), and keys
    /// not limited to tenants, for the request's own read or write.
    Platform,
    /// Acting on an owner: assigning or taking the `owner` role, changing,
    /// disabling or deleting a user who holds it
    /// ([`Admin::touches_owner`](crate::Admin::touches_owner)).
    OnOwner,
}

impl ActionKind {
    /// Whether only the platform's operators (not an organisation's) may
    /// do it, and only keys not limited to tenants.
    pub const fn is_platform_operation(self) -> bool {
        matches!(self, Self::CreateTenant | Self::Lifecycle | Self::Platform)
    }
}

/// What a request asks to do.
#[derive(Clone, Copy, Debug)]
pub struct Action<'a> {
    /// Read or write.
    pub operation: Operation,
    /// The tenant's slug, if the request concerns one.
    pub tenant: Option<&'a str>,
    /// What kind of action.
    pub kind: ActionKind,
    /// The request path (a fact for keys' checks).
    pub path: &'a str,
    /// Now (a fact for keys' checks).
    pub now: UnixTime,
}

impl Action<'_> {
    fn request(&self) -> AccessRequest<'_> {
        AccessRequest {
            operation: self.operation,
            tenant: self.tenant,
            path: self.path,
            now: self.now,
        }
    }
}

/// An operator's roles, read from their role names in the platform tenant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperatorRoles {
    platform: BTreeSet<PlatformRole>,
    orgs: BTreeMap<String, BTreeSet<OrgRole>>,
}

impl OperatorRoles {
    /// From role names; names that are not operator roles grant nothing.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut roles = Self::default();
        for name in names {
            match OperatorRole::parse(name) {
                Some(OperatorRole::Platform(r)) => {
                    roles.platform.insert(r);
                }
                Some(OperatorRole::Org(r, slug)) => {
                    roles.orgs.entry(slug).or_default().insert(r);
                }
                None => {}
            }
        }
        roles
    }

    /// Whether they hold the platform role `role`.
    pub fn has(&self, role: PlatformRole) -> bool {
        self.platform.contains(&role)
    }

    /// The organisations (slugs) in which they hold a role, in order: what
    /// the console offers them to choose from.
    pub fn organisations(&self) -> impl Iterator<Item = &str> {
        self.orgs.keys().map(String::as_str)
    }

    fn org(&self, slug: &str, role: OrgRole) -> bool {
        self.orgs.get(slug).is_some_and(|r| r.contains(&role))
    }

    fn may_read(&self, tenant: Option<&str>) -> bool {
        !self.platform.is_empty() || tenant.is_some_and(|t| self.orgs.contains_key(t))
    }

    fn decide(&self, action: &Action) -> Result<Verdict, Denied> {
        if self.has(PlatformRole::Owner)
            || (self.has(PlatformRole::Admin) && action.kind != ActionKind::OnOwner)
            || (self.has(PlatformRole::Auditor) && action.operation == Operation::Read)
        {
            return Ok(Verdict::Allowed);
        }
        if action.kind == ActionKind::AcrossTenants && !self.orgs.is_empty() {
            return Ok(Verdict::Filtered);
        }
        let Some(tenant) = action.tenant else {
            return Err(Denied::Forbidden);
        };
        if !self.may_read(Some(tenant)) {
            return Err(if self.platform.is_empty() && self.orgs.is_empty() {
                Denied::Forbidden
            } else {
                Denied::Hidden
            });
        }
        let inside_tenant = matches!(action.kind, ActionKind::Ordinary | ActionKind::OnOwner);
        let allowed = match action.operation {
            Operation::Read => true,
            Operation::Write => inside_tenant && self.org(tenant, OrgRole::Admin),
        };
        if allowed {
            Ok(Verdict::Allowed)
        } else {
            Err(Denied::Forbidden)
        }
    }
}

/// Who is asking.
#[derive(Clone, Copy, Debug)]
pub enum Principal<'a> {
    /// An admin API key (authenticated: signature, record, not revoked).
    ApiKey(&'a VerifiedKey),
    /// An operator, by their roles (read fresh for each request).
    Operator(&'a OperatorRoles),
}

/// A permitted action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Do it.
    Allowed,
    /// A read across tenants that shows only what [`may_read`] allows.
    Filtered,
}

/// Decides whether `principal` may do `action`, or how to refuse it:
/// 403 [`Denied::Forbidden`], 404 [`Denied::Hidden`] (a tenant it may not
/// read), 401 [`Denied::Unauthenticated`] (an expired key).
pub fn decide(principal: Principal, action: &Action) -> Result<Verdict, Denied> {
    match principal {
        Principal::Operator(roles) => roles.decide(action),
        Principal::ApiKey(key) => {
            match key.decide(&action.request()) {
                Ok(()) => {}
                // A key limited to some tenants may still list across
                // tenants: the answer shows only what it may read.
                Err(Denied::Forbidden) if action.kind == ActionKind::AcrossTenants => {
                    return Ok(Verdict::Filtered);
                }
                Err(denied) => return Err(denied),
            }
            // The platform's operations need a key that may do as much
            // outside any tenant (not one limited to tenants, even its
            // own): a read-only platform key reads the platform's.
            let outside_tenants = AccessRequest {
                tenant: None,
                ..action.request()
            };
            if action.kind.is_platform_operation() && !key.permits(&outside_tenants) {
                return Err(Denied::Forbidden);
            }
            Ok(Verdict::Allowed)
        }
    }
}

/// Whether `principal` may read in `tenant` (`None`: what belongs to no
/// tenant, such as API keys' events): what a [`Verdict::Filtered`] list shows.
pub fn may_read(principal: Principal, tenant: Option<&str>, path: &str, now: UnixTime) -> bool {
    match principal {
        Principal::Operator(roles) => roles.may_read(tenant),
        Principal::ApiKey(key) => key.permits(&AccessRequest {
            operation: Operation::Read,
            tenant,
            path,
            now,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActionKind::*;
    use Operation::{Read, Write};

    /// How a decision is written in the table.
    fn outcome(r: Result<Verdict, Denied>) -> &'static str {
        match r {
            Ok(Verdict::Allowed) => "ok",
            Ok(Verdict::Filtered) => "filtered",
            Err(Denied::Forbidden) => "403",
            Err(Denied::Hidden) => "404",
            Err(Denied::Unauthenticated(_)) => "401",
            Err(Denied::Unavailable) => "503",
        }
    }

    #[test]
    fn every_role_times_every_kind_of_operation() {
        // (operation, tenant, kind) per column.
        let actions: [(&str, Operation, Option<&str>, ActionKind); 14] = [
            ("read acme", Read, Some("acme"), Ordinary),
            ("write acme", Write, Some("acme"), Ordinary),
            ("read beta", Read, Some("beta"), Ordinary),
            ("write beta", Write, Some("beta"), Ordinary),
            ("create tenant", Write, None, CreateTenant),
            ("suspend acme", Write, Some("acme"), Lifecycle),
            ("delete acme", Write, Some("acme"), DeleteTenant),
            ("list tenants", Read, None, AcrossTenants),
            ("read platform", Read, Some("platform"), Ordinary),
            ("write platform", Write, Some("platform"), Ordinary),
            ("act on owner", Write, Some("platform"), OnOwner),
            ("read owner", Read, Some("platform"), OnOwner),
            ("read tiers", Read, None, Platform),
            ("set acme's tier", Write, Some("acme"), Platform),
        ];
        #[rustfmt::skip]
        let table: [(&[&str], [&str; 14]); 8] = [
            (&["owner"],
             ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]),
            (&["admin"],
             ["ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "403", "ok", "ok", "ok"]),
            (&["auditor"],
             ["ok", "403", "ok", "403", "403", "403", "403", "ok", "ok", "403", "403", "ok", "ok", "403"]),
            (&["org-admin:acme"],
             ["ok", "ok", "404", "404", "403", "403", "403", "filtered", "404", "404", "404", "404", "403", "403"]),
            (&["org-viewer:acme"],
             ["ok", "403", "404", "404", "403", "403", "403", "filtered", "404", "404", "404", "404", "403", "403"]),
            (&["auditor", "org-admin:acme"],
             ["ok", "ok", "ok", "403", "403", "403", "403", "ok", "ok", "403", "403", "ok", "ok", "403"]),
            (&["billing", "org-admin:platform"],
             ["403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403"]),
            (&[],
             ["403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403", "403"]),
        ];
        for (names, expected) in table {
            let roles = OperatorRoles::from_names(names.iter().copied());
            for ((label, operation, tenant, kind), want) in actions.iter().zip(expected) {
                let action = Action {
                    operation: *operation,
                    tenant: *tenant,
                    kind: *kind,
                    path: "/api/v1/x",
                    now: 0,
                };
                let got = outcome(decide(Principal::Operator(&roles), &action));
                assert_eq!(got, want, "{names:?} {label}");
            }
        }
    }

    #[test]
    fn filtered_lists_show_the_tenants_an_operator_may_read() {
        let org = OperatorRoles::from_names(["org-viewer:acme"]);
        let p = Principal::Operator(&org);
        assert!(may_read(p, Some("acme"), "/", 0));
        assert!(!may_read(p, Some("beta"), "/", 0));
        assert!(!may_read(p, None, "/", 0));
        let auditor = OperatorRoles::from_names(["auditor"]);
        assert!(may_read(Principal::Operator(&auditor), None, "/", 0));
        let none = OperatorRoles::default();
        assert!(!may_read(Principal::Operator(&none), Some("acme"), "/", 0));
    }
}
