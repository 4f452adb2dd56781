//! Password-login limits for the login page and the device page's sign-in
//! form: lockouts per (tenant, account, address) and per (tenant, address),
//! and a slowdown per (tenant, account) summed over every address, so that
//! nobody can lock a user out by typing wrong passwords for their email.
//!
//! The account key is the email as the user typed it, in the canonical form
//! the user registry looks it up by (`idp_core::EmailAddress`: so `ａlice@…`
//! and `alice@…` are one account here too), or trimmed and lowercased when
//! it is no address at all, whether or not such a user exists: an unknown
//! email is counted, locked and slowed exactly like a known one, so neither
//! reveals which accounts exist.

use super::{KeyKind, Limits};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// One login attempt's keys.
pub struct LoginAttempt {
    account: u64,
    pair: u64,
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
            pair: self.pair_key(KeyKind::AccountAddress, tenant, &normalized, ip),
            address: self.address_key(tenant, ip),
        }
    }

    /// `Err(wait)` while this (account, address) or the address is locked;
    /// otherwise waits the account's slowdown, if any, and returns. Called
    /// before the password is checked, so a locked attempt costs no password
    /// hash and a slowed one learns nothing until it has waited.
    pub async fn check_login(&self, a: &LoginAttempt) -> Result<(), Duration> {
        let now = Instant::now();
        let pair = self
            .login_pair
            .as_ref()
            .map_or(Ok(()), |t| t.check(a.pair, now));
        let address = match (&self.login_ip, a.address) {
            (Some(t), Some(k)) => t.check(k, now),
            _ => Ok(()),
        };
        match (pair, address) {
            (Err(x), Err(y)) => return Err(x.max(y)),
            (Err(x), _) | (_, Err(x)) => return Err(x),
            _ => {}
        }
        if let Some(s) = &self.login_account {
            s.wait(a.account).await;
        }
        Ok(())
    }

    /// Counts a wrong email or password against the (account, address), the
    /// account and the address.
    pub fn login_failed(&self, a: &LoginAttempt) {
        let now = Instant::now();
        if let Some(t) = &self.login_pair {
            t.fail(a.pair, now);
        }
        if let Some(s) = &self.login_account {
            s.fail(a.account, now);
        }
        if let (Some(t), Some(k)) = (&self.login_ip, a.address) {
            t.fail(k, now);
        }
    }

    /// A successful login clears the (account, address) count. Not the
    /// address's (an attacker holding one valid account must not be able to
    /// clear the count of the address they guess other accounts from), nor
    /// the account's slowdown (the real user signing in must not hand the
    /// attacker a fresh set of quick guesses).
    pub fn login_succeeded(&self, a: &LoginAttempt) {
        if let Some(t) = &self.login_pair {
            t.reset(a.pair);
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

    #[tokio::test]
    async fn account_lockout_is_per_address_and_spans_case() -> Result<(), std::net::AddrParseError>
    {
        let l = Limits::new(&RateLimitSettings {
            exempt: IpBlocks::default(),
            login_per_account: 2,
            slowdown_max: Duration::from_millis(1),
            ..RateLimitSettings::default()
        });
        let a = l.login_attempt("acme", Some("192.0.2.1".parse()?), "Bob@Example.com ");
        let a2 = l.login_attempt("acme", Some("192.0.2.1".parse()?), "bob@example.com");
        let b = l.login_attempt("acme", Some("192.0.2.2".parse()?), "bob@example.com");
        l.login_failed(&a);
        l.login_failed(&a2);
        assert!(l.check_login(&a).await.is_err());
        assert!(l.check_login(&a2).await.is_err());
        assert!(
            l.check_login(&b).await.is_ok(),
            "another address is not locked"
        );
        let other_tenant = l.login_attempt("other", Some("192.0.2.1".parse()?), "bob@example.com");
        assert!(l.check_login(&other_tenant).await.is_ok());
        // A look-alike spelling from the same address is the same pair.
        let fullwidth = l.login_attempt("acme", Some("192.0.2.1".parse()?), "ｂob@example.com");
        assert!(l.check_login(&fullwidth).await.is_err());
        l.login_succeeded(&a);
        assert!(l.check_login(&a).await.is_ok());
        Ok(())
    }

    #[test]
    fn waits_in_words() {
        assert_eq!(wait_in_words(Duration::from_millis(300)), "1 second");
        assert_eq!(wait_in_words(Duration::from_secs(30)), "30 seconds");
        assert_eq!(wait_in_words(Duration::from_secs(61)), "2 minutes");
    }
}
