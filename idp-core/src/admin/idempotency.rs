//! `Idempotency-Key` for the admin API's creates (the IETF httpapi
//! "Idempotency-Key HTTP Header Field" draft): the same key from the same
//! caller for the same method and path within [`IDEMPOTENCY_LIFETIME`]
//! returns the first response instead of making a second object.
//!
//! - The key is claimed before the request runs, so a concurrent duplicate
//!   is told the first is still in progress (409) instead of racing it.
//! - The same key with another body is a client error (422): a replay
//!   must be the same request.
//! - The first response may hold a secret shown once (a client secret):
//!   it is kept sealed under the master key, bound to its record.
//! - A request that failed releases its claim, so a retry runs anew.

use super::Admin;
use super::error::AdminError;
use crate::crypto::secret::SecretHash;
use crate::store::{IdempotencyRecord, Store};

/// How long a key's first response is kept and replayed: 24 hours.
pub const IDEMPOTENCY_LIFETIME: i64 = 24 * 3600;
/// The longest key accepted.
const MAX_KEY: usize = 255;

/// One request that carries an `Idempotency-Key`.
#[derive(Clone, Copy, Debug)]
pub struct IdempotentRequest<'a> {
    /// Who sends it (an API key's id): keys are per caller.
    pub caller: &'a str,
    /// The method and path it was sent to.
    pub method: &'a str,
    /// The request path.
    pub path: &'a str,
    /// The header's value.
    pub key: &'a str,
    /// The request body.
    pub body: &'a [u8],
}

/// How to go on with an [`IdempotentRequest`].
#[derive(Debug)]
pub enum IdempotentStart {
    /// First time: run it, then [`Admin::finish_idempotent`] or
    /// [`Admin::abandon_idempotent`] with this claim.
    Run(IdempotencyClaim),
    /// Already done: answer with the first response.
    Replay {
        /// Its status.
        status: u16,
        /// Its body.
        body: Vec<u8>,
    },
    /// The first request with this key has not finished yet.
    InProgress,
    /// The key was used with another request body.
    Mismatch,
}

/// A claimed key, to complete or release.
#[derive(Debug)]
pub struct IdempotencyClaim {
    scope: String,
}

/// Checks a key's syntax: 1 to 255 visible ASCII characters.
fn check_key(key: &str) -> Result<(), AdminError> {
    if key.is_empty() || key.len() > MAX_KEY || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AdminError::invalid(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY} visible ASCII characters"),
        ));
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl<S: Store> Admin<S> {
    /// Claims `req`'s key, or says why not (see [`IdempotentStart`]).
    pub async fn begin_idempotent(
        &self,
        req: &IdempotentRequest<'_>,
    ) -> Result<IdempotentStart, AdminError> {
        check_key(req.key)?;
        // Lengths first, so no two different triples hash the same text.
        let scope_text = format!(
            "{}:{}{}:{}{}:{}",
            req.caller.len(),
            req.caller,
            req.method.len(),
            req.method,
            req.path.len(),
            req.path
        ) + req.key;
        let scope = hex(SecretHash::of(&scope_text).as_bytes());
        let fingerprint =
            hex(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, req.body).as_ref());
        let now = self.clock.now();
        let record = IdempotencyRecord {
            scope: scope.clone(),
            fingerprint: fingerprint.clone(),
            status: None,
            body: Vec::new(),
            created_at: now,
            expires_at: now + IDEMPOTENCY_LIFETIME,
        };
        let Some(existing) = self.store.claim_idempotency_key(&record, now).await? else {
            return Ok(IdempotentStart::Run(IdempotencyClaim { scope }));
        };
        if existing.fingerprint != fingerprint {
            return Ok(IdempotentStart::Mismatch);
        }
        let Some(status) = existing.status else {
            return Ok(IdempotentStart::InProgress);
        };
        let body = self
            .config
            .master_key
            .open_platform(&existing.body, &location(&scope))
            .map_err(|e| AdminError::Internal(format!("idempotency record: {e}")))?;
        Ok(IdempotentStart::Replay { status, body })
    }

    /// Keeps the response of a claimed request, sealed, for replays.
    pub async fn finish_idempotent(
        &self,
        claim: IdempotencyClaim,
        status: u16,
        body: &[u8],
    ) -> Result<(), AdminError> {
        let sealed = self
            .config
            .master_key
            .seal_platform(body, &location(&claim.scope))
            .map_err(|e| AdminError::Internal(format!("idempotency record: {e}")))?;
        self.store
            .complete_idempotency_key(&claim.scope, status, &sealed)
            .await?;
        Ok(())
    }

    /// Releases the claim of a request that failed, so a retry runs.
    pub async fn abandon_idempotent(&self, claim: IdempotencyClaim) -> Result<(), AdminError> {
        Ok(self.store.release_idempotency_key(&claim.scope).await?)
    }
}

impl<S: Store> Admin<S> {
    /// Deletes the idempotency records that expired (the purge job); how many.
    pub async fn purge_idempotency_keys(&self) -> Result<u64, AdminError> {
        const BATCH: u32 = 500;
        let now = self.clock.now();
        let mut total = 0;
        loop {
            let n = self.store.purge_idempotency_keys(now, BATCH).await?;
            total += n;
            if n < u64::from(BATCH) {
                return Ok(total);
            }
        }
    }
}

fn location(scope: &str) -> String {
    format!("idempotency/{scope}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_and_bounded() {
        assert!(check_key("a-uuid-like-0001").is_ok());
        assert!(check_key(&"k".repeat(MAX_KEY)).is_ok());
        for bad in ["", "has space", "é", "tab\t"] {
            assert!(check_key(bad).is_err(), "{bad:?}");
        }
        assert!(check_key(&"k".repeat(MAX_KEY + 1)).is_err());
    }
}
