//! One operation of the document, described by what its handler does:
//! the body it reads ([`super::super::body`]), the query parameters it
//! takes ([`super::super::query`]), its success, and so the problems it
//! can answer with (see [`Describe::errors`]).

use super::components::{API_KEY, header, object_schema, problem_name, request_id_header};
use super::examples;
use super::parameter::{Query, header_parameter, path_parameter, query_parameter};
use serde_json::json;
use std::collections::BTreeSet;
use utoipa::openapi::path::{Operation, OperationBuilder, Parameter};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::{
    ContentBuilder, HttpMethod, ObjectBuilder, Ref, RefOr, Required, Response, ResponseBuilder,
    Schema, SecurityRequirement, Type,
};

/// A request body's kind.
pub enum Body {
    /// None is read.
    None,
    /// Nothing, or `{}` (`body::empty`).
    Empty,
    /// `application/json`, this schema.
    Json(&'static str),
    /// `application/merge-patch+json` or `application/json` (RFC 7396), this schema.
    MergePatch(&'static str),
}

/// What an operation answers when it succeeds.
enum Success {
    /// 200 with this schema; `etag`: a single object, with its `ETag`.
    Ok { schema: &'static str, etag: bool },
    /// 201 with this schema and its `ETag`; `Idempotency-Key` applies.
    Created(&'static str),
    /// 201 if new, 200 if it already was; both with this schema and `ETag`.
    Assigned(&'static str),
    /// 204.
    NoContent,
    /// 200: the OpenAPI document.
    Document,
    /// 200: an export, streamed (JSON Lines or CSV).
    Export,
}

/// An operation's description, built by chained calls.
pub struct Describe {
    id: &'static str,
    summary: &'static str,
    tag: &'static str,
    public: bool,
    body: Body,
    query: &'static [Query],
    if_match: bool,
    conflicts: bool,
    hides_tenants: bool,
    success: Success,
}

impl Describe {
    /// An authenticated operation that takes nothing and answers 204.
    pub fn new(id: &'static str, summary: &'static str, tag: &'static str) -> Self {
        Self {
            id,
            summary,
            tag,
            public: false,
            body: Body::None,
            query: &[],
            if_match: false,
            conflicts: false,
            hides_tenants: false,
            success: Success::NoContent,
        }
    }

    /// Served without credentials.
    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    /// Reads this body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Takes these query parameters (others are a 422).
    pub fn query(mut self, query: &'static [Query]) -> Self {
        self.query = query;
        self
    }

    /// Honours `If-Match` (412).
    pub fn if_match(mut self) -> Self {
        self.if_match = true;
        self
    }

    /// Can conflict with another object (409).
    pub fn conflicts(mut self) -> Self {
        self.conflicts = true;
        self
    }

    /// A `tenant` filter the key may not read is a 404.
    pub fn hides_tenants(mut self) -> Self {
        self.hides_tenants = true;
        self
    }

    /// 200 with `schema` (a list or a result, no `ETag`).
    pub fn ok(mut self, schema: &'static str) -> Self {
        self.success = Success::Ok {
            schema,
            etag: false,
        };
        self
    }

    /// 200 with a single object and its `ETag`.
    pub fn single(mut self, schema: &'static str) -> Self {
        self.success = Success::Ok { schema, etag: true };
        self
    }

    /// 201 with the new object; a duplicate is a 409.
    pub fn create(mut self, schema: &'static str) -> Self {
        self.success = Success::Created(schema);
        self.conflicts = true;
        self
    }

    /// 201 or 200 (an idempotent `PUT`).
    pub fn assign(mut self, schema: &'static str) -> Self {
        self.success = Success::Assigned(schema);
        self
    }

    /// 204.
    pub fn no_content(mut self) -> Self {
        self.success = Success::NoContent;
        self
    }

    /// 200 with an export streamed as JSON Lines or CSV.
    pub fn export(mut self) -> Self {
        self.success = Success::Export;
        self
    }

    /// The OpenAPI document itself.
    pub fn document(mut self) -> Self {
        self.success = Success::Document;
        self
    }

    /// The statuses of the problems this operation can answer with.
    fn errors(&self, path: &str) -> BTreeSet<u16> {
        let mut errors = BTreeSet::new();
        if !self.public {
            // No key, a refused key; a key that may not; per-key rate
            // limit; storage down.
            errors.extend([401, 403, 429, 503]);
        }
        if path.contains('{') || self.hides_tenants {
            errors.insert(404);
        }
        if self.conflicts {
            errors.insert(409);
        }
        if self.if_match {
            errors.insert(412);
        }
        match self.body {
            Body::None => {}
            Body::Empty => errors.extend([400, 413, 422]),
            Body::Json(_) | Body::MergePatch(_) => errors.extend([400, 413, 415, 422]),
        }
        if !self.query.is_empty() {
            errors.insert(422);
        }
        errors
    }

    /// The operation at `path` (a template of the route table).
    pub fn operation(&self, path: &str) -> Operation {
        let mut op = OperationBuilder::new()
            .operation_id(Some(self.id))
            .summary(Some(self.summary))
            .tag(self.tag)
            .parameters(Some(self.parameters(path)))
            .request_body(self.request_body());
        if !self.public {
            op = op.security(SecurityRequirement::new(API_KEY, Vec::<String>::new()));
        }
        op = match self.success {
            Success::Ok { schema, etag } => op.response("200", success(schema, etag, false)),
            Success::Created(schema) => op.response("201", success(schema, true, true)),
            Success::Assigned(schema) => op
                .response("200", success(schema, true, false))
                .response("201", success(schema, true, false)),
            Success::NoContent => op.response(
                "204",
                ResponseBuilder::new()
                    .description("Done")
                    .header("X-Request-Id", request_id_header())
                    .build(),
            ),
            Success::Export => op.response(
                "200",
                ResponseBuilder::new()
                    .description(
                        "The export, streamed (chunked): one JSON object per line, or \
                         CSV with a header row",
                    )
                    .content(
                        "application/x-ndjson",
                        ContentBuilder::new()
                            .schema(Some(object_schema(Type::String, None)))
                            .example(Some(json!(
                                "{\"id\":\"u_8c4f2a9b1d3e\",\"email\":\"ada@example.com\"}\n"
                            )))
                            .build(),
                    )
                    .content(
                        "text/csv",
                        ContentBuilder::new()
                            .schema(Some(object_schema(Type::String, None)))
                            .build(),
                    )
                    .header("X-Request-Id", request_id_header())
                    .build(),
            ),
            Success::Document => op.response(
                "200",
                ResponseBuilder::new()
                    .description("The OpenAPI 3.1 document")
                    .content(
                        "application/json",
                        ContentBuilder::new()
                            .schema(Some(object_schema(Type::Object, None)))
                            .build(),
                    )
                    .header("X-Request-Id", request_id_header())
                    .build(),
            ),
        };
        for status in self.errors(path) {
            op = op.response(
                status.to_string(),
                RefOr::Ref(Ref::from_response_name(problem_name(status))),
            );
        }
        op.build()
    }

    fn parameters(&self, path: &str) -> Vec<Parameter> {
        let mut params: Vec<Parameter> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(path_parameter)
            .collect();
        params.extend(self.query.iter().map(|q| query_parameter(*q)));
        if matches!(self.success, Success::Created(_)) {
            params.push(header_parameter(
                "Idempotency-Key",
                "Runs the create once: a retry with the same key and body replays \
                 the first response (with `Idempotent-Replayed: true`); with another \
                 body it is a 422, while the first still runs a 409. For example a \
                 UUID.",
                None,
            ));
        }
        if self.if_match {
            params.push(header_parameter(
                "If-Match",
                "Only if the object is still at this version (its `ETag`; RFC 9110 \
                 §13.1.1, strong comparison); else 412.",
                Some(json!("\"6f1ed002ab5595859014ebf0951522d9\"")),
            ));
        }
        params
    }

    fn request_body(&self) -> Option<RequestBody> {
        let (schema, patch) = match self.body {
            Body::None => return None,
            Body::Empty => {
                let empty = ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .max_properties(Some(0))
                    .build();
                let content = ContentBuilder::new()
                    .schema(Some(RefOr::T(Schema::Object(empty))))
                    .example(Some(json!({})))
                    .build();
                return Some(
                    RequestBodyBuilder::new()
                        .description(Some("None: this operation takes no fields"))
                        .required(Some(Required::False))
                        .content("application/json", content)
                        .build(),
                );
            }
            Body::Json(schema) => (schema, false),
            Body::MergePatch(schema) => (schema, true),
        };
        let content = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .example(Some(examples::request(schema)))
                .build()
        };
        let mut body = RequestBodyBuilder::new()
            .required(Some(Required::True))
            .content("application/json", content());
        if patch {
            body = body
                .description(Some(
                    "A JSON merge patch (RFC 7396): a member sets the field, `null` \
                     removes an optional one, a member absent leaves it.",
                ))
                .content("application/merge-patch+json", content());
        }
        Some(body.build())
    }
}

/// The success response with `schema`.
fn success(schema: &'static str, etag: bool, created: bool) -> Response {
    let mut res = ResponseBuilder::new()
        .description(if created { "Created" } else { "OK" })
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .example(Some(examples::response(schema)))
                .build(),
        )
        .header("X-Request-Id", request_id_header());
    if etag {
        res = res.header(
            "ETag",
            header(
                "The object's version, for `If-Match` (RFC 9110 §8.8.3)",
                None,
            ),
        );
    }
    if created {
        res = res.header(
            "Idempotent-Replayed",
            header(
                "`true` when this is the replay of an earlier request with the same \
                 `Idempotency-Key`",
                None,
            ),
        );
    }
    res.build()
}

/// The document's name of a method of the route table.
pub fn method(m: &http::Method) -> HttpMethod {
    match *m {
        http::Method::POST => HttpMethod::Post,
        http::Method::PUT => HttpMethod::Put,
        http::Method::PATCH => HttpMethod::Patch,
        http::Method::DELETE => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}
