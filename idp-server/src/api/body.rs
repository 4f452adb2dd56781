//! Request bodies: the media type (415), JSON syntax (400), and a reader
//! that takes each field by name and type and collects every invalid or
//! unknown field into one 422, so a caller fixes them all in one round.
//!
//! PATCH bodies are JSON merge patches (RFC 7396): a member present sets
//! the field, `null` removes an optional one, a member absent leaves it.

use super::problem::Problem;
use bytes::Bytes;
use http::{Request, header};
use idp_core::admin::FieldError;
use serde_json::{Map, Value};

/// Which media types a body may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyKind {
    /// `application/json`.
    Json,
    /// `application/json` or `application/merge-patch+json` (RFC 7396 §4).
    MergePatch,
}

/// The body as a JSON object, checked for its media type and syntax.
pub fn object(req: &Request<Bytes>, kind: BodyKind) -> Result<Fields, Problem> {
    let accepted = match kind {
        BodyKind::Json => "application/json",
        BodyKind::MergePatch => "application/merge-patch+json or application/json",
    };
    let media = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let ok = match media.as_deref() {
        Some("application/json") => true,
        Some("application/merge-patch+json") => kind == BodyKind::MergePatch,
        _ => false,
    };
    if !ok {
        return Err(Problem::unsupported_media_type(accepted));
    }
    let value: Value = serde_json::from_slice(req.body())
        .map_err(|e| Problem::malformed(format!("the body is not valid JSON: {e}")))?;
    match value {
        Value::Object(map) => Ok(Fields::new(map)),
        _ => Err(Problem::malformed("the body must be a JSON object")),
    }
}

/// A JSON object read field by field; see the module documentation.
#[derive(Debug)]
pub struct Fields {
    map: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields {
    /// Reads `map`.
    pub fn new(map: Map<String, Value>) -> Self {
        Self {
            map,
            errors: Vec::new(),
        }
    }

    fn wrong(&mut self, field: &str, reason: &str) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            reason: reason.to_owned(),
        });
    }

    /// A required string.
    pub fn string(&mut self, field: &str) -> String {
        match self.map.remove(field) {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) => {
                self.wrong(field, "is required");
                String::new()
            }
            Some(_) => {
                self.wrong(field, "must be a string");
                String::new()
            }
        }
    }

    /// An optional string: `None` if absent (or `null`).
    pub fn opt_string(&mut self, field: &str) -> Option<String> {
        self.nullable_string(field).flatten()
    }

    /// A merge-patch string: `None` if absent, `Some(None)` if `null`.
    pub fn nullable_string(&mut self, field: &str) -> Option<Option<String>> {
        match self.map.remove(field) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s)),
            Some(_) => {
                self.wrong(field, "must be a string or null");
                None
            }
        }
    }

    /// A merge-patch count (a limit): `None` if absent, `Some(None)` if
    /// `null`, else a non-negative integer.
    pub fn nullable_count(&mut self, field: &str) -> Option<Option<u64>> {
        match self.map.remove(field) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::Number(n)) if n.as_u64().is_some() => Some(n.as_u64()),
            Some(_) => {
                self.wrong(field, "must be a non-negative integer or null");
                None
            }
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&mut self, field: &str) -> Option<bool> {
        match self.map.remove(field) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(b),
            Some(_) => {
                self.wrong(field, "must be true or false");
                None
            }
        }
    }

    /// An optional array of strings.
    pub fn opt_strings(&mut self, field: &str) -> Option<Vec<String>> {
        match self.map.remove(field) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => {
                let strings: Option<Vec<String>> = items
                    .into_iter()
                    .map(|v| match v {
                        Value::String(s) => Some(s),
                        _ => None,
                    })
                    .collect();
                if strings.is_none() {
                    self.wrong(field, "must be an array of strings");
                }
                strings
            }
            Some(_) => {
                self.wrong(field, "must be an array of strings");
                None
            }
        }
    }

    /// An optional JSON object, as text (a JWK Set given inline).
    pub fn opt_object_text(&mut self, field: &str) -> Option<String> {
        match self.map.remove(field) {
            None | Some(Value::Null) => None,
            Some(v @ Value::Object(_)) => Some(v.to_string()),
            Some(_) => {
                self.wrong(field, "must be a JSON object");
                None
            }
        }
    }

    /// Records an invalid value found while interpreting a field.
    pub fn invalid(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.to_owned(),
            reason: reason.into(),
        });
    }

    /// Done reading: every field not taken is unknown; `Err` (422) if any
    /// field was wrong or unknown.
    pub fn finish(mut self) -> Result<(), Problem> {
        let unknown: Vec<String> = self.map.keys().cloned().collect();
        for field in unknown {
            self.wrong(&field, "is not a field of this object");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid(self.errors))
        }
    }
}

/// An empty body, for operations that take none (a `POST` that rotates):
/// anything else is refused, so a caller that meant to send fields learns
/// they were not read.
pub fn empty(req: &Request<Bytes>) -> Result<(), Problem> {
    let body = req.body();
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) if map.is_empty() => Ok(()),
        Ok(_) => Err(Problem::invalid(vec![FieldError {
            field: "body".into(),
            reason: "this operation takes no fields".into(),
        }])),
        Err(e) => Err(Problem::malformed(format!(
            "the body is not valid JSON: {e}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Fields {
        match v {
            Value::Object(m) => Fields::new(m),
            _ => Fields::new(Map::new()),
        }
    }

    #[test]
    fn every_wrong_and_unknown_field_is_reported_at_once() {
        let mut f = fields(json!({"name": 3, "redirect_uris": ["a", 1], "extra": true}));
        let _ = f.string("name");
        let _ = f.opt_strings("redirect_uris");
        let _ = f.string("slug");
        let Err(p) = f.finish() else {
            panic!("accepted");
        };
        assert_eq!(p.status(), http::StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = serde_json::from_slice(p.into_response().body()).unwrap_or_default();
        let named: Vec<&str> = body["errors"]
            .as_array()
            .map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(named, ["name", "redirect_uris", "slug", "extra"]);
    }

    #[test]
    fn merge_patch_null_removes() {
        let mut f = fields(json!({"name": null}));
        assert_eq!(f.nullable_string("name"), Some(None));
        assert_eq!(f.nullable_string("absent"), None);
        assert!(f.finish().is_ok());
    }
}
