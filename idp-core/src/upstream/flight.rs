//! One round trip through an upstream in progress (a *flight*), and an
//! identity waiting for its owner to sign in before it is linked (a
//! *pending link*). Both are server-side, short-lived and single-use.
//!
//! A flight is what the callback needs to finish the round trip: the
//! `nonce` and PKCE verifier sent (RFC 7636 §4.1), which upstream, what
//! for (an interaction's sign-in or a signed-in user's link) and the hash
//! of a browser-binding value. The store keeps it under the hash of its
//! `state` (RFC 6749 §10.12), sealed with the tenant's data key so that the
//! store never sees the verifier or the interaction id. Taking it removes
//! it: a `state` works once.
//!
//! The binding value is the `idp_upstream` cookie (HttpOnly, `Secure` on
//! https, `SameSite=Lax` since the callback is a top-level GET from the
//! upstream's site, path the tenant's): a callback brought by another
//! browser, one that did not begin the round trip, is refused (login CSRF,
//! RFC 6749 §10.12).
//!
//! Unauthenticated state is bounded: a sign-in flight needs a live
//! interaction (which holds a slot of its requester's pending cap,
//! [`crate::authorize::pending`]), a link flight a signed-in session, and
//! every flight expires after [`LIFETIME`] seconds.

use crate::clock::UnixTime;
use crate::crypto::envelope::DataKey;
use crate::crypto::{random, secret::SecretHash};
use crate::ids::UpstreamId;
use crate::provider::Provider;
use crate::store::{Store, StoreError, UpstreamFlightRecord};
use crate::tenant::TenantContext;
use base64::Engine;
use serde::{Deserialize, Serialize};

/// The browser-binding cookie's name.
pub const BINDING_COOKIE: &str = "idp_upstream";

/// How long a flight (and a pending link) lives, in seconds: long enough
/// to sign in at the upstream, short enough to bound what is kept.
pub const LIFETIME: i64 = 600;

/// What a round trip is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum Purpose {
    /// Signing in through the login page of this interaction (its raw id).
    SignIn {
        /// The interaction's id, as in its page URL.
        interaction: String,
    },
    /// Linking another identity to the user signed in with this session.
    Link {
        /// The user.
        user: String,
        /// The session's public id; the callback must come with it.
        session: String,
    },
}

/// One round trip, as sealed in its [`UpstreamFlightRecord`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flight {
    /// The upstream it went to.
    pub upstream: String,
    /// The `nonce` sent (OIDC Core §3.1.2.1).
    pub nonce: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// What it is for.
    pub purpose: Purpose,
    /// The hash of the binding cookie's value, base64url.
    binding: String,
}

impl Flight {
    /// A new flight to `upstream` for `purpose`, bound to `binding` (the
    /// cookie's raw value).
    pub fn new(upstream: &UpstreamId, purpose: Purpose, binding: &str) -> Self {
        Self {
            upstream: upstream.as_str().to_owned(),
            nonce: random::secret(),
            pkce_verifier: random::secret(),
            purpose,
            binding: b64(SecretHash::of(binding).as_bytes()),
        }
    }

    /// Whether `cookie` (the request's binding cookie) is the one this
    /// flight was bound to, compared in constant time.
    pub fn bound_to(&self, cookie: Option<&str>) -> bool {
        bound(&self.binding, cookie)
    }
}

/// An identity asserted by an upstream whose email belongs to an existing
/// user, kept until someone signs in on the same interaction (then it is
/// linked to them): never in a cookie the browser could forge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLink {
    /// The upstream.
    pub upstream: String,
    /// The upstream's key for the person.
    pub subject: String,
    /// The email it reported.
    pub email: Option<String>,
    /// The hash of the binding cookie of the browser that brought it,
    /// base64url: only a sign-in from that browser links it.
    binding: String,
}

impl PendingLink {
    /// The identity `subject` of `upstream` (reporting `email`), brought
    /// by the browser whose binding cookie is `binding`.
    pub fn new(upstream: &UpstreamId, subject: &str, email: Option<&str>, binding: &str) -> Self {
        Self {
            upstream: upstream.as_str().to_owned(),
            subject: subject.to_owned(),
            email: email.map(str::to_owned),
            binding: b64(SecretHash::of(binding).as_bytes()),
        }
    }

    /// Whether `cookie` is the binding cookie of the browser that brought it.
    pub fn bound_to(&self, cookie: Option<&str>) -> bool {
        bound(&self.binding, cookie)
    }
}

/// Whether `cookie` hashes to `stored` (base64url), in constant time.
fn bound(stored: &str, cookie: Option<&str>) -> bool {
    let Some(cookie) = cookie else {
        return false;
    };
    let Ok(stored) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(stored) else {
        return false;
    };
    SecretHash::from_slice(&stored).is_some_and(|h| h.matches(cookie))
}

/// What a flight record holds, sealed.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Sealed {
    Trip(Flight),
    PendingLink(PendingLink),
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Where a flight's data is sealed: bound to the tenant and the key it is
/// stored under, so that data copied to another row does not open.
fn location(tenant: &TenantContext, key: &SecretHash) -> String {
    format!(
        "tenant/{}/upstream_flights/{}",
        tenant.record.id,
        b64(key.as_bytes())
    )
}

/// The key a pending link of the interaction `interaction` (its raw id,
/// a secret) is kept under: no one without the id can name it.
pub fn pending_link_key(interaction: &str) -> SecretHash {
    SecretHash::of(&format!("upstream-pending-link/{interaction}"))
}

/// Why a flight could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum FlightError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The tenant's data key or the sealing failed.
    #[error("flight sealing: {0}")]
    Seal(String),
}

impl<S: Store> Provider<S> {
    /// The tenant's data key, unwrapped with the master key.
    pub(crate) fn tenant_data_key(&self, tenant: &TenantContext) -> Result<DataKey, FlightError> {
        self.config
            .master_key
            .unwrap(&tenant.record.wrapped_data_key, tenant.record.id.as_str())
            .map_err(|e| FlightError::Seal(e.to_string()))
    }

    async fn put_sealed(
        &self,
        tenant: &TenantContext,
        key: SecretHash,
        upstream: &UpstreamId,
        data: &Sealed,
    ) -> Result<(), FlightError> {
        let json = serde_json::to_vec(data).map_err(|e| FlightError::Seal(e.to_string()))?;
        let sealed = self
            .tenant_data_key(tenant)?
            .seal(&json, &location(tenant, &key))
            .map_err(|e| FlightError::Seal(e.to_string()))?;
        let now = self.clock.now();
        let record = UpstreamFlightRecord {
            state_hash: key,
            upstream_id: upstream.clone(),
            data: sealed,
            created_at: now,
            expires_at: now + LIFETIME,
        };
        self.store.put_flight(&tenant.record.id, &record).await?;
        Ok(())
    }

    async fn take_sealed(
        &self,
        tenant: &TenantContext,
        key: &SecretHash,
    ) -> Result<Option<Sealed>, FlightError> {
        let now: UnixTime = self.clock.now();
        let Some(record) = self.store.take_flight(&tenant.record.id, key, now).await? else {
            return Ok(None);
        };
        let json = self
            .tenant_data_key(tenant)?
            .open(&record.data, &location(tenant, key))
            .map_err(|e| FlightError::Seal(e.to_string()))?;
        Ok(serde_json::from_slice(&json).ok())
    }

    /// Stores `flight` under the hash of a new `state`, returned.
    pub(crate) async fn put_flight(
        &self,
        tenant: &TenantContext,
        flight: &Flight,
    ) -> Result<String, FlightError> {
        let state = random::secret();
        let upstream = UpstreamId::new(flight.upstream.as_str());
        self.put_sealed(
            tenant,
            SecretHash::of(&state),
            &upstream,
            &Sealed::Trip(flight.clone()),
        )
        .await?;
        Ok(state)
    }

    /// Takes the flight of `state`: `None` if there is none (unknown,
    /// expired, already taken).
    pub(crate) async fn take_flight(
        &self,
        tenant: &TenantContext,
        state: &str,
    ) -> Result<Option<Flight>, FlightError> {
        Ok(
            match self.take_sealed(tenant, &SecretHash::of(state)).await? {
                Some(Sealed::Trip(f)) => Some(f),
                _ => None,
            },
        )
    }

    /// Keeps `link` until someone signs in on the interaction
    /// `interaction` (replacing any pending link of it).
    pub(crate) async fn put_pending_link(
        &self,
        tenant: &TenantContext,
        interaction: &str,
        link: &PendingLink,
    ) -> Result<(), FlightError> {
        let key = pending_link_key(interaction);
        self.take_sealed(tenant, &key).await?;
        let upstream = UpstreamId::new(link.upstream.as_str());
        self.put_sealed(tenant, key, &upstream, &Sealed::PendingLink(link.clone()))
            .await
    }

    /// Takes the pending link of the interaction `interaction`, if any.
    pub(crate) async fn take_pending_link(
        &self,
        tenant: &TenantContext,
        interaction: &str,
    ) -> Result<Option<PendingLink>, FlightError> {
        Ok(
            match self
                .take_sealed(tenant, &pending_link_key(interaction))
                .await?
            {
                Some(Sealed::PendingLink(l)) => Some(l),
                _ => None,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flight_is_bound_to_its_cookie_only() {
        let f = Flight::new(
            &UpstreamId::new("u1"),
            Purpose::SignIn {
                interaction: "i".into(),
            },
            "cookie-value",
        );
        assert!(f.bound_to(Some("cookie-value")));
        assert!(!f.bound_to(Some("other")));
        assert!(!f.bound_to(None));
        assert_ne!(f.nonce, f.pkce_verifier);
        let json = serde_json::to_string(&Sealed::Trip(f)).expect("serializes");
        assert!(!json.contains("cookie-value"));
    }

    #[test]
    fn pending_links_are_keyed_by_the_secret_interaction_id() {
        assert_ne!(pending_link_key("a"), pending_link_key("b"));
        assert_eq!(pending_link_key("a"), pending_link_key("a"));
    }
}
