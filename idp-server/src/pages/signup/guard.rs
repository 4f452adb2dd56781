//! What the sign-up page keeps between requests: the proof of work it asks
//! for (`SIGNUP_POW_BITS`) and the challenges already spent. Both rules
//! are idp-core's (`idp_core::signup::pow`, `idp_core::signup::ledger`);
//! this only holds them for the server.

use idp_core::clock::UnixTime;
use idp_core::crypto::envelope::MasterKey;
use idp_core::signup::ledger::{ChallengeLedger, Spend};
use idp_core::signup::pow::{PowError, ProofOfWork};

/// The sign-up page's proof of work and spent challenges.
#[derive(Debug, Default)]
pub struct SignupGuard {
    /// The difficulty and lifetime of new challenges.
    pub pow: ProofOfWork,
    ledger: ChallengeLedger,
}

/// Why a form's proof of work was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Missing, forged, for another form, expired or unsolved.
    Pow(PowError),
    /// Already used for a sign-up attempt.
    Reused,
    /// Too many challenges in flight: try later.
    Busy,
}

impl SignupGuard {
    /// A guard asking for `pow`.
    pub fn new(pow: ProofOfWork) -> Self {
        Self {
            pow,
            ledger: ChallengeLedger::default(),
        }
    }

    /// A new challenge for the form whose CSRF token is `csrf`.
    pub fn challenge(&self, key: &MasterKey, csrf: &str, now: UnixTime) -> String {
        self.pow.issue(key, csrf, now).unwrap_or_default()
    }

    /// Checks and spends the form's challenge.
    pub fn accept(
        &self,
        key: &MasterKey,
        csrf: &str,
        challenge: &str,
        nonce: &str,
        now: UnixTime,
    ) -> Result<(), Refusal> {
        let solved = self
            .pow
            .check(key, csrf, challenge, nonce, now)
            .map_err(Refusal::Pow)?;
        match self.ledger.spend(solved.id, solved.expires_at, now) {
            Spend::Spent => Ok(()),
            Spend::Reused => Err(Refusal::Reused),
            Spend::Full => Err(Refusal::Busy),
        }
    }
}
