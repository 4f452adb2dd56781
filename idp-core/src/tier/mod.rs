//! Tiers: named sets of limits an operator assigns to tenants (issue 17,
//! design.md "Platform").
//!
//! A [`Limits`] caps how many users, clients, upstream providers and API
//! keys limited to the tenant it may hold; an absent limit (and a tenant
//! with no tier) is unlimited. Creating past a limit is refused through
//! every interface (admin API, CLI, dynamic registration) with
//! [`AdminError::LimitExceeded`](crate::admin::AdminError::LimitExceeded),
//! naming the limit, the allowed value and the current usage.
//!
//! The check is the store's atomic step
//! ([`AdminChange::WithinLimit`](crate::store::AdminChange::WithinLimit)):
//! the count and the insert are one transaction, serialized per tenant, so
//! eight concurrent creates at `limit - 1` make exactly one object.

mod enforce;

pub(crate) use enforce::apply_within_limit;

use std::fmt;

/// The longest tier name.
pub const MAX_NAME: usize = 64;

/// What a tier limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Users of the tenant.
    Users,
    /// Clients of the tenant (created by operators or registered).
    Clients,
    /// Upstream identity providers of the tenant ([`crate::upstream`]).
    Upstreams,
    /// Admin API keys limited to the tenant (`api-key create --tenant`),
    /// neither revoked nor expired.
    ApiKeys,
}

impl Limit {
    /// Every limit, in the order shown.
    pub const ALL: [Self; 4] = [Self::Users, Self::Clients, Self::Upstreams, Self::ApiKeys];

    /// As the API, the CLI and problems name it: `users`, `clients`,
    /// `upstreams`, `api_keys`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Clients => "clients",
            Self::Upstreams => "upstreams",
            Self::ApiKeys => "api_keys",
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The limits of a tier; `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most users.
    pub users: Option<u64>,
    /// Most clients.
    pub clients: Option<u64>,
    /// Most upstream providers.
    pub upstreams: Option<u64>,
    /// Most API keys limited to the tenant.
    pub api_keys: Option<u64>,
}

impl Limits {
    /// The value of `limit`.
    pub fn get(&self, limit: Limit) -> Option<u64> {
        match limit {
            Limit::Users => self.users,
            Limit::Clients => self.clients,
            Limit::Upstreams => self.upstreams,
            Limit::ApiKeys => self.api_keys,
        }
    }

    /// Sets `limit` to `value`.
    pub fn set(&mut self, limit: Limit, value: Option<u64>) {
        match limit {
            Limit::Users => self.users = value,
            Limit::Clients => self.clients = value,
            Limit::Upstreams => self.upstreams = value,
            Limit::ApiKeys => self.api_keys = value,
        }
    }
}

/// How much of each limit a tenant uses now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Users.
    pub users: u64,
    /// Clients.
    pub clients: u64,
    /// Upstream providers.
    pub upstreams: u64,
    /// Live API keys limited to the tenant.
    pub api_keys: u64,
}

impl Usage {
    /// The usage of `limit`.
    pub fn get(&self, limit: Limit) -> u64 {
        match limit {
            Limit::Users => self.users,
            Limit::Clients => self.clients,
            Limit::Upstreams => self.upstreams,
            Limit::ApiKeys => self.api_keys,
        }
    }
}

/// The tier-name rule: 1 to 64 characters of `a-z`, `0-9`, `-` and `_`,
/// starting with a letter or digit, so a name is a path segment and a CLI
/// argument without quoting.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("tier name must be 1 to {MAX_NAME} characters"));
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_';
    if !name.chars().all(allowed) {
        return Err("tier name may hold only a-z, 0-9, '-' and '_'".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("tier name must start with a letter or digit".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_path_segments() {
        assert!(check_name("free").is_ok());
        assert!(check_name("pro-2_b").is_ok());
        assert!(check_name("").is_err());
        assert!(check_name("Free").is_err());
        assert!(check_name("-x").is_err());
        assert!(check_name("a/b").is_err());
        assert!(check_name(&"a".repeat(65)).is_err());
    }

    #[test]
    fn limits_read_and_write_by_name() {
        let mut l = Limits::default();
        for (i, limit) in Limit::ALL.into_iter().enumerate() {
            assert_eq!(l.get(limit), None);
            l.set(limit, Some(i as u64));
            assert_eq!(l.get(limit), Some(i as u64));
        }
        assert_eq!(Limit::ApiKeys.to_string(), "api_keys");
    }
}
