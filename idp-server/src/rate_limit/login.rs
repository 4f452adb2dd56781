//! The pages' side of the password-login lockouts, which idp-core decides
//! (`idp_core::abuse`): what the sign-in form says, and the 429 answer.
//! The same words for an account and an address lockout, and for known
//! and unknown emails, so that neither reveals which accounts exist.

use std::time::Duration;

/// What the sign-in form says when a lockout refuses it: the same words
/// for an account and an address lockout, and for known and unknown emails.
pub(crate) fn lockout_message(wait: Duration) -> String {
    format!(
        "Too many failed sign-in attempts. Wait {} and try again.",
        wait_in_words(wait)
    )
}

/// Turns a re-rendered sign-in form into the lockout answer: 429 with
/// `Retry-After` (idp-core counted it as a login failure for the reason
/// `rate_limited`).
pub(crate) fn refused(
    mut page: http::Response<bytes::Bytes>,
    wait: Duration,
) -> http::Response<bytes::Bytes> {
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
    use super::*;

    #[test]
    fn waits_in_words() {
        assert_eq!(wait_in_words(Duration::from_millis(300)), "1 second");
        assert_eq!(wait_in_words(Duration::from_secs(30)), "30 seconds");
        assert_eq!(wait_in_words(Duration::from_secs(61)), "2 minutes");
    }
}
