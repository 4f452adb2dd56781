//! Organisation sign-up: someone outside the platform creates an
//! organisation (a tenant) and its first admin account at `/signup`.
//!
//! What is decided here, and what is not:
//! - Whether anyone may sign up, and how the new tenant starts
//!   ([`SignupMode`], a platform setting kept in the store:
//!   [`crate::store::PlatformSettingsStore`]).
//! - Which slugs a sign-up may take ([`slug::check`]: the tenant slug rule
//!   plus reserved words and a length that leaves room for the
//!   `org-admin:{slug}` role name).
//! - The proof of work a sign-up form carries ([`pow`]) and the ledger
//!   that makes each challenge single use ([`ledger`]).
//! - The sign-up itself, one audited transaction
//!   ([`Admin::sign_up`](crate::Admin::sign_up)).
//!
//! Not here: the per-address request rate (the server's
//! `RATE_LIMIT_SIGNUP`), the honeypot field and the page (the server's).

pub mod ledger;
pub mod pow;
pub mod slug;

use std::fmt;

/// Who may sign up, and in which state their organisation starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SignupMode {
    /// `/signup` answers 404: only operators create organisations.
    Closed,
    /// Sign-ups are taken and wait, `pending`, for an operator's approval
    /// (the default: design.md "Platform").
    #[default]
    Approval,
    /// Sign-ups are `active` at once.
    Open,
}

impl SignupMode {
    /// Every mode, in the order the settings list them.
    pub const ALL: [Self; 3] = [Self::Closed, Self::Approval, Self::Open];

    /// As stored and on the wire: `closed`, `approval`, `open`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Approval => "approval",
            Self::Open => "open",
        }
    }

    /// The mode named `s` (its [`SignupMode::as_str`]).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The reason a value is not a mode, for a field error.
    pub fn invalid(value: &str) -> String {
        format!("sign-up mode '{value}' is not one of closed, approval, open")
    }
}

impl fmt::Display for SignupMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_round_trip_and_default_to_approval() {
        for m in SignupMode::ALL {
            assert_eq!(SignupMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(SignupMode::parse("Open"), None);
        assert_eq!(SignupMode::default(), SignupMode::Approval);
    }
}
