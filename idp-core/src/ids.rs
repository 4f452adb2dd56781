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

            /// A fresh random identifier (128 bits, base64url) that starts
            /// with a letter or digit: one starting with '-' reads as a flag
            /// where an operator pastes it on a command line (about one draw
            /// in 64 is drawn again, which costs 0.05 bits; ids are names,
            /// not secrets).
            pub fn generate() -> Self {
                loop {
                    let id = crate::crypto::random::token(16);
                    if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                        return Self(id);
                    }
                }
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
    /// An upstream identity provider of one tenant (GitHub, Google,
    /// Microsoft or any OpenID Provider); it never changes, since the
    /// callback URL registered at the upstream names it.
    UpstreamId
);
string_id!(
    /// One authorization grant: the code and every refresh token rotated from it
    /// share this id, so a reuse can revoke them together (RFC 6749 §4.1.2, §10.4).
    GrantId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_never_read_as_command_line_flags() {
        for _ in 0..4096 {
            let id = SessionId::generate();
            assert_eq!(id.as_str().len(), 22, "{id}");
            assert!(
                id.as_str().starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{id}"
            );
        }
    }
}
