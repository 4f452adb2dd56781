//! Size bounds on dynamic registration requests (RFC 7591 §2): whoever can
//! reach `/register` chooses every byte stored for the client, so each
//! field, each list and the request as a whole have a maximum far above
//! what real clients send. Over a bound, the request is refused with
//! `invalid_client_metadata` naming the field (RFC 7591 §3.2.2).
//!
//! | what | bound |
//! |---|---|
//! | the request body | [`MAX_REQUEST_BYTES`] bytes |
//! | `client_name`, `client_name#lang` | [`MAX_CLIENT_NAME_CHARS`](display_name::MAX_CLIENT_NAME_CHARS) characters, no control, invisible or bidi characters |
//! | a URI (`*_uri`, an entry of `*_uris`) | [`MAX_URI_BYTES`] bytes |
//! | a list (`redirect_uris`, `post_logout_redirect_uris`, `request_uris`, `grant_types`, …) | [`MAX_LIST_ENTRIES`] entries |
//! | `contacts` | [`MAX_CONTACTS`] entries of at most [`MAX_CONTACT_BYTES`] bytes |
//! | `jwks` | [`MAX_JWKS_BYTES`] bytes as JSON |
//! | any other string, or an entry of another list | [`MAX_STRING_BYTES`] bytes |
//! | any other object | [`MAX_STRING_BYTES`] bytes as JSON |

use super::display_name;
use serde_json::{Map, Value};

/// The largest registration request body, bytes.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;
/// The longest URI, bytes (browsers and servers commonly handle 2,000).
pub const MAX_URI_BYTES: usize = 2000;
/// The most entries in any list.
pub const MAX_LIST_ENTRIES: usize = 20;
/// The most `contacts`.
pub const MAX_CONTACTS: usize = 10;
/// The longest contact, bytes (an email address is at most 254; RFC 5321 §4.5.3.1).
pub const MAX_CONTACT_BYTES: usize = 254;
/// The largest `jwks` document, bytes (ten 4096-bit RSA keys fit).
pub const MAX_JWKS_BYTES: usize = 32 * 1024;
/// The longest other string (`scope`, `software_id`, algorithm names, …), bytes.
pub const MAX_STRING_BYTES: usize = 1000;

fn is_uri_field(name: &str) -> bool {
    let base = name.split('#').next().unwrap_or(name);
    base.ends_with("_uri") || base.ends_with("_uris")
}

fn string_bound(name: &str) -> usize {
    if is_uri_field(name) {
        MAX_URI_BYTES
    } else if name == "contacts" {
        MAX_CONTACT_BYTES
    } else {
        MAX_STRING_BYTES
    }
}

fn check_string(name: &str, s: &str) -> Result<(), String> {
    let bound = string_bound(name);
    if s.len() > bound {
        let what = if is_uri_field(name) { "URI" } else { "value" };
        return Err(format!("{name}: each {what} must be at most {bound} bytes"));
    }
    Ok(())
}

/// Checks a registration request's size, before it is parsed.
pub fn check_size(body_len: usize) -> Result<(), String> {
    if body_len > MAX_REQUEST_BYTES {
        return Err(format!(
            "the registration request must be at most {MAX_REQUEST_BYTES} bytes"
        ));
    }
    Ok(())
}

/// Checks each field of a registration request against the bounds above.
pub fn check(doc: &Map<String, Value>) -> Result<(), String> {
    for (name, value) in doc {
        if name == "client_name" || name.starts_with("client_name#") {
            if let Value::String(s) = value {
                display_name::check(name, s)?;
            }
            continue;
        }
        match value {
            Value::String(s) => check_string(name, s)?,
            Value::Array(items) => {
                let most = if name == "contacts" {
                    MAX_CONTACTS
                } else {
                    MAX_LIST_ENTRIES
                };
                if items.len() > most {
                    return Err(format!("{name} must have at most {most} entries"));
                }
                for item in items {
                    match item {
                        Value::String(s) => check_string(name, s)?,
                        other => {
                            if other.to_string().len() > MAX_STRING_BYTES {
                                return Err(format!(
                                    "{name}: each entry must be at most {MAX_STRING_BYTES} bytes"
                                ));
                            }
                        }
                    }
                }
            }
            Value::Object(_) => {
                let most = if name == "jwks" {
                    MAX_JWKS_BYTES
                } else {
                    MAX_STRING_BYTES
                };
                if value.to_string().len() > most {
                    return Err(format!("{name} must be at most {most} bytes as JSON"));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check_doc(doc: Value) -> Result<(), String> {
        match doc {
            Value::Object(map) => check(&map),
            _ => Ok(()),
        }
    }

    #[test]
    fn names_the_field_over_its_bound() {
        assert!(
            check_doc(json!({"client_name": "App", "redirect_uris": ["https://a/cb"]})).is_ok()
        );
        let e = |doc| check_doc(doc).err().unwrap_or_default();
        assert!(
            e(json!({"client_name": "n".repeat(60_000)}))
                .starts_with("client_name must be at most 100")
        );
        assert!(e(json!({"client_name#fr": "a\u{202E}b"})).starts_with("client_name#fr must not"));
        assert!(
            e(json!({"logo_uri": format!("https://a/{}", "x".repeat(2000))}))
                .starts_with("logo_uri:")
        );
        let many: Vec<String> = (0..21).map(|i| format!("https://a/{i}")).collect();
        assert!(
            e(json!({"redirect_uris": many})).starts_with("redirect_uris must have at most 20")
        );
        let contacts: Vec<String> = (0..11).map(|i| format!("{i}@a.example")).collect();
        assert!(e(json!({"contacts": contacts})).starts_with("contacts must have at most 10"));
        assert!(e(json!({"scope": "s ".repeat(600)})).starts_with("scope:"));
        assert!(
            e(json!({"software_statement_extra": {"k": "v".repeat(2000)}}))
                .contains("at most 1000 bytes as JSON")
        );
        assert!(check_size(MAX_REQUEST_BYTES).is_ok());
        assert!(check_size(MAX_REQUEST_BYTES + 1).is_err());
    }
}
