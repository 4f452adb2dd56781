//! The console's calls to the admin API, made in process for the signed-in
//! operator ([`crate::api::ConsoleOperator`]): every rule of the API (the
//! role policy, validation, tier limits, the audit log with the operator
//! as actor) applies to the console exactly as to any other client, and
//! the console decides nothing of its own.

use super::Console;
use crate::api::ConsoleOperator;
use crate::backend::Backend;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use serde_json::Value;

/// An answer of the admin API that is not a success: its status, the
/// problem's `detail`, and the invalid fields of a 422.
#[derive(Clone, Debug)]
pub(crate) struct Refused {
    /// The HTTP status (403, 404, 409, 422, …).
    pub(crate) status: StatusCode,
    /// The problem's `detail`, in words for the person.
    pub(crate) detail: String,
    /// `(field, reason)` for each invalid field of a 422.
    pub(crate) fields: Vec<(String, String)>,
}

impl Refused {
    /// The console's own 422 for a form field left empty (`reason` shown
    /// beside `field`), before anything is sent to the API.
    pub(crate) fn invalid(field: &str, reason: &str) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: reason.to_owned(),
            fields: vec![(field.to_owned(), reason.to_owned())],
        }
    }

    /// The reason given for `field`, if it was named.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, r)| r.as_str())
    }

    /// Every reason that names none of `shown` (shown beside their fields),
    /// with the detail when no field is named: for the top of a form.
    pub(crate) fn summary(&self, shown: &[&str]) -> String {
        let others: Vec<String> = self
            .fields
            .iter()
            .filter(|(f, _)| !shown.contains(&f.as_str()))
            .map(|(f, r)| format!("{f}: {r}"))
            .collect();
        if self.fields.is_empty() || !others.is_empty() {
            let mut s = self.detail.clone();
            for o in others {
                s.push_str("; ");
                s.push_str(&o);
            }
            s
        } else {
            "Some fields need attention.".to_owned()
        }
    }

    fn from_problem(status: StatusCode, body: &Value) -> Self {
        let fields = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        (
                            e["field"].as_str().unwrap_or_default().to_owned(),
                            e["reason"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let detail = body["detail"]
            .as_str()
            .or_else(|| body["title"].as_str())
            .unwrap_or("the request was refused")
            .to_owned();
        Self {
            status,
            detail,
            fields,
        }
    }
}

impl<S: Backend> Console<'_, S> {
    /// `GET {path}` of the admin API (`path` from `/api/v1/…`, query
    /// included): the JSON body, or why not.
    pub(crate) async fn get(&self, path: &str) -> Result<Value, Refused> {
        self.call(Method::GET, path, None).await
    }

    /// A write (`POST`, `PATCH`, `PUT`, `DELETE`) with an optional JSON
    /// body: the answer's JSON (`null` for 204), or why not.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Refused> {
        self.call(method, path, body).await
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Refused> {
        let uri = format!("{}{path}", self.app.base_path);
        let body = body.map_or_else(Bytes::new, |b| Bytes::from(b.to_string()));
        let mut builder = Request::builder().method(method).uri(&uri);
        if !body.is_empty() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        let Ok(mut req) = builder.body(body) else {
            return Err(Refused {
                status: StatusCode::BAD_REQUEST,
                detail: "that address is not valid".to_owned(),
                fields: Vec::new(),
            });
        };
        req.extensions_mut()
            .insert(ConsoleOperator(self.operator.clone()));
        if let Some(addr) = self.address {
            req.extensions_mut().insert(addr);
        }
        let path = path.split('?').next().unwrap_or_default();
        let write = req.method() != Method::GET;
        let res = crate::api::serve(self.app, req, path).await;
        let status = res.status();
        // A change in an organisation may change what it counts.
        if write
            && status.is_success()
            && let Some(slug) = path
                .strip_prefix("/api/v1/tenants/")
                .and_then(|rest| rest.split('/').next())
        {
            self.app.console_usage.forget(slug);
        }
        let value = if res.body().is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(res.body()).unwrap_or(Value::Null)
        };
        if status.is_success() {
            Ok(value)
        } else {
            Err(Refused::from_problem(status, &value))
        }
    }
}

/// `s` percent-encoded for a path segment or a query value.
pub(crate) fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `s` as one path segment of an API or console path: the characters the
/// API's path parameters may hold (`A-Z a-z 0-9 - . _ ~ :`, so a role
/// named `billing:admin` stays as it is) unchanged, any other
/// percent-encoded (and then naming nothing the API holds).
pub(crate) fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_keep_what_names_can_hold() {
        assert_eq!(segment("billing:admin.v2_~-"), "billing:admin.v2_~-");
        assert_eq!(segment("a/b c%"), "a%2Fb%20c%25");
        assert_eq!(segment("é"), "%C3%A9");
    }
}
