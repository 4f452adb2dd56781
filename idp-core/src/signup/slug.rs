//! The slugs a sign-up may take: the tenant slug rule
//! ([`crate::tenant::validate_slug`]), at most [`MAX_LEN`] characters, and
//! none of the [`RESERVED`] words. Operators may still create any slug the
//! tenant rule allows; the reserved words keep strangers from names that
//! look like the platform's own pages or staff.

use crate::admin::AdminError;

/// The longest slug a sign-up may take: its organisation roles
/// ([`OrgRole`](crate::platform::OrgRole); `org-viewer:{slug}` is the
/// longer, 11 characters before the slug) must fit the 64-character
/// role-name rule.
pub const MAX_LEN: usize = 64 - "org-viewer:".len();

/// Words no sign-up may take as its slug: the platform's own paths and
/// names that would pass for the platform's staff or infrastructure.
pub const RESERVED: &[&str] = &[
    "platform",
    "admin",
    "administrator",
    "api",
    "signup",
    "sign-up",
    "login",
    "logout",
    "account",
    "accounts",
    "t",
    "health",
    "metrics",
    "www",
    "static",
    "assets",
    "auth",
    "oauth",
    "oidc",
    "well-known",
    "root",
    "system",
    "support",
    "security",
    "status",
    "help",
    "billing",
    "mail",
    "idp",
];

/// Checks a sign-up's slug: the tenant rule, then the length and the
/// reserved words; errors name the field `slug`.
pub fn check(slug: &str) -> Result<(), AdminError> {
    crate::tenant::validate_slug(slug)?;
    if slug.len() > MAX_LEN {
        return Err(AdminError::invalid(
            "slug",
            format!("a sign-up slug has at most {MAX_LEN} characters"),
        ));
    }
    if RESERVED.contains(&slug) || crate::platform::is_platform(slug) {
        return Err(AdminError::invalid(
            "slug",
            format!("'{slug}' is reserved; choose another name"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_reserved_and_long_slugs() {
        assert!(check("acme").is_ok());
        for bad in ["platform", "admin", "api", "signup", "t", "www", "Acme", ""] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert!(check(&"a".repeat(MAX_LEN)).is_ok());
        assert!(check(&"a".repeat(MAX_LEN + 1)).is_err());
    }

    #[test]
    fn the_longest_slug_fits_its_organisation_roles() {
        for role in crate::platform::OrgRole::ALL {
            assert!(role.name_for(&"a".repeat(MAX_LEN)).len() <= 64, "{role:?}");
        }
    }
}
