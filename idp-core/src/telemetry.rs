//! What the protocol engine reports to an operator: counters emitted through
//! the [`metrics`] facade, which cost nothing when the embedding application
//! installs no recorder (`idp-server` installs a Prometheus one).
//!
//! Every label value is a `'static` string from a closed set, never user
//! input, so that the number of series stays bounded and no identifier or
//! secret reaches a metrics backend. The names are constants here so that
//! the exporter can describe exactly what the engine emits.

use crate::store::GrantType;

/// Counter: token responses issued, label `grant_type`.
pub const TOKENS_ISSUED: &str = "sso_tokens_issued_total";

/// Counter: failed sign-ins, label `reason` (a [`LoginFailure`]).
pub const LOGIN_FAILURES: &str = "sso_login_failures_total";

/// The `grant_type` label values of [`TOKENS_ISSUED`]: the grant's short
/// name (the device grant's is a URN on the wire, RFC 8628 §3.4).
pub const GRANT_TYPE_LABELS: [&str; 4] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "device_code",
];

/// Counts one successful token response (RFC 6749 §5.1) of `grant`.
///
/// One arm per grant with literal labels: the metric key is then a static,
/// so the token endpoint's hot path allocates nothing here.
pub fn token_issued(grant: GrantType) {
    match grant {
        GrantType::AuthorizationCode => {
            metrics::counter!(TOKENS_ISSUED, "grant_type" => "authorization_code").increment(1)
        }
        GrantType::RefreshToken => {
            metrics::counter!(TOKENS_ISSUED, "grant_type" => "refresh_token").increment(1)
        }
        GrantType::ClientCredentials => {
            metrics::counter!(TOKENS_ISSUED, "grant_type" => "client_credentials").increment(1)
        }
        GrantType::DeviceCode => {
            metrics::counter!(TOKENS_ISSUED, "grant_type" => "device_code").increment(1)
        }
    }
}

/// Why a sign-in failed: the closed label set of [`LOGIN_FAILURES`].
///
/// An unknown email, a wrong password and an account without a password
/// are one reason, `invalid_credentials`: the counter is readable by
/// whoever can scrape `/metrics`, and a reason that moved only for
/// existing accounts would tell them which emails have one (issue 12,
/// defect 5). The person at the form likewise sees the same message and
/// waits the same time for all three.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginFailure {
    /// No user with that email, a wrong password, or a user with no
    /// password to sign in with, alike.
    InvalidCredentials,
    /// The form's CSRF token did not match its cookie.
    Csrf,
    /// Refused before the password was checked: the address or the
    /// account is locked out after too many failures. Account lockouts
    /// count unknown emails exactly like known ones (`idp-server`'s
    /// limiter), so this reason says nothing about which accounts exist.
    RateLimited,
}

impl LoginFailure {
    /// Every reason, in label order.
    pub const ALL: [LoginFailure; 3] = [Self::InvalidCredentials, Self::Csrf, Self::RateLimited];

    /// The `reason` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::Csrf => "csrf",
            Self::RateLimited => "rate_limited",
        }
    }

    /// Counts one failure for this reason (static keys, as in [`token_issued`]).
    pub fn record(self) {
        let counter = match self {
            Self::InvalidCredentials => {
                metrics::counter!(LOGIN_FAILURES, "reason" => "invalid_credentials")
            }
            Self::Csrf => metrics::counter!(LOGIN_FAILURES, "reason" => "csrf"),
            Self::RateLimited => metrics::counter!(LOGIN_FAILURES, "reason" => "rate_limited"),
        };
        counter.increment(1);
    }
}

/// Counter: back-channel Logout Token deliveries by `outcome` (a
/// [`LogoutDelivery`]): each attempt, the first and every retry, counts once.
pub const BACKCHANNEL_LOGOUTS: &str = "sso_backchannel_logout_deliveries_total";

/// What became of one back-channel delivery attempt: the closed label set
/// of [`BACKCHANNEL_LOGOUTS`] ([`crate::logout_retry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoutDelivery {
    /// The relying party answered 2xx.
    Delivered,
    /// It answered with an error that a retry will not change (a 4xx but
    /// 408 and 429): not retried.
    Refused,
    /// Unreachable or a temporary error: queued for another attempt.
    Queued,
    /// The last allowed attempt failed (or the client went away): dropped.
    GivenUp,
    /// Pushed out of a full queue by a newer failure: dropped.
    Evicted,
}

impl LogoutDelivery {
    /// Every outcome, in label order.
    pub const ALL: [LogoutDelivery; 5] = [
        Self::Delivered,
        Self::Refused,
        Self::Queued,
        Self::GivenUp,
        Self::Evicted,
    ];

    /// The `outcome` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Refused => "refused",
            Self::Queued => "queued",
            Self::GivenUp => "given_up",
            Self::Evicted => "evicted",
        }
    }

    /// Counts one.
    pub fn record(self) {
        metrics::counter!(BACKCHANNEL_LOGOUTS, "outcome" => self.as_str()).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_distinct_snake_case_labels() {
        let labels: Vec<&str> = LoginFailure::ALL.iter().map(|r| r.as_str()).collect();
        for (i, l) in labels.iter().enumerate() {
            assert!(l.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{l}");
            assert!(!labels[i + 1..].contains(l), "{l} repeated");
        }
    }

    #[test]
    fn emitting_without_a_recorder_is_a_no_op() {
        token_issued(GrantType::ClientCredentials);
        LoginFailure::InvalidCredentials.record();
        LogoutDelivery::Queued.record();
    }
}
