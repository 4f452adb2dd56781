//! Password-login lockouts, per (tenant, account) and per (tenant, address),
//! for the login page and the device page's sign-in form.
//!
//! The account key is the email as the user typed it, in the canonical form
//! the user registry looks it up by (`idp_core::EmailAddress`: so `ａlice@…`
//! and `alice@…` are one account here too), or trimmed and lowercased when
//! it is no address at all, whether or not such a user exists: an unknown
//! email is counted and locked exactly like a known one, so a lockout (and
//! its `rate_limited` metric) reveals nothing about which accounts exist.

use super::{KeyKind, Limits};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// One login attempt's keys.
pub struct LoginAttempt {
    account: u64,
    address: Option<u64>,
}

impl Limits {
    /// The keys of an attempt on `tenant` (its slug) from `ip` as `email`.
    pub fn login_attempt(&self, tenant: &str, ip: Option<IpAddr>, email: &str) -> LoginAttempt {
        let normalized = idp_core::EmailAddress::parse(email).map_or_else(
            |_| email.trim().to_lowercase(),
            idp_core::EmailAddress::into_string,
        );
        LoginAttempt {
            account: self.key(KeyKind::Account, tenant, normalized.as_str()),
            address: self.address_key(tenant, ip),
        }
    }

    /// `Err(wait)` while the account or the address is locked. Checked
    /// before the password, so a locked attempt costs no password hash.
    pub fn check_login(&self, a: &LoginAttempt) -> Result<(), Duration> {
        let now = Instant::now();
        let account = self
            .login_account
            .as_ref()
            .map_or(Ok(()), |t| t.check(a.account, now));
        let address = match (&self.login_ip, a.address) {
            (Some(t), Some(k)) => t.check(k, now),
            _ => Ok(()),
        };
        match (account, address) {
            (Err(x), Err(y)) => Err(x.max(y)),
            (Err(x), _) | (_, Err(x)) => Err(x),
            _ => Ok(()),
        }
    }

    /// Counts a wrong email or password against the account and the address.
    pub fn login_failed(&self, a: &LoginAttempt) {
        let now = Instant::now();
        if let Some(t) = &self.login_account {
            t.fail(a.account, now);
        }
        if let (Some(t), Some(k)) = (&self.login_ip, a.address) {
            t.fail(k, now);
        }
    }

    /// A successful login clears the account's count (not the address's:
    /// an attacker holding one valid account must not be able to clear
    /// the count of the address they guess other accounts from).
    pub fn login_succeeded(&self, a: &LoginAttempt) {
        if let Some(t) = &self.login_account {
            t.reset(a.account);
        }
    }
}

/// What the sign-in form says when a lockout refuses it: the same words
/// for an account and an address lockout, and for known and unknown emails.
pub(crate) fn lockout_message(wait: Duration) -> String {
    format!(
        "Too many failed sign-in attempts. Wait {} and try again.",
        wait_in_words(wait)
    )
}

/// Turns a re-rendered sign-in form into the lockout answer: 429 with
/// `Retry-After`, counted as a login failure for the reason `rate_limited`.
pub(crate) fn refused(
    mut page: http::Response<bytes::Bytes>,
    wait: Duration,
) -> http::Response<bytes::Bytes> {
    idp_core::telemetry::LoginFailure::RateLimited.record();
    *page.status_mut() = http::StatusCode::TOO_MANY_REQUESTS;
    super::set_retry_after(&mut page, wait);
    page
}

/// "30 seconds", "2 minutes": how long a person should wait.
pub(crate) fn wait_in_words(wait: Duration) -> String {
    let secs = super::retry_after_secs(wait);
    match secs {
        1 => "1 second".into(),
        s if s < 60 => format!("{s} seconds"),
        s => {
            let m = s.div_ceil(60);
            if m == 1 {
                "1 minute".into()
            } else {
                format!("{m} minutes")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::RateLimitSettings;
    use super::*;
    use crate::forwarded::IpBlocks;

    #[test]
    fn account_lockout_spans_addresses_and_case() -> Result<(), std::net::AddrParseError> {
        let l = Limits::new(&RateLimitSettings {
            exempt: IpBlocks::default(),
            login_per_account: 2,
            ..RateLimitSettings::default()
        });
        let a = l.login_attempt("acme", Some("192.0.2.1".parse()?), "Bob@Example.com ");
        let b = l.login_attempt("acme", Some("192.0.2.2".parse()?), "bob@example.com");
        l.login_failed(&a);
        l.login_failed(&b);
        assert!(l.check_login(&a).is_err());
        assert!(l.check_login(&b).is_err());
        let other_tenant = l.login_attempt("other", Some("192.0.2.1".parse()?), "bob@example.com");
        assert!(l.check_login(&other_tenant).is_ok());
        // A look-alike spelling is the same account.
        let fullwidth = l.login_attempt("acme", Some("192.0.2.3".parse()?), "ｂob@example.com");
        assert!(l.check_login(&fullwidth).is_err());
        l.login_succeeded(&b);
        assert!(l.check_login(&a).is_ok());
        Ok(())
    }

    #[test]
    fn waits_in_words() {
        assert_eq!(wait_in_words(Duration::from_millis(300)), "1 second");
        assert_eq!(wait_in_words(Duration::from_secs(30)), "30 seconds");
        assert_eq!(wait_in_words(Duration::from_secs(61)), "2 minutes");
    }
}
