//! Sign-in analytics (issue 17): every password sign-in, successful or
//! not, is recorded as a [`SignInEvent`](crate::store::SignInEvent), and a
//! background job rolls them up per day; the admin API serves the series.
//!
//! - **Recording** ([`buffer`]) must not slow the login path: an event goes
//!   into an in-memory buffer (a mutex and a push), and
//!   [`Provider::flush_sign_ins`](crate::Provider::flush_sign_ins), which
//!   the host calls every few seconds (idp-server's analytics job), writes
//!   each tenant's events in one transaction. The price: a crash loses at
//!   most one flush interval of events, and a full buffer (the store down
//!   for long) drops new events and counts them rather than grow.
//! - **Roll-ups** ([`rollup`]): each run rebuilds every day from a little
//!   before the previous run up to now, from the raw events, so a run is
//!   idempotent and late events (another instance's flush) are counted.
//! - **Retention**: raw events go after the retention period, never before
//!   their day was rolled up; roll-ups (counts per day, per month) stay
//!   as long as the tenant.
//! - **Series** ([`report`]): per tenant, or the platform's (the sum over
//!   tenants).
//!
//! Not recorded: a sign-in through an existing browser session (SSO
//! reuse), and a form refused for its CSRF token before any tenant work.
//! Only the password method exists so far; upstream sign-ins will add one.

pub mod buffer;
pub mod calendar;
pub mod report;
pub mod rollup;

pub use calendar::{Day, Month};
pub use report::{AnalyticsReport, ClientLogins, DateRange, DaySeries, MonthActive};

/// Why a sign-in failed, as analytics record it.
///
/// Finer than the public metric's reasons
/// ([`LoginFailure`](crate::telemetry::LoginFailure)), which merge the
/// first three so that a scrape of `/metrics` cannot tell which emails have
/// accounts: these are read only by the tenant's administrators, who can
/// list its users anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// No account with that email.
    UnknownUser,
    /// The account has no password to sign in with.
    NoPassword,
    /// The password was wrong.
    WrongPassword,
    /// The password was right, the account is disabled.
    Disabled,
    /// Refused before the password was checked: too many failures
    /// ([`crate::abuse`]).
    RateLimited,
}

impl FailureReason {
    /// Every reason.
    pub const ALL: [Self; 5] = [
        Self::UnknownUser,
        Self::NoPassword,
        Self::WrongPassword,
        Self::Disabled,
        Self::RateLimited,
    ];

    /// Its name, as stored and as the API shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown_user",
            Self::NoPassword => "no_password",
            Self::WrongPassword => "wrong_password",
            Self::Disabled => "disabled",
            Self::RateLimited => "rate_limited",
        }
    }
}

/// How someone signed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignInMethod {
    /// Email and password on the login page or the device verification page.
    Password,
    /// Through one of the tenant's upstream identity providers
    /// ([`crate::upstream`]).
    Upstream,
}

impl SignInMethod {
    /// Its name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Upstream => "upstream",
        }
    }
}
