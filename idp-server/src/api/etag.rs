//! Optimistic concurrency (RFC 9110 §8.8.3, §13.1.1): every object carries
//! an `ETag`, a hash of its JSON representation; an update or delete with
//! `If-Match` runs only if the object is still at that version, else 412.
//! Comparison is strong: a weak tag (`W/"…"`) never matches.

use super::problem::Problem;
use bytes::Bytes;
use http::{Request, header};
use serde_json::Value;

/// The entity tag of a representation.
pub fn of(representation: &Value) -> String {
    let digest = aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        representation.to_string().as_bytes(),
    );
    let hex: String = digest.as_ref()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("\"{hex}\"")
}

/// Whether the request may go on against the object whose current tag is
/// `current`: yes without `If-Match`, with `*`, or with a list naming it.
pub fn check_if_match(req: &Request<Bytes>, current: &str) -> Result<(), Problem> {
    let mut given = false;
    for value in req.headers().get_all(header::IF_MATCH) {
        given = true;
        let Ok(text) = value.to_str() else {
            continue;
        };
        if text
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == current)
        {
            return Ok(());
        }
    }
    if given {
        Err(Problem::precondition_failed())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_if_match(values: &[&str]) -> Request<Bytes> {
        let mut b = Request::builder();
        for v in values {
            b = b.header(header::IF_MATCH, *v);
        }
        b.body(Bytes::new()).unwrap_or_default()
    }

    #[test]
    fn if_match_is_a_strong_comparison() {
        let tag = of(&serde_json::json!({"name": "a"}));
        assert_ne!(tag, of(&serde_json::json!({"name": "b"})));
        assert!(check_if_match(&with_if_match(&[]), &tag).is_ok());
        assert!(check_if_match(&with_if_match(&["*"]), &tag).is_ok());
        assert!(check_if_match(&with_if_match(&[&format!("\"x\", {tag}")]), &tag).is_ok());
        assert!(check_if_match(&with_if_match(&["\"other\""]), &tag).is_err());
        assert!(check_if_match(&with_if_match(&[&format!("W/{tag}")]), &tag).is_err());
    }
}
