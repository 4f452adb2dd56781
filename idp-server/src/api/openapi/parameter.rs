//! The parameters of operations: path segments, query parameters and
//! request headers.

use super::components::object_schema;
use serde_json::json;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::AnyOfBuilder;
use utoipa::openapi::{KnownFormat, ObjectBuilder, RefOr, Required, Schema, Type};

/// A query parameter.
#[derive(Clone, Copy)]
pub(super) enum Query {
    /// `limit`: a page's size.
    Limit,
    /// `cursor`: where the page starts.
    Cursor,
    /// `email`: the user with this email.
    Email,
    /// `tenant`: audit events of this tenant.
    Tenant,
    /// `actor`: audit events by this actor.
    Actor,
    /// `action`: audit events of this action.
    Action,
    /// `since`: audit events from this time.
    Since,
    /// `until`: audit events before this time.
    Until,
    /// `immediately`: new signing keys sign at once.
    Immediately,
    /// `from`: the first day of an analytics range.
    From,
    /// `to`: the last day of an analytics range.
    To,
    /// `format`: an export's format.
    Format,
}

/// A path parameter: one segment of unreserved characters (the route
/// table matches nothing else), with the rule of what it names where
/// there is one (tenant slugs, role names), so generated requests reach
/// the handlers.
pub(super) fn path_parameter(name: &str) -> Parameter {
    const UNRESERVED: &str = "^[A-Za-z0-9._~:-]+$";
    let (description, example, pattern) = match name {
        "slug" => (
            "The tenant's slug",
            "acme",
            "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        ),
        "client_id" => ("The client's `client_id`", "c_5mQz2kq8Jr1", UNRESERVED),
        "id" => ("The user's id", "u_8c4f2a9b1d3e", UNRESERVED),
        "tier" => ("The tier's name", "free", "^[a-z0-9][a-z0-9_-]{0,63}$"),
        "upstream_id" => ("The upstream's id", "Jb6y2kQw9TzX1mLp4RvS8A", UNRESERVED),
        "subject" => (
            "The upstream's key for the person (the `subject` of `GET .../identities`), percent-encoded",
            "1234567",
            "^([A-Za-z0-9._~:-]|%[0-9A-Fa-f]{2})+$",
        ),
        "sid" => (
            "The session's id (the `id` of `GET .../sessions`)",
            "Yq3kz8Vn2LmRx7Tb4PwQ9a",
            UNRESERVED,
        ),
        _ => (
            "The role's name",
            "billing-admin",
            "^[A-Za-z0-9_.:-]{1,64}$",
        ),
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .build(),
        ))))
        .example(Some(json!(example)))
        .build()
}

pub(super) fn query_parameter(q: Query) -> Parameter {
    let string = || ObjectBuilder::new().schema_type(Type::String).build();
    let date = || {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                KnownFormat::Date,
            )))
            .build()
    };
    let (name, description, schema, example) = match q {
        Query::Limit => (
            "limit",
            "The page's size",
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(200))
                .default(Some(json!(50)))
                .build(),
            json!(50),
        ),
        Query::Cursor => (
            "cursor",
            "The `next_cursor` of the previous page",
            string(),
            json!("dGVuYW50OmFjbWU"),
        ),
        Query::Email => (
            "email",
            "Only the user with this email (canonical form)",
            string(),
            json!("ada@example.com"),
        ),
        Query::Tenant => (
            "tenant",
            "Only events of this tenant (slug)",
            string(),
            json!("acme"),
        ),
        Query::Actor => (
            "actor",
            "Only events by this actor (id)",
            string(),
            json!("k_2b7e151628ae"),
        ),
        Query::Action => (
            "action",
            "Only events of this action",
            string(),
            json!("client.create"),
        ),
        Query::Since => {
            return time_parameter(
                "since",
                "Only events at or after this time: RFC 3339, or Unix seconds",
                "2026-01-01T00:00:00Z",
            );
        }
        Query::Until => {
            return time_parameter(
                "until",
                "Only events before this time: RFC 3339, or Unix seconds",
                "2026-02-01T00:00:00Z",
            );
        }
        Query::Format => (
            "format",
            "`jsonl` (JSON Lines, the default) or `csv` (RFC 4180, with a header row)",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["jsonl", "csv"]))
                .default(Some(json!("jsonl")))
                .build(),
            json!("csv"),
        ),
        Query::Immediately => (
            "immediately",
            "The new keys sign at once (a compromised key) instead of after the \
             publication delay",
            ObjectBuilder::new().schema_type(Type::Boolean).build(),
            json!(false),
        ),
        Query::From => (
            "from",
            "The first day (UTC, included); default: 29 days before `to`. \
             At most 366 days from `from` to `to`",
            date(),
            json!("2026-11-06"),
        ),
        Query::To => (
            "to",
            "The last day (UTC, included); default: today",
            date(),
            json!("2026-12-05"),
        ),
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(RefOr::T(Schema::Object(schema))))
        .example(Some(example))
        .build()
}

/// A query parameter that is a time: RFC 3339 or Unix seconds.
fn time_parameter(name: &str, description: &str, example: &str) -> Parameter {
    let time = AnyOfBuilder::new()
        .item(object_schema(Type::String, Some(KnownFormat::DateTime)))
        .item(RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some("^-?[0-9]{1,18}$"))
                .build(),
        )))
        .build();
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(RefOr::T(Schema::AnyOf(time))))
        .example(Some(json!(example)))
        .build()
}

pub(super) fn header_parameter(
    name: &str,
    description: &str,
    example: Option<serde_json::Value>,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(object_schema(Type::String, None)))
        .example(example)
        .build()
}
