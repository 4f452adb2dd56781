//! Identifier newtypes, so that a client id can never be passed where a user id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier read from storage or from a request.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// A fresh random identifier (128 bits, base64url).
            pub fn generate() -> Self {
                Self(crate::crypto::random::token(16))
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    /// A tenant's internal, immutable id (its slug is the public name).
    TenantId
);
string_id!(
    /// OAuth `client_id` (RFC 6749 §2.2): unreserved URL characters only.
    ClientId
);
string_id!(
    /// A user's id within one tenant; it is the `sub` claim (OIDC Core §2).
    UserId
);
string_id!(
    /// A login session's public id; it is the `sid` claim. Never the cookie secret.
    SessionId
);
string_id!(
    /// One authorization grant: the code and every refresh token rotated from it
    /// share this id, so a reuse can revoke them together (RFC 6749 §4.1.2, §10.4).
    GrantId
);
