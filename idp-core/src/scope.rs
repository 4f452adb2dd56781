//! Scopes (RFC 6749 §3.3): a space-delimited, order-insensitive set.

/// The scopes this provider understands (OIDC Core §5.4, §11), and `roles`
/// ([`crate::roles_claim`]).
pub const SUPPORTED: [&str; 5] = [
    "openid",
    "profile",
    "email",
    "offline_access",
    crate::roles_claim::SCOPE,
];

/// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
pub fn is_valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// A set of granted or requested scopes, deduplicated, in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses a `scope` parameter, keeping only supported scopes: unknown
    /// scopes are ignored, as RFC 6749 §3.3 allows the server to.
    pub fn parse_supported(raw: &str) -> Self {
        let mut v: Vec<String> = raw
            .split(' ')
            .filter(|s| SUPPORTED.contains(s))
            .map(str::to_owned)
            .collect();
        v.sort_by_key(|s| SUPPORTED.iter().position(|x| x == s));
        v.dedup();
        Self(v)
    }

    /// Parses a stored scope string without filtering.
    pub fn from_stored(raw: &str) -> Self {
        Self(
            raw.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset_of(&self, other: &Scopes) -> bool {
        self.0.iter().all(|s| other.contains(s))
    }

    /// Removes a scope.
    pub fn remove(&mut self, scope: &str) {
        self.0.retain(|s| s != scope);
    }

    /// The union, keeping the order of `self` then `other`.
    pub fn union(&self, other: &Scopes) -> Scopes {
        let mut v = self.0.clone();
        for s in &other.0 {
            if !v.contains(s) {
                v.push(s.clone());
            }
        }
        Scopes(v)
    }

    /// Iterates over the scopes.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The space-delimited form.
    pub fn to_param(&self) -> String {
        self.0.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_irrelevant_and_unknown_scopes_are_dropped() {
        let a = Scopes::parse_supported("email openid  weird profile openid");
        let b = Scopes::parse_supported("profile openid email");
        assert_eq!(a, b);
        assert_eq!(a.to_param(), "openid profile email");
        assert!(Scopes::parse_supported("openid").is_subset_of(&a));
        assert!(!a.is_subset_of(&Scopes::parse_supported("openid")));
    }
}
