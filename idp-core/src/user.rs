//! The tenant's user registry: creating users, checking passwords, and the
//! claims each scope releases (OIDC Core §5.4).

use crate::crypto::password;
use crate::error::AdminError;
use crate::ids::{TenantId, UserId};
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{Store, UserRecord};
use crate::telemetry::LoginFailure;
use serde_json::{Map, Value};

/// What an operator gives to create a user.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Email, the login name; compared case-insensitively.
    pub email: String,
    /// Full name.
    pub name: Option<String>,
    /// Initial password; `None` for a user who cannot log in with one yet.
    pub password: Option<String>,
    /// Whether the email is known to be verified.
    pub email_verified: bool,
}

/// A minimal email check: one `@` with text on both sides, no spaces.
fn validate_email(email: &str) -> Result<(), AdminError> {
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
                && email.len() <= 254 =>
        {
            Ok(())
        }
        _ => Err(AdminError::Invalid(format!(
            "'{email}' is not an email address"
        ))),
    }
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
    /// Creates a user in the tenant `slug`; the password is hashed with argon2id.
    pub async fn create_user(&self, slug: &str, new: NewUser) -> Result<UserRecord, AdminError> {
        let tenant = self.require_tenant(slug).await?;
        let email = new.email.trim().to_lowercase();
        validate_email(&email)?;
        let password_hash = match new.password {
            Some(pw) if pw.is_empty() => {
                return Err(AdminError::Invalid("password must not be empty".into()));
            }
            Some(pw) => Some(
                self.offload(move || password::hash(&pw))
                    .await
                    .map_err(|e| AdminError::Internal(e.description.into_owned()))?
                    .map_err(|e| AdminError::Internal(e.to_string()))?,
            ),
            None => None,
        };
        let now = self.clock.now();
        let user = UserRecord {
            id: UserId::generate(),
            email: email.clone(),
            email_verified: new.email_verified,
            name: new.name.filter(|n| !n.trim().is_empty()),
            password_hash,
            created_at: now,
            updated_at: now,
        };
        self.store
            .create_user(&tenant.record.id, &user)
            .await
            .map_err(|e| match AdminError::from(e) {
                AdminError::Conflict(_) => AdminError::Conflict(format!("user '{email}'")),
                other => other,
            })?;
        Ok(user)
    }

    /// Checks a username (email) and password. Unknown users cost the same
    /// time as wrong passwords. Each failure is counted by its reason
    /// ([`LoginFailure`]); only the operator's metrics tell them apart.
    pub(crate) async fn check_password(
        &self,
        tenant: &TenantId,
        email: &str,
        password: &str,
    ) -> Result<Option<UserRecord>, crate::error::OAuthError> {
        let user = self
            .store
            .user_by_email(tenant, &email.trim().to_lowercase())
            .await?;
        let password = password.to_owned();
        match user {
            Some(user) => {
                let Some(phc) = user.password_hash.clone() else {
                    self.offload(move || password::verify_dummy(&password))
                        .await?;
                    LoginFailure::NoPassword.record();
                    return Ok(None);
                };
                let ok = self
                    .offload(move || password::verify(&password, &phc))
                    .await?;
                if !ok {
                    LoginFailure::WrongPassword.record();
                }
                Ok(ok.then_some(user))
            }
            None => {
                self.offload(move || password::verify_dummy(&password))
                    .await?;
                LoginFailure::UnknownUser.record();
                Ok(None)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_checked() {
        assert!(validate_email("a@b.example").is_ok());
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }
}
