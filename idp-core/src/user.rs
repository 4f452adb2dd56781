//! The tenant's user registry: creating users, checking passwords, and the
//! claims each scope releases (OIDC Core §5.4).

use crate::analytics::FailureReason;
use crate::crypto::password;
use crate::email::EmailAddress;
use crate::ids::TenantId;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{Store, UserRecord};
use crate::telemetry::LoginFailure;
use serde_json::{Map, Value};

/// What an operator gives to create a user.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Email, the login name; stored and compared in its canonical form
    /// ([`EmailAddress::parse`]), so look-alike spellings are one account.
    pub email: String,
    /// Full name.
    pub name: Option<String>,
    /// Initial password; `None` for a user who cannot log in with one yet.
    pub password: Option<String>,
    /// Whether the email is known to be verified.
    pub email_verified: bool,
}

/// Claims released for `scopes` (OIDC Core §5.4), without `sub`.
pub fn claims_for(user: &UserRecord, scopes: &Scopes) -> Map<String, Value> {
    let mut claims = Map::new();
    if scopes.contains("profile") {
        if let Some(name) = &user.name {
            claims.insert("name".into(), Value::String(name.clone()));
        }
        claims.insert(
            "preferred_username".into(),
            Value::String(user.email.clone()),
        );
        claims.insert("updated_at".into(), Value::from(user.updated_at));
    }
    if scopes.contains("email") {
        claims.insert("email".into(), Value::String(user.email.clone()));
        claims.insert("email_verified".into(), Value::Bool(user.email_verified));
    }
    claims
}

impl<S: Store> Provider<S> {
    /// Checks a username (email) and password. The email is looked up in
    /// its canonical form, so `ａlice@example.com` signs in as
    /// `alice@example.com`; one that is not an address (an invisible
    /// character, no `@`) is an unknown user. Unknown users, wrong passwords
    /// and users without a password cost the same time and count as the
    /// same failure ([`LoginFailure::InvalidCredentials`]), so neither the
    /// form nor the metrics tell which accounts exist. A disabled user
    /// ([`crate::admin::Admin::disable_user`]) fails the same way, after the
    /// same work.
    ///
    /// The caller learns why a sign-in failed, for the tenant's analytics
    /// only ([`crate::analytics::FailureReason`]); the person at the form
    /// never does.
    pub(crate) async fn check_password(
        &self,
        tenant: &TenantId,
        email: &str,
        password: &str,
    ) -> Result<Result<UserRecord, FailureReason>, crate::error::OAuthError> {
        let user = match EmailAddress::parse(email) {
            Ok(email) => self.store.user_by_email(tenant, &email).await?,
            Err(_) => None,
        };
        let password = password.to_owned();
        let phc = user.as_ref().and_then(|u| u.password_hash.clone());
        let verified = match phc {
            Some(phc) => {
                self.offload(move || password::verify(&password, &phc))
                    .await?
            }
            None => {
                self.offload(move || password::verify_dummy(&password))
                    .await?;
                false
            }
        };
        let outcome = match user {
            None => Err(FailureReason::UnknownUser),
            Some(u) if u.password_hash.is_none() => Err(FailureReason::NoPassword),
            Some(_) if !verified => Err(FailureReason::WrongPassword),
            Some(u) if u.disabled => Err(FailureReason::Disabled),
            Some(u) => Ok(u),
        };
        if outcome.is_err() {
            LoginFailure::InvalidCredentials.record();
        }
        Ok(outcome)
    }
}
