//! The platform: the reserved tenant `platform`, whose users are the
//! operators, and the names of the roles they hold (issue 17, design.md
//! "Platform").
//!
//! Operators' roles are application roles of the platform tenant (the
//! ordinary roles tables), so they are assigned, listed and audited like
//! any other role:
//! - platform roles, one name each: `owner`, `admin`, `auditor`
//!   ([`PlatformRole`]);
//! - organisation roles, one per organisation (tenant) `slug`:
//!   `org-admin:{slug}` and `org-viewer:{slug}` ([`OrgRole`]); deleting the
//!   organisation deletes them, so a reused slug inherits nothing.
//!
//! [`OperatorRole::parse`] reads a role name back. The tenant and its
//! platform roles are created idempotently by
//! [`Admin::ensure_platform`](crate::Admin::ensure_platform).

mod operator;

pub use operator::Operator;

/// The reserved slug of the platform tenant: refused to `tenant create`;
/// the tenant cannot be deleted, suspended or rejected.
pub const PLATFORM_SLUG: &str = "platform";

/// Whether `slug` names the platform tenant.
pub fn is_platform(slug: &str) -> bool {
    slug == PLATFORM_SLUG
}

/// Refuses to `verb` (deleted, suspended, rejected) the platform tenant:
/// a conflict with what it is (HTTP 409, CLI status 4).
pub fn refuse_platform(slug: &str, verb: &str) -> Result<(), crate::AdminError> {
    if is_platform(slug) {
        return Err(crate::AdminError::WrongState {
            what: format!("the platform tenant '{slug}' cannot be {verb}"),
        });
    }
    Ok(())
}

/// A role over the whole platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlatformRole {
    /// Everything; the only owner cannot lose the role.
    Owner,
    /// Everything except acting on owners.
    Admin,
    /// Every read, the audit log included; no write.
    Auditor,
}

impl PlatformRole {
    /// Every platform role, created with the platform tenant.
    pub const ALL: [Self; 3] = [Self::Owner, Self::Admin, Self::Auditor];

    /// The role's name in the platform tenant.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Auditor => "auditor",
        }
    }

    /// What the role is for, stored as its description.
    pub const fn description(self) -> &'static str {
        match self {
            Self::Owner => "Platform owner: everything",
            Self::Admin => "Platform admin: everything except acting on owners",
            Self::Auditor => "Platform auditor: every read, the audit log included",
        }
    }

    /// The role named `name`, if it is one.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// A role inside one organisation (tenant), held by an operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrgRole {
    /// Read and write inside the tenant (not its lifecycle, not deleting it).
    Admin,
    /// Read inside the tenant.
    Viewer,
}

impl OrgRole {
    /// Both organisation roles.
    pub const ALL: [Self; 2] = [Self::Admin, Self::Viewer];

    /// The prefix of the role's name, before `:{slug}`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Admin => "org-admin",
            Self::Viewer => "org-viewer",
        }
    }

    /// The role's name for the organisation `slug`: `org-admin:{slug}`.
    pub fn name_for(self, slug: &str) -> String {
        format!("{}:{slug}", self.prefix())
    }
}

/// The names of every organisation role of `slug` (deleted with it).
pub fn org_role_names(slug: &str) -> Vec<String> {
    OrgRole::ALL.iter().map(|r| r.name_for(slug)).collect()
}

/// A role of the platform tenant, read from its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OperatorRole {
    /// `owner`, `admin` or `auditor`.
    Platform(PlatformRole),
    /// `org-admin:{slug}` or `org-viewer:{slug}`.
    Org(OrgRole, String),
}

impl OperatorRole {
    /// The role named `name`; `None` for any other role of the platform
    /// tenant (which grants nothing in the admin API).
    pub fn parse(name: &str) -> Option<Self> {
        if let Some(role) = PlatformRole::parse(name) {
            return Some(Self::Platform(role));
        }
        let (prefix, slug) = name.split_once(':')?;
        let role = OrgRole::ALL.into_iter().find(|r| r.prefix() == prefix)?;
        crate::tenant::validate_slug(slug).ok()?;
        if is_platform(slug) {
            return None;
        }
        Some(Self::Org(role, slug.to_owned()))
    }

    /// The role's name.
    pub fn name(&self) -> String {
        match self {
            Self::Platform(r) => r.as_str().to_owned(),
            Self::Org(r, slug) => r.name_for(slug),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for role in PlatformRole::ALL {
            assert_eq!(
                OperatorRole::parse(role.as_str()),
                Some(OperatorRole::Platform(role))
            );
        }
        assert_eq!(OrgRole::Admin.name_for("acme"), "org-admin:acme");
        assert_eq!(
            OperatorRole::parse("org-viewer:acme"),
            Some(OperatorRole::Org(OrgRole::Viewer, "acme".into()))
        );
        assert_eq!(
            OperatorRole::parse("org-admin:acme").map(|r| r.name()),
            Some("org-admin:acme".to_owned())
        );
        for other in [
            "",
            "root",
            "org-admin",
            "org-admin:",
            "org-owner:acme",
            "org-admin:A_b",
        ] {
            assert_eq!(OperatorRole::parse(other), None, "{other}");
        }
        assert_eq!(
            org_role_names("acme"),
            vec!["org-admin:acme", "org-viewer:acme"]
        );
        assert!(is_platform("platform") && !is_platform("acme"));
    }
}
