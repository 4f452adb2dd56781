//! Brute-force and abuse protection. Every limit is keyed by tenant, so one
//! tenant's attacker never locks out another tenant's users.
//!
//! The failure lockouts and slowdowns on password login and client
//! authentication are idp-core's (`idp_core::abuse`, ADR 0025), where each
//! attempt's result is known; this server configures them from its
//! `RATE_LIMIT_*` settings ([`RateLimitSettings::lockout_policy`]) and
//! renders their refusals on its pages. It applies the request-rate limits
//! itself:
//!
//! | limit | key | counts | default | then |
//! |---|---|---|---|---|
//! | login, per account and address | (tenant, normalized email, client IP) | wrong passwords, unknown emails alike | 5 | lockout (core) |
//! | login, per account | (tenant, normalized email) | the same, from every address | 5 | slowdown (core) |
//! | login, per address | (tenant, client IP) | wrong passwords | 20 | lockout (core) |
//! | client auth, per client and address | (tenant, claimed client_id, client IP) | `invalid_client` | 20 | lockout (core) |
//! | client auth, per client | (tenant, claimed client_id) | the same, from every address | 20 | slowdown (core) |
//! | client auth, per address | (tenant, client IP) | `invalid_client` | 10 | lockout (core) |
//! | token requests, per address | (tenant, client IP) | every request | 100/s | 429 |
//! | introspection, per client | (tenant, claimed client_id) | every request | 500/s | 429 |
//! | authorization requests, per address | client IP, all tenants | every `/authorize` request | 10/s | 429 |
//! | pending interactions, per address | client IP, all tenants | interactions nobody signed in through yet | 50 | 429 |
//! | dynamic registration, per address | client IP, all tenants | every `/register` POST | 10/min | 429 |
//! | organisation sign-up, per address | client IP | every `/signup` POST | 5/min | 429 page |
//!
//! A failure lockout refuses the key with 429: it starts at
//! `RATE_LIMIT_LOCKOUT` seconds and doubles with each further failure up to
//! `RATE_LIMIT_LOCKOUT_MAX`; a successful login clears the (account,
//! address) count, a successful client authentication the (client,
//! address) one. An account or client as a whole is never refused, only
//! slowed down (every attempt on it waits, 100 ms doubling up to
//! `RATE_LIMIT_SLOWDOWN_MAX_MS`), so failures from an attacker's
//! addresses cannot lock the real user or client out. Request rates allow
//! bursts of twice the rate.
//!
//! Addresses in `RATE_LIMIT_EXEMPT` (default: loopback) skip every per-address
//! limit and the request-rate limits; the (account or client, address)
//! lockouts and the slowdowns always apply. Loopback is exempt by default
//! because a loopback peer is either the operator's own tooling (the load
//! benchmark drives tens of thousands of requests a second from 127.0.0.1)
//! or a reverse proxy on the same host not named in `TRUST_PROXY`, whose
//! users would all share one address and lock each other out.

mod endpoints;
mod login;
pub mod unauthenticated;
mod volume;

pub use endpoints::protocol;
pub(crate) use login::{lockout_message, refused};

use crate::config::ConfigError;
use crate::forwarded::IpBlocks;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use idp_core::abuse::memory::AddressKey;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::time::Duration;
use volume::RateGate;

/// Rate-limit settings as given by flags (see [`RateLimitSettings::resolve`]).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct RateLimitFlags {
    /// `on` or `off`: all brute-force and rate limits [env: RATE_LIMIT] [default: on]
    #[arg(long)]
    pub rate_limit: Option<String>,
    /// Addresses/CIDRs exempt from per-address and request-rate limits, or `none` [env: RATE_LIMIT_EXEMPT] [default: 127.0.0.0/8,::1]
    #[arg(long)]
    pub rate_limit_exempt: Option<String>,
    /// Failed logins per account and address before that pair's lockout, and per account before its slowdown; 0 = no limit [env: RATE_LIMIT_LOGIN_ACCOUNT] [default: 5]
    #[arg(long)]
    pub rate_limit_login_account: Option<String>,
    /// Failed logins per client address before lockout; 0 = no limit [env: RATE_LIMIT_LOGIN_IP] [default: 20]
    #[arg(long)]
    pub rate_limit_login_ip: Option<String>,
    /// Failed client authentications per client_id and address before that pair's lockout, and per client_id before its slowdown; 0 = no limit [env: RATE_LIMIT_CLIENT_AUTH] [default: 20]
    #[arg(long)]
    pub rate_limit_client_auth: Option<String>,
    /// Failed client authentications per address before lockout; 0 = no limit [env: RATE_LIMIT_CLIENT_AUTH_IP] [default: 10]
    #[arg(long)]
    pub rate_limit_client_auth_ip: Option<String>,
    /// First lockout, seconds; doubles per further failure [env: RATE_LIMIT_LOCKOUT] [default: 30]
    #[arg(long)]
    pub rate_limit_lockout: Option<String>,
    /// Longest lockout, seconds; also how long failures are remembered [env: RATE_LIMIT_LOCKOUT_MAX] [default: 900]
    #[arg(long)]
    pub rate_limit_lockout_max: Option<String>,
    /// Longest slowdown of an account or client with recent failures, milliseconds; 0 = none [env: RATE_LIMIT_SLOWDOWN_MAX_MS] [default: 2000]
    #[arg(long)]
    pub rate_limit_slowdown_max_ms: Option<String>,
    /// Token requests per second per client address; 0 = no limit [env: RATE_LIMIT_TOKEN_IP] [default: 100]
    #[arg(long)]
    pub rate_limit_token_ip: Option<String>,
    /// Introspection requests per second per client; 0 = no limit [env: RATE_LIMIT_INTROSPECTION] [default: 500]
    #[arg(long)]
    pub rate_limit_introspection: Option<String>,
    /// Authorization requests per second per client address; 0 = no limit [env: RATE_LIMIT_AUTHORIZE_IP] [default: 10]
    #[arg(long)]
    pub rate_limit_authorize_ip: Option<String>,
    /// Pending sign-ins (authorization requests nobody has signed in through yet) per client address; 0 = no limit [env: RATE_LIMIT_PENDING_INTERACTIONS_IP] [default: 50]
    #[arg(long)]
    pub rate_limit_pending_interactions_ip: Option<String>,
    /// Dynamic client registrations per minute per client address; 0 = no limit [env: RATE_LIMIT_REGISTER_IP] [default: 10]
    #[arg(long)]
    pub rate_limit_register_ip: Option<String>,
    /// Admin API requests per second per API key, bursts of twice that; 0 = no limit [env: RATE_LIMIT_ADMIN_API] [default: 20]
    #[arg(long)]
    pub rate_limit_admin_api: Option<String>,
    /// Organisation sign-up attempts (form posts to /signup) per minute per client address; 0 = no limit [env: RATE_LIMIT_SIGNUP] [default: 5]
    #[arg(long)]
    pub rate_limit_signup: Option<String>,
}

/// The resolved limits (module docs describe each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// `RATE_LIMIT`: when false, nothing is limited.
    pub enabled: bool,
    /// `RATE_LIMIT_EXEMPT`.
    pub exempt: IpBlocks,
    /// `RATE_LIMIT_LOGIN_ACCOUNT`.
    pub login_per_account: u32,
    /// `RATE_LIMIT_LOGIN_IP`.
    pub login_per_ip: u32,
    /// `RATE_LIMIT_CLIENT_AUTH`.
    pub client_auth_per_client: u32,
    /// `RATE_LIMIT_CLIENT_AUTH_IP`.
    pub client_auth_per_ip: u32,
    /// `RATE_LIMIT_LOCKOUT`.
    pub lockout: Duration,
    /// `RATE_LIMIT_LOCKOUT_MAX`.
    pub lockout_max: Duration,
    /// `RATE_LIMIT_SLOWDOWN_MAX_MS`.
    pub slowdown_max: Duration,
    /// `RATE_LIMIT_TOKEN_IP`, requests per second.
    pub token_per_ip: u32,
    /// `RATE_LIMIT_INTROSPECTION`, requests per second.
    pub introspection_per_client: u32,
    /// `RATE_LIMIT_AUTHORIZE_IP`, requests per second.
    pub authorize_per_ip: u32,
    /// `RATE_LIMIT_PENDING_INTERACTIONS_IP`, interactions at once.
    pub pending_interactions_per_ip: u32,
    /// `RATE_LIMIT_REGISTER_IP`, registrations per minute.
    pub register_per_ip: u32,
    /// `RATE_LIMIT_ADMIN_API`, admin API requests per second per API key.
    pub admin_api_per_key: u32,
    /// `RATE_LIMIT_SIGNUP`, sign-up attempts per minute per address.
    pub signup_per_ip: u32,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            exempt: IpBlocks::loopback(),
            login_per_account: 5,
            login_per_ip: 20,
            client_auth_per_client: 20,
            client_auth_per_ip: 10,
            lockout: Duration::from_secs(30),
            lockout_max: Duration::from_secs(900),
            slowdown_max: Duration::from_secs(2),
            token_per_ip: 100,
            introspection_per_client: 500,
            authorize_per_ip: 10,
            pending_interactions_per_ip: idp_core::provider::DEFAULT_PENDING_INTERACTIONS,
            register_per_ip: 10,
            admin_api_per_key: 20,
            signup_per_ip: 5,
        }
    }
}

impl RateLimitSettings {
    /// The lockout policy idp-core applies to logins and client
    /// authentication (`idp_core::abuse`); nothing with `RATE_LIMIT=off`.
    pub fn lockout_policy(&self) -> idp_core::abuse::LockoutPolicy {
        if !self.enabled {
            return idp_core::abuse::LockoutPolicy::off();
        }
        idp_core::abuse::LockoutPolicy {
            exempt: self.exempt.clone(),
            login_per_account: self.login_per_account,
            login_per_address: self.login_per_ip,
            client_auth_per_client: self.client_auth_per_client,
            client_auth_per_address: self.client_auth_per_ip,
            lockout: self.lockout,
            lockout_max: self.lockout_max,
            slowdown_max: self.slowdown_max,
        }
    }

    /// Resolves flags through `get` (flag, else environment, else `.env`).
    pub fn resolve(
        flags: &RateLimitFlags,
        get: &dyn Fn(&Option<String>, &str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let d = Self::default();
        let number = |flag: &Option<String>, name: &'static str, default: u32| {
            get(flag, name).map_or(Ok(default), |v| {
                v.trim().parse::<u32>().map_err(|_| {
                    ConfigError::new(name, format!("'{v}' is not a whole number (0 or more)"))
                })
            })
        };
        let enabled = match get(&flags.rate_limit, "RATE_LIMIT")
            .as_deref()
            .map(str::trim)
        {
            None => true,
            Some(v) if ["on", "true", "1"].contains(&v.to_ascii_lowercase().as_str()) => true,
            Some(v) if ["off", "false", "0"].contains(&v.to_ascii_lowercase().as_str()) => false,
            Some(v) => {
                return Err(ConfigError::new(
                    "RATE_LIMIT",
                    format!("'{v}' must be on or off"),
                ));
            }
        };
        let exempt = match get(&flags.rate_limit_exempt, "RATE_LIMIT_EXEMPT") {
            None => d.exempt,
            Some(v) => IpBlocks::parse(&v).map_err(|m| ConfigError::new("RATE_LIMIT_EXEMPT", m))?,
        };
        let lockout = number(&flags.rate_limit_lockout, "RATE_LIMIT_LOCKOUT", 30)?;
        let lockout_max = number(&flags.rate_limit_lockout_max, "RATE_LIMIT_LOCKOUT_MAX", 900)?;
        if lockout == 0 || lockout_max < lockout {
            return Err(ConfigError::new(
                "RATE_LIMIT_LOCKOUT_MAX",
                format!("must be at least RATE_LIMIT_LOCKOUT ({lockout}), and both above 0"),
            ));
        }
        Ok(Self {
            enabled,
            exempt,
            login_per_account: number(
                &flags.rate_limit_login_account,
                "RATE_LIMIT_LOGIN_ACCOUNT",
                d.login_per_account,
            )?,
            login_per_ip: number(
                &flags.rate_limit_login_ip,
                "RATE_LIMIT_LOGIN_IP",
                d.login_per_ip,
            )?,
            client_auth_per_client: number(
                &flags.rate_limit_client_auth,
                "RATE_LIMIT_CLIENT_AUTH",
                d.client_auth_per_client,
            )?,
            client_auth_per_ip: number(
                &flags.rate_limit_client_auth_ip,
                "RATE_LIMIT_CLIENT_AUTH_IP",
                d.client_auth_per_ip,
            )?,
            lockout: Duration::from_secs(lockout.into()),
            lockout_max: Duration::from_secs(lockout_max.into()),
            slowdown_max: Duration::from_millis(
                number(
                    &flags.rate_limit_slowdown_max_ms,
                    "RATE_LIMIT_SLOWDOWN_MAX_MS",
                    2000,
                )?
                .into(),
            ),
            token_per_ip: number(
                &flags.rate_limit_token_ip,
                "RATE_LIMIT_TOKEN_IP",
                d.token_per_ip,
            )?,
            introspection_per_client: number(
                &flags.rate_limit_introspection,
                "RATE_LIMIT_INTROSPECTION",
                d.introspection_per_client,
            )?,
            authorize_per_ip: number(
                &flags.rate_limit_authorize_ip,
                "RATE_LIMIT_AUTHORIZE_IP",
                d.authorize_per_ip,
            )?,
            pending_interactions_per_ip: number(
                &flags.rate_limit_pending_interactions_ip,
                "RATE_LIMIT_PENDING_INTERACTIONS_IP",
                d.pending_interactions_per_ip,
            )?,
            register_per_ip: number(
                &flags.rate_limit_register_ip,
                "RATE_LIMIT_REGISTER_IP",
                d.register_per_ip,
            )?,
            admin_api_per_key: number(
                &flags.rate_limit_admin_api,
                "RATE_LIMIT_ADMIN_API",
                d.admin_api_per_key,
            )?,
            signup_per_ip: number(
                &flags.rate_limit_signup,
                "RATE_LIMIT_SIGNUP",
                d.signup_per_ip,
            )?,
        })
    }
}

/// What a key counts, so equal strings of different kinds never share a key.
#[derive(Clone, Copy, Hash)]
enum KeyKind {
    Client,
    Address,
    ApiKey,
}

/// The limits in force, shared by every request.
pub struct Limits {
    exempt: IpBlocks,
    /// Keys are hashed with per-process random keys, so nobody can craft
    /// two subjects that share a counter.
    hasher: RandomState,
    token_ip: Option<RateGate>,
    introspection: Option<RateGate>,
    /// Admin API requests per API key (not exempt by address: a key is a
    /// credential wherever it is used from).
    admin_api: Option<RateGate>,
    /// The limits on what anyone may send without credentials.
    unauthenticated: unauthenticated::OpenLimits,
}

impl Limits {
    /// The limits `settings` describe.
    pub fn new(settings: &RateLimitSettings) -> Self {
        let on = settings.enabled;
        let gate = |rate: u32| if on { RateGate::new(rate) } else { None };
        Self {
            exempt: settings.exempt.clone(),
            hasher: RandomState::new(),
            token_ip: gate(settings.token_per_ip),
            introspection: gate(settings.introspection_per_client),
            admin_api: gate(settings.admin_api_per_key),
            unauthenticated: unauthenticated::OpenLimits::new(settings),
        }
    }

    /// `Err(wait)` when the API key `key_id` is over `RATE_LIMIT_ADMIN_API`.
    pub fn admin_api(&self, key_id: &str) -> Result<(), Duration> {
        match &self.admin_api {
            Some(gate) => gate.check(self.key(KeyKind::ApiKey, "", key_id)),
            None => Ok(()),
        }
    }

    fn key(&self, kind: KeyKind, tenant: &str, subject: impl Hash) -> u64 {
        self.hasher.hash_one((kind, tenant, subject))
    }

    /// The per-address key of `ip` under `tenant`, unless `ip` is exempt.
    fn address_key(&self, tenant: &str, ip: Option<IpAddr>) -> Option<u64> {
        let ip = ip?;
        (!self.exempt.contains(ip))
            .then(|| self.key(KeyKind::Address, tenant, AddressKey::from(ip)))
    }
}

/// How long to wait, as `Retry-After` gives it: whole seconds, rounded up,
/// at least 1 (RFC 9110 §10.2.3).
pub(crate) fn retry_after_secs(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// Sets `Retry-After`.
pub(crate) fn set_retry_after(res: &mut Response<Bytes>, wait: Duration) {
    res.headers_mut().insert(
        http::header::RETRY_AFTER,
        HeaderValue::from(retry_after_secs(wait)),
    );
}

/// 429 for a JSON endpoint. RFC 6749 defines no error code for "too many
/// requests", so the body uses `temporarily_unavailable` (RFC 6749
/// §4.1.2.1: "cannot handle the request due to a temporary overloading"):
/// clients treat it as retryable, unlike `invalid_request` (fix the request)
/// or `invalid_client` (fix the credentials), and it is not `slow_down`,
/// which RFC 8628 §3.5 gives a specific meaning in device polling.
pub(crate) fn too_many_requests(wait: Duration) -> Response<Bytes> {
    let mut res = idp_core::wire::json_no_store(
        StatusCode::TOO_MANY_REQUESTS,
        br#"{"error":"temporarily_unavailable","error_description":"too many requests; retry after the time in Retry-After"}"#.to_vec(),
    );
    set_retry_after(&mut res, wait);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(30)), 30);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }

    #[test]
    fn settings_resolve_and_reject_nonsense() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |_: &Option<String>, name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let flags = RateLimitFlags::default();
        let s = RateLimitSettings::resolve(&flags, &env(&[]));
        assert_eq!(s.ok(), Some(RateLimitSettings::default()));
        let s = RateLimitSettings::resolve(
            &flags,
            &env(&[
                ("RATE_LIMIT", "off"),
                ("RATE_LIMIT_EXEMPT", "none"),
                ("RATE_LIMIT_TOKEN_IP", "0"),
            ]),
        );
        let s = s.ok();
        assert_eq!(s.as_ref().map(|s| s.enabled), Some(false));
        assert_eq!(s.as_ref().map(|s| s.exempt.is_empty()), Some(true));
        assert_eq!(s.map(|s| s.token_per_ip), Some(0));
        for (k, v) in [
            ("RATE_LIMIT", "maybe"),
            ("RATE_LIMIT_LOGIN_IP", "-1"),
            ("RATE_LIMIT_EXEMPT", "localhost"),
            ("RATE_LIMIT_LOCKOUT_MAX", "1"),
        ] {
            let pairs: &'static [(&'static str, &'static str)] =
                Box::leak(vec![(k, v)].into_boxed_slice());
            let e = RateLimitSettings::resolve(&flags, &env(pairs)).err();
            assert!(e.is_some(), "{k}={v} accepted");
        }
    }

    #[test]
    fn ipv6_addresses_share_their_slash_64() -> Result<(), std::net::AddrParseError> {
        let l = Limits::new(&RateLimitSettings {
            exempt: IpBlocks::default(),
            ..RateLimitSettings::default()
        });
        let a = l.address_key("t", Some("2001:db8:1:2::1".parse()?));
        let b = l.address_key("t", Some("2001:db8:1:2:ffff::9".parse()?));
        let c = l.address_key("t", Some("2001:db8:1:3::1".parse()?));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, l.address_key("u", Some("2001:db8:1:2::1".parse()?)));
        let exempt = Limits::new(&RateLimitSettings::default());
        assert_eq!(exempt.address_key("t", Some("127.0.0.1".parse()?)), None);
        Ok(())
    }
}
