//! Checking a key: its signature chain against the root public key, then a
//! bounded Datalog authorizer over the request's facts.
//!
//! Denials ([`Denied`]), in this order:
//! - not a Biscuit, a bad signature or another root, more than
//!   [`MAX_KEY_LEN`] bytes, no single `key` fact in the authority block, or
//!   an authorizer run over [`LIMITS`] → `Unauthenticated`;
//! - a failing expiry check (`check if time($t), $t < …`, the form both
//!   minting and [`attenuate`](super::attenuate) write), in any block →
//!   `Unauthenticated("expired")`: an expiry its holder added offline
//!   ends the key just as one set at creation does;
//! - any other failing check: if the request concerns a tenant and the key
//!   could not even read in that tenant → `Hidden` (answered 404, so a
//!   scoped key cannot enumerate tenants), else `Forbidden` (403).

use super::attenuate::EXPIRY_CHECK_PREFIX;
use super::{AccessRequest, Denied, Operation, date, hex};
use biscuit_auth::builder::{Term, fact};
use biscuit_auth::error::{FailedCheck, Logic, Token};
use biscuit_auth::{AuthorizerBuilder, AuthorizerLimits, Biscuit, PublicKey};
use std::time::Duration;

/// The longest key accepted, in bytes of base64: a key with a few dozen
/// blocks of checks; anything longer is refused before parsing.
pub const MAX_KEY_LEN: usize = 8 * 1024;

/// Bounds on one authorizer run, so that a hostile token (rules generating
/// facts) cannot burn CPU: our keys need a handful of facts and one
/// iteration. The facts and iterations bound the work; the time bound is
/// wall-clock, so it must leave room for a thread preempted on a loaded
/// machine (5 ms refused about one valid key in 600 on 2 busy cores).
pub const LIMITS: AuthorizerLimits = AuthorizerLimits {
    max_facts: 100,
    max_iterations: 10,
    max_time: Duration::from_millis(250),
};

/// Checks keys against the platform's root public key. Cheap to clone.
#[derive(Clone, Debug)]
pub struct ApiKeyVerifier {
    root: PublicKey,
}

/// A parsed key whose signature chain is valid: not yet authorized for
/// anything (see [`VerifiedKey::permits`]).
#[derive(Clone, Debug)]
pub struct VerifiedKey {
    token: Biscuit,
    key_id: String,
    revocation_id: String,
}

impl ApiKeyVerifier {
    /// A verifier for keys signed by `root` (the public half of the root
    /// key pair; `ApiKeyVerifier::load` reads it from the store).
    pub fn new(root: PublicKey) -> Self {
        Self { root }
    }

    /// Parses `key` and checks its signatures; reads the `key` fact of its
    /// authority block.
    pub fn verify(&self, key: &str) -> Result<VerifiedKey, Denied> {
        let key = key.trim();
        if key.len() > MAX_KEY_LEN {
            return Err(Denied::Unauthenticated("key too long"));
        }
        let token = Biscuit::from_base64(key, self.root)
            .map_err(|_| Denied::Unauthenticated("invalid key"))?;
        let mut authorizer = AuthorizerBuilder::new()
            .set_limits(LIMITS)
            .build(&token)
            .map_err(|_| Denied::Unauthenticated("invalid key"))?;
        // Queries see the authority block and the authorizer only, never
        // an attenuating block's facts.
        let ids: Vec<(String,)> = authorizer
            .query("key_id($k) <- key($k)")
            .map_err(|_| Denied::Unauthenticated("invalid key"))?;
        let [(key_id,)] =
            <[(String,); 1]>::try_from(ids).map_err(|_| Denied::Unauthenticated("invalid key"))?;
        let revocation_id = token
            .revocation_identifiers()
            .first()
            .map(|id| hex(id))
            .ok_or(Denied::Unauthenticated("invalid key"))?;
        Ok(VerifiedKey {
            token,
            key_id,
            revocation_id,
        })
    }
}

impl VerifiedKey {
    /// The id of the key's record (the authority block's `key` fact).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The revocation id of the authority block (hex), which every
    /// attenuation of the key shares.
    pub fn revocation_id(&self) -> &str {
        &self.revocation_id
    }

    /// How many blocks the key has (1 + its attenuations).
    pub fn block_count(&self) -> usize {
        self.token.block_count()
    }

    /// Whether every check of every block holds for `req` and the policy
    /// allows it.
    pub fn permits(&self, req: &AccessRequest) -> bool {
        self.authorize(req).is_ok()
    }

    /// Authorizes `req`, or says how to deny it (see the module documentation).
    pub fn decide(&self, req: &AccessRequest) -> Result<(), Denied> {
        let Err(e) = self.authorize(req) else {
            return Ok(());
        };
        if matches!(e, Token::RunLimit(_)) {
            return Err(Denied::Unauthenticated("key too costly to check"));
        }
        if expired(&e) {
            return Err(Denied::Unauthenticated("expired"));
        }
        if req.tenant.is_none() {
            return Err(Denied::Forbidden);
        }
        let read = AccessRequest {
            operation: Operation::Read,
            ..*req
        };
        if req.operation == Operation::Write && self.authorize(&read).is_ok() {
            Err(Denied::Forbidden)
        } else {
            Err(Denied::Hidden)
        }
    }

    /// One bounded authorizer run with the request's facts and the policy
    /// `allow if key($k)` (authority facts only).
    fn authorize(&self, req: &AccessRequest) -> Result<usize, Token> {
        let text = |s: &str| Term::Str(s.to_owned());
        let mut builder = AuthorizerBuilder::new()
            .set_limits(LIMITS)
            .fact(fact("time", &[date(req.now)]))?
            .fact(fact("operation", &[text(req.operation.as_str())]))?
            .fact(fact("path", &[text(req.path)]))?;
        if let Some(slug) = req.tenant {
            builder = builder.fact(fact("tenant", &[text(slug)]))?;
        }
        builder
            .policy("allow if key($k)")?
            .build(&self.token)?
            .authorize()
    }
}

/// Whether a failed authorization includes a failing expiry check.
fn expired(e: &Token) -> bool {
    let checks = match e {
        Token::FailedLogic(Logic::Unauthorized { checks, .. })
        | Token::FailedLogic(Logic::NoMatchingPolicy { checks }) => checks,
        _ => return false,
    };
    checks.iter().any(|c| match c {
        FailedCheck::Block(b) => b
            .rule
            .strip_prefix(EXPIRY_CHECK_PREFIX)
            .is_some_and(|rest| !rest.contains([',', ' '])),
        FailedCheck::Authorizer(_) => false,
    })
}
