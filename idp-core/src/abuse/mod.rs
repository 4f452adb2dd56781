//! Abuse limits on guessed credentials: password logins (the login form of
//! an interaction and the device page's sign-in) and client authentication
//! (token, introspection, revocation and device authorization endpoints).
//! ADR 0016 sets the rules, ADR 0025 their place.
//!
//! The core knows what happened to each attempt (a wrong password, an
//! `invalid_client`, a success), so it decides, through a port: before the
//! credential is checked it asks [`AbuseLimits::check`], which may refuse
//! the attempt (429 with `Retry-After`; the forms show their page again
//! with a sentence) or slow it down; afterwards it reports the result with
//! [`AbuseLimits::record`]. Nobody reads a response to learn what happened.
//!
//! [`memory::InMemoryLimits`] is the default, so an embedder gets the
//! lockouts without writing them, configured by
//! [`ProviderConfig::abuse`](crate::ProviderConfig::abuse). Its state is per
//! process. A store shared by several processes can implement the port
//! (the methods are async and take the tenant), so that N servers do not
//! give an attacker N times the allowance.
//!
//! Not here: request-rate limits (token requests per address,
//! introspection per client, authorization and registration requests per
//! address), which count requests, not failures; the host applies them.

pub mod failures;
pub mod memory;
pub mod shared;
mod slowdown;

use crate::ids::TenantId;
use crate::ip_block::IpBlocks;
use crate::provider::Provider;
use crate::store::Store;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::time::Duration;

/// The address a request came from, as the host resolved it (idp-server:
/// the TCP peer, or the client a trusted proxy reports). Put it in the
/// request's extensions; without one, only the limits that do not involve
/// an address apply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// Whose credential an attempt guesses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A password login as this account: the email as typed, in the form
    /// the user registry looks it up by ([`account`]), whether or not such
    /// a user exists, so that limits reveal nothing about which do.
    Account(&'a str),
    /// Client authentication as the `client_id` the request claims; `None`
    /// when it names none or its credentials are malformed.
    Client(Option<&'a str>),
}

/// One attempt at a credential.
#[derive(Clone, Copy, Debug)]
pub struct Attempt<'a> {
    /// The tenant it is made at: limits never cross tenants.
    pub tenant: &'a TenantId,
    /// Whose credential.
    pub subject: Subject<'a>,
    /// From where, when the host said ([`ClientAddr`]).
    pub address: Option<IpAddr>,
}

/// What to do with an attempt before its credential is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Check it, after waiting `delay` (zero when nothing failed recently).
    Proceed {
        /// The slowdown (the provider waits it through its sleep hook).
        delay: Duration,
    },
    /// Refuse it without checking: locked for this long.
    Refuse {
        /// Until the lockout ends.
        retry_after: Duration,
    },
}

/// How a checked attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptResult {
    /// Wrong password or unknown account; `invalid_client`.
    Failed,
    /// The credential was right.
    Succeeded,
}

/// A boxed future of the port (the port is used as `dyn`).
pub type LimitFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The lockout policy: decides on attempts and learns their results.
/// Implementations must be cheap when nothing has failed (the token
/// endpoint asks on every request).
pub trait AbuseLimits: Send + Sync {
    /// Before the credential is checked: refuse, or proceed after a delay.
    fn check<'a>(&'a self, attempt: &'a Attempt<'a>) -> LimitFuture<'a, Verdict>;

    /// After it was checked.
    fn record<'a>(&'a self, attempt: &'a Attempt<'a>, result: AttemptResult)
    -> LimitFuture<'a, ()>;
}

/// The settings of [`memory::InMemoryLimits`] (idp-server: `RATE_LIMIT_*`).
/// A threshold of 0 turns its limit off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Addresses that skip the per-address lockouts (the per-subject and
    /// address pairs and the slowdowns still apply). Default: loopback.
    pub exempt: IpBlocks,
    /// Failed logins per (account, address) before that pair's lockout,
    /// and per account before its slowdown.
    pub login_per_account: u32,
    /// Failed logins per address before its lockout.
    pub login_per_address: u32,
    /// Failed client authentications per (client, address) before that
    /// pair's lockout, and per client before its slowdown.
    pub client_auth_per_client: u32,
    /// Failed client authentications per address before its lockout.
    pub client_auth_per_address: u32,
    /// The first lockout; it doubles with each further failure.
    pub lockout: Duration,
    /// The longest lockout, and how long failures are remembered.
    pub lockout_max: Duration,
    /// The longest slowdown of an account or client; zero for none.
    pub slowdown_max: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            exempt: IpBlocks::loopback(),
            login_per_account: 5,
            login_per_address: 20,
            client_auth_per_client: 20,
            client_auth_per_address: 10,
            lockout: Duration::from_secs(30),
            lockout_max: Duration::from_secs(900),
            slowdown_max: Duration::from_secs(2),
        }
    }
}

impl LockoutPolicy {
    /// No limit at all.
    pub fn off() -> Self {
        Self {
            login_per_account: 0,
            login_per_address: 0,
            client_auth_per_client: 0,
            client_auth_per_address: 0,
            slowdown_max: Duration::ZERO,
            ..Self::default()
        }
    }
}

/// The account key of a typed email: its canonical form
/// ([`crate::EmailAddress`], so `ａlice@…` and `alice@…` are one account),
/// or trimmed and lowercased when it is no address at all.
pub fn account(typed: &str) -> String {
    crate::EmailAddress::parse(typed).map_or_else(
        |_| typed.trim().to_lowercase(),
        crate::EmailAddress::into_string,
    )
}

/// Waits a slowdown: the host's timer, given as a hook (the core has none).
pub type Sleep = std::sync::Arc<dyn Fn(Duration) -> LimitFuture<'static, ()> + Send + Sync>;

impl<S: Store> Provider<S> {
    /// Asks the limits about `attempt`: `Err(retry_after)` when refused;
    /// otherwise waits its slowdown (with a sleep hook) and returns.
    pub(crate) async fn admit(&self, attempt: &Attempt<'_>) -> Result<(), Duration> {
        match self.abuse.check(attempt).await {
            Verdict::Refuse { retry_after } => Err(retry_after),
            Verdict::Proceed { delay } => {
                if !delay.is_zero()
                    && let Some(sleep) = &self.sleep
                {
                    sleep(delay).await;
                }
                Ok(())
            }
        }
    }

    /// Tells the limits how `attempt` ended.
    pub(crate) async fn settle(&self, attempt: &Attempt<'_>, result: AttemptResult) {
        self.abuse.record(attempt, result).await;
    }
}
