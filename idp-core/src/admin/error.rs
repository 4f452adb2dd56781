//! Why an administrative operation failed: one typed error for the whole
//! [`Admin`](super::Admin) service, mapped to CLI exit codes by idp-server
//! and to RFC 9457 problem details by the admin API, each in one place.
//!
//! The variants are the classes a caller acts on differently: fix the
//! input ([`AdminError::Invalid`], every bad field at once), pick another
//! name ([`AdminError::Conflict`]), wait for another state
//! ([`AdminError::WrongState`]), look elsewhere ([`AdminError::NotFound`]),
//! ask for rights ([`AdminError::Forbidden`]), retry
//! ([`AdminError::Unavailable`]) or report a bug ([`AdminError::Internal`]).

use crate::store::StoreError;
use std::fmt;

/// What kind of object an id named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectKind {
    /// A tenant, named by slug.
    Tenant,
    /// A client, by `client_id`.
    Client,
    /// A user, by id or email.
    User,
    /// A login session, by id (`sid`).
    Session,
    /// An application role, by name.
    Role,
    /// An admin API key, by id.
    ApiKey,
    /// A tier, by name.
    Tier,
    /// An upstream identity provider, by id.
    Upstream,
    /// An identity linked to a user, by `{upstream id}/{subject}`.
    LinkedIdentity,
}

impl ObjectKind {
    /// The lowercase noun (`"tenant"`), as in messages and problem types.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tenant => "tenant",
            Self::Client => "client",
            Self::User => "user",
            Self::Session => "session",
            Self::Role => "role",
            Self::ApiKey => "api key",
            Self::Tier => "tier",
            Self::Upstream => "upstream",
            Self::LinkedIdentity => "linked identity",
        }
    }
}

/// One invalid input: which field, and why (a sentence a person can act on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the API and the CLI spell it (`redirect_uris`).
    pub field: String,
    /// Why it is refused; never contains a secret.
    pub reason: String,
}

/// Why an administrative operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// No such object, or one the caller may not see (the same answer, so
    /// tenants cannot be enumerated through errors).
    #[error("no {} '{id}'", kind.as_str())]
    NotFound {
        /// What was looked for.
        kind: ObjectKind,
        /// The id, slug or email given.
        id: String,
    },
    /// The change collides with an existing object (a slug, an email).
    #[error("{what} already exists")]
    Conflict {
        /// What collides, e.g. `tenant 'acme'`.
        what: String,
    },
    /// The object is not in a state that allows the change (a tenant
    /// approved twice): a conflict with its current state, as a
    /// collision is with an existing object (HTTP 409, CLI status 4).
    #[error("{what}")]
    WrongState {
        /// What is wrong, e.g. `tenant 'acme' is active: only a pending
        /// tenant can be approved`.
        what: String,
    },
    /// Creating the object would pass a limit of the tenant's tier
    /// ([`crate::tier`]): a conflict with the tenant's plan (HTTP 409
    /// `limit-exceeded`, CLI status 4).
    #[error("the tenant's tier allows {allowed} {limit}; it has {usage}")]
    LimitExceeded {
        /// Which limit.
        limit: crate::tier::Limit,
        /// What the tier allows.
        allowed: u64,
        /// How many there are now.
        usage: u64,
    },
    /// Some input is invalid: every field found wrong, at least one.
    #[error("{}", join_reasons(.0))]
    Invalid(Vec<FieldError>),
    /// The caller may not do this.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// Why, for the operator.
        reason: String,
    },
    /// Storage cannot be reached for now; the operation may succeed if retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Something that should not fail did (storage corruption, key
    /// generation, decryption); the cause is for the operator's log.
    #[error("internal error: {0}")]
    Internal(String),
}

fn join_reasons(errors: &[FieldError]) -> String {
    let reasons: Vec<&str> = errors.iter().map(|e| e.reason.as_str()).collect();
    reasons.join("; ")
}

impl AdminError {
    /// One invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }

    /// No object of `kind` named `id`.
    pub fn not_found(kind: ObjectKind, id: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            id: id.into(),
        }
    }

    /// `what` already exists.
    pub fn conflict(what: impl Into<String>) -> Self {
        Self::Conflict { what: what.into() }
    }

    /// Turns a store conflict into one naming `what` (the store only knows
    /// the column).
    pub(crate) fn conflict_as(what: impl fmt::Display) -> impl FnOnce(StoreError) -> Self {
        move |e| match e {
            StoreError::Conflict(_) => Self::conflict(what.to_string()),
            other => other.into(),
        }
    }
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Self::Conflict { what },
            StoreError::Backend(msg) => Self::Internal(format!("storage failure: {msg}")),
            StoreError::Unavailable(msg) => Self::Unavailable(msg),
        }
    }
}

/// Collects every invalid field of an input before failing, so a caller
/// fixes them all in one round.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldError>);

impl Problems {
    /// Records `result`'s error, if any, under `field`.
    pub(crate) fn check(&mut self, field: &str, result: Result<(), String>) {
        if let Err(reason) = result {
            self.add(field, reason);
        }
    }

    /// Records the invalid fields of `result`'s error, if it is [`AdminError::Invalid`];
    /// any other error is returned at once.
    pub(crate) fn absorb(&mut self, result: Result<(), AdminError>) -> Result<(), AdminError> {
        match result {
            Ok(()) => Ok(()),
            Err(AdminError::Invalid(errors)) => {
                self.0.extend(errors);
                Ok(())
            }
            Err(other) => Err(other),
        }
    }

    /// Records one invalid field.
    pub(crate) fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    /// `Ok` if nothing was recorded, else every recorded field.
    pub(crate) fn finish(self) -> Result<(), AdminError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AdminError::Invalid(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_lists_every_reason() {
        let mut p = Problems::default();
        p.check("name", Err("name must not be empty".into()));
        p.check("slug", Ok(()));
        p.add("redirect_uris", "redirect URI 'x' is not absolute");
        let e = p.finish().err();
        let Some(AdminError::Invalid(fields)) = &e else {
            panic!("{e:?}");
        };
        assert_eq!(fields.len(), 2);
        assert_eq!(fields[1].field, "redirect_uris");
        assert_eq!(
            e.map(|e| e.to_string()).unwrap_or_default(),
            "name must not be empty; redirect URI 'x' is not absolute"
        );
    }

    #[test]
    fn store_errors_keep_their_class() {
        let e: AdminError = StoreError::Unavailable("gone".into()).into();
        assert!(matches!(e, AdminError::Unavailable(_)));
        let e: AdminError = StoreError::Backend("disk".into()).into();
        assert!(matches!(e, AdminError::Internal(_)));
        let e = AdminError::conflict_as("user 'a@b.c'")(StoreError::Conflict("email".into()));
        assert_eq!(e.to_string(), "user 'a@b.c' already exists");
        assert_eq!(
            AdminError::not_found(ObjectKind::Tenant, "acme").to_string(),
            "no tenant 'acme'"
        );
    }
}
