//! The document's shared components: the API-key security scheme and one
//! response per problem status (RFC 9457, `application/problem+json`),
//! which every operation refers to.

use super::examples;
use serde_json::json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Components, ContentBuilder, Header, HeaderBuilder, KnownFormat, ObjectBuilder, Ref, RefOr,
    ResponseBuilder, Schema, SchemaFormat, Type,
};

/// The security scheme's name.
pub const API_KEY: &str = "apiKey";

/// The name of the shared response of a problem status.
pub(super) fn problem_name(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        409 => "Conflict",
        412 => "PreconditionFailed",
        413 => "ContentTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableContent",
        429 => "TooManyRequests",
        _ => "ServiceUnavailable",
    }
}

/// The security scheme and a response per problem status.
pub fn add_shared(components: &mut Components) {
    let bearer = HttpBuilder::new()
        .scheme(HttpAuthScheme::Bearer)
        .bearer_format("Biscuit or JWT")
        .description(Some(
            "An API key (`idp-server api-key create`): a Biscuit token, possibly \
             attenuated offline; or an operator's access token issued by the \
             `platform` tenant for the audience `{BASE_URL}/api/v1` (RFC 8707 \
             `resource`), authorized by the operator's roles.",
        ))
        .build();
    components
        .security_schemes
        .insert(API_KEY.into(), RefOr::T(SecurityScheme::Http(bearer)));
    for status in [400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503] {
        let mut res = ResponseBuilder::new()
            .description(examples::problem_title(status))
            .content(
                "application/problem+json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .example(Some(examples::problem(status)))
                    .build(),
            )
            .header("X-Request-Id", request_id_header());
        match status {
            401 => {
                res = res.header(
                    "WWW-Authenticate",
                    header(
                        "The Bearer challenge (RFC 6750 §3)",
                        Some(json!(
                            r#"Bearer realm="idp admin API", error="invalid_token", error_description="revoked""#
                        )),
                    ),
                );
            }
            429 | 503 => {
                res = res.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(object_schema(Type::Integer, None)))
                        .description(Some("Seconds to wait (RFC 9110 §10.2.3)"))
                        .example(Some(json!(1)))
                        .build(),
                );
            }
            _ => {}
        }
        components
            .responses
            .insert(problem_name(status).into(), RefOr::T(res.build()));
    }
}

pub(super) fn object_schema(kind: Type, format: Option<KnownFormat>) -> RefOr<Schema> {
    RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(kind)
            .format(format.map(SchemaFormat::KnownFormat))
            .build(),
    ))
}

pub(super) fn header(description: &str, example: Option<serde_json::Value>) -> Header {
    HeaderBuilder::new()
        .schema(Some(object_schema(Type::String, None)))
        .description(Some(description))
        .example(example)
        .build()
}

pub(super) fn request_id_header() -> Header {
    header(
        "The request's id (the caller's `X-Request-Id` if it was a short token), \
         also in the audit log",
        None,
    )
}
