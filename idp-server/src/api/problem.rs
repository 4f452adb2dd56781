//! RFC 9457 problem details: every error of the admin API, and the one
//! place [`AdminError`] becomes a status.
//!
//! `type` is a URN naming the class (`urn:idp:problem:not-found`); `title`
//! is the class in words, `detail` this occurrence; a 422 lists each invalid
//! field in `errors` (`{"field", "reason"}`).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use idp_core::AdminError;
use idp_core::admin::FieldError;
use serde_json::json;

/// One problem, ready to be sent.
#[derive(Debug)]
pub struct Problem {
    status: StatusCode,
    kind: &'static str,
    title: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    /// Extension members (RFC 9457 §3.2), e.g. the limit a create passed
    /// (boxed: most problems have none, and every `Result` carries one).
    members: Option<Box<serde_json::Map<String, serde_json::Value>>>,
    headers: Vec<(header::HeaderName, String)>,
}

impl Problem {
    fn new(
        status: StatusCode,
        kind: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            kind,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            members: None,
            headers: Vec::new(),
        }
    }

    /// 400: the body is not JSON, or not the JSON this operation takes.
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "malformed-request",
            "Malformed request",
            detail,
        )
    }

    /// 401 with a `WWW-Authenticate` challenge (RFC 6750 §3): `error` is
    /// `invalid_token` when a credential was given and refused.
    pub fn unauthenticated(detail: &str, given: bool) -> Self {
        let challenge = if given {
            format!(
                r#"Bearer realm="idp admin API", error="invalid_token", error_description="{detail}""#
            )
        } else {
            r#"Bearer realm="idp admin API""#.to_owned()
        };
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Authentication required",
            detail,
        )
        .with_header(header::WWW_AUTHENTICATE, challenge)
    }

    /// 403: the credential may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    /// 404: nothing here, or nothing the credential may see.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    /// 405 with `Allow`.
    pub fn method_not_allowed(allowed: &[http::Method]) -> Self {
        let allow: Vec<&str> = allowed.iter().map(http::Method::as_str).collect();
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            "Method not allowed",
            format!("this resource allows {}", allow.join(", ")),
        )
        .with_header(header::ALLOW, allow.join(", "))
    }

    /// 409: a duplicate, or a concurrent request.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "Conflict", detail)
    }

    /// 409 `limit-exceeded`: the create would pass a limit of the
    /// tenant's tier; the members `limit`, `allowed` and `usage` say which,
    /// what the tier allows and how many there are.
    pub fn limit_exceeded(limit: idp_core::tier::Limit, allowed: u64, usage: u64) -> Self {
        let mut p = Self::new(
            StatusCode::CONFLICT,
            "limit-exceeded",
            "Limit exceeded",
            format!("the tenant's tier allows {allowed} {limit}; it has {usage}"),
        );
        let mut members = serde_json::Map::new();
        members.insert("limit".into(), json!(limit.as_str()));
        members.insert("allowed".into(), json!(allowed));
        members.insert("usage".into(), json!(usage));
        p.members = Some(Box::new(members));
        p
    }

    /// 412: `If-Match` names another version.
    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "Precondition failed",
            "the object changed since the version If-Match names; read it again",
        )
    }

    /// 413: the body is too large.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Payload too large",
            format!("request bodies are limited to {limit} bytes"),
        )
    }

    /// 415: the body is not of a media type this operation reads.
    pub fn unsupported_media_type(accepted: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            format!("send the body as {accepted}"),
        )
    }

    /// 422: one or more fields are invalid.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.reason))
            .collect::<Vec<_>>()
            .join("; ");
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "Invalid fields",
            detail,
        );
        p.errors = errors;
        p
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after: u64) -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            "this API key sent too many requests; retry later",
        )
        .with_header(header::RETRY_AFTER, retry_after.to_string())
    }

    /// 503: storage cannot be reached for now.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "storage is unavailable; retry shortly",
        )
        .with_header(header::RETRY_AFTER, "1".to_owned())
    }

    /// 500: a fault the operator's log explains.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "an internal error occurred; the server log has the cause",
        )
    }

    fn with_header(mut self, name: header::HeaderName, value: String) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The status (what unit tests compare).
    #[cfg(test)]
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response: `application/problem+json`.
    pub fn into_response(self) -> Response<Bytes> {
        let mut body = json!({
            "type": format!("urn:idp:problem:{}", self.kind),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        for (name, value) in self.members.map(|m| *m).unwrap_or_default() {
            body[name] = value;
        }
        if !self.errors.is_empty() {
            body["errors"] = self
                .errors
                .iter()
                .map(|e| json!({"field": e.field, "reason": e.reason}))
                .collect();
        }
        let mut res = Response::new(Bytes::from(body.to_string()));
        *res.status_mut() = self.status;
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_str(&value) {
                h.insert(name, v);
            }
        }
        res
    }
}

impl From<AdminError> for Problem {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::NotFound { .. } => Self::not_found(e.to_string()),
            AdminError::Conflict { .. } | AdminError::WrongState { .. } => {
                Self::conflict(e.to_string())
            }
            AdminError::LimitExceeded {
                limit,
                allowed,
                usage,
            } => Self::limit_exceeded(limit, allowed, usage),
            AdminError::Invalid(errors) => Self::invalid(errors),
            AdminError::Forbidden { reason } => Self::forbidden(reason),
            AdminError::Unavailable(cause) => {
                tracing::warn!(%cause, "admin API: storage unavailable");
                Self::unavailable()
            }
            AdminError::Internal(cause) => {
                tracing::error!(%cause, "admin API: internal error");
                Self::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_validation_problem_names_each_field() -> Result<(), Box<dyn std::error::Error>> {
        let p: Problem = AdminError::Invalid(vec![
            FieldError {
                field: "name".into(),
                reason: "must not be empty".into(),
            },
            FieldError {
                field: "redirect_uris".into(),
                reason: "must be absolute".into(),
            },
        ])
        .into();
        let res = p.into_response();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body: serde_json::Value = serde_json::from_slice(res.body())?;
        assert_eq!(body["status"], 422);
        assert_eq!(body["errors"][1]["field"], "redirect_uris");
        assert_eq!(body["type"], "urn:idp:problem:validation");
        Ok(())
    }

    #[test]
    fn a_challenge_comes_with_401() {
        let res = Problem::unauthenticated("revoked", true).into_response();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let challenge = res.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap_or("");
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{challenge}"
        );
    }
}
