//! `prompt`, `max_age` and `id_token_hint` (OIDC Core §3.1.2.1): whether the
//! user must (re-)authenticate or consent, or must not be shown anything.

use crate::clock::UnixTime;
use crate::error::{ErrorCode, OAuthError};
use crate::id_token_hint;
use crate::ids::UserId;
use crate::store::{SessionRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;
use serde::{Deserialize, Serialize};

/// The parsed `prompt` parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompt {
    /// `none`: never show a page; fail instead.
    pub none: bool,
    /// `login`: re-authenticate even with a session.
    pub login: bool,
    /// `consent`: ask for consent even if given before.
    pub consent: bool,
}

/// check_prompt: space-delimited values of `none`, `login`, `consent`;
/// `none` must stand alone (OIDC Core §3.1.2.1).
pub fn check_prompt(params: &Params) -> Result<Prompt, OAuthError> {
    let mut p = Prompt::default();
    let Some(raw) = params.single("prompt")? else {
        return Ok(p);
    };
    for value in raw.split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => p.none = true,
            "login" => p.login = true,
            "consent" => p.consent = true,
            other => {
                return Err(OAuthError::with(
                    ErrorCode::InvalidRequest,
                    format!("unsupported prompt value '{other}'"),
                ));
            }
        }
    }
    if p.none && (p.login || p.consent) {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(p)
}

/// check_max_age: a non-negative integer number of seconds.
pub fn check_max_age(params: &Params) -> Result<Option<i64>, OAuthError> {
    match params.single("max_age")? {
        None => Ok(None),
        Some(v) => {
            v.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .map(Some)
                .ok_or(OAuthError::invalid_request(
                    "max_age must be a non-negative integer",
                ))
        }
    }
}

/// check_id_token_hint: an ID token this tenant issued to one of its
/// clients ([`id_token_hint::verify`]; expiry is not checked, as OIDC Core
/// §3.1.2.1 allows expired hints). Not necessarily to the requesting
/// client: the hint only says which user is expected.
pub async fn check_id_token_hint<S: Store>(
    store: &S,
    tenant: &TenantContext,
    params: &Params,
) -> Result<Option<id_token_hint::IdTokenHint>, OAuthError> {
    let Some(hint) = params.single("id_token_hint")? else {
        return Ok(None);
    };
    id_token_hint::verify(store, tenant, hint, None)
        .await
        .map(Some)
}

/// Whether the user must authenticate (again) before a code can be issued.
/// `hint_names` tells whether an `id_token_hint`'s `sub` is the session's
/// user (always true without a hint).
pub fn login_needed(
    prompt: Prompt,
    max_age: Option<i64>,
    hint_names: impl Fn(&UserId) -> bool,
    session: Option<&SessionRecord>,
    now: UnixTime,
) -> bool {
    match session {
        None => true,
        Some(s) => {
            prompt.login
                // max_age=0 means "authenticate now" (OIDC Core §3.1.2.1).
                || max_age.is_some_and(|m| now - s.auth_time >= m)
                || !hint_names(&s.user_id)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::secret::SecretHash;
    use crate::ids::SessionId;

    fn session(auth_time: UnixTime) -> SessionRecord {
        SessionRecord {
            id: SessionId::new("s"),
            secret_hash: SecretHash::of("x"),
            user_id: UserId::new("u1"),
            auth_time,
            amr: "pwd".to_owned(),
            created_at: auth_time,
            expires_at: auth_time + 1000,
        }
    }

    #[test]
    fn prompt_none_stands_alone() {
        assert!(check_prompt(&Params::parse(b"prompt=none+login")).is_err());
        assert!(check_prompt(&Params::parse(b"prompt=select_account")).is_err());
        let p = check_prompt(&Params::parse(b"prompt=login+consent")).unwrap_or_default();
        assert!(p.login && p.consent && !p.none);
    }

    #[test]
    fn max_age_must_be_a_non_negative_integer() {
        assert_eq!(check_max_age(&Params::parse(b"max_age=30")), Ok(Some(30)));
        assert!(check_max_age(&Params::parse(b"max_age=-1")).is_err());
        assert!(check_max_age(&Params::parse(b"max_age=abc")).is_err());
    }

    #[test]
    fn login_rules() {
        let p = Prompt::default();
        let s = session(100);
        let any = |_: &UserId| true;
        assert!(login_needed(p, None, any, None, 100));
        assert!(!login_needed(p, None, any, Some(&s), 150));
        assert!(login_needed(
            Prompt { login: true, ..p },
            None,
            any,
            Some(&s),
            150
        ));
        assert!(login_needed(p, Some(30), any, Some(&s), 150));
        assert!(!login_needed(p, Some(60), any, Some(&s), 150));
        assert!(login_needed(p, Some(0), any, Some(&s), 100));
        assert!(login_needed(
            p,
            None,
            |u: &UserId| u.as_str() == "u2",
            Some(&s),
            150
        ));
        assert!(!login_needed(
            p,
            None,
            |u: &UserId| u.as_str() == "u1",
            Some(&s),
            150
        ));
    }
}
