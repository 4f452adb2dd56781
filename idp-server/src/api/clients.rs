//! `/api/v1/tenants/{slug}/clients[/{client_id}[/secret]]`.

use super::body::{self, BodyKind, Fields};
use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply, etag, page_json, representation};
use crate::backend::Backend;
use idp_core::NewClient;
use idp_core::admin::ClientUpdate;
use idp_core::jwks::SigningAlg;
use idp_core::store::{GrantType, SubjectType, TokenEndpointAuthMethod};
use serde_json::json;

/// `grant_types` read as the enum, each unknown name reported.
fn grant_types(f: &mut Fields) -> Option<Vec<GrantType>> {
    let names = f.opt_strings("grant_types")?;
    let mut types = Vec::with_capacity(names.len());
    for name in &names {
        match GrantType::parse(name) {
            Some(g) => types.push(g),
            None => f.invalid(
                "grant_types",
                format!("'{name}' is not a supported grant type"),
            ),
        }
    }
    Some(types)
}

/// A named value parsed by `parse`, or reported.
fn parsed<T>(f: &mut Fields, field: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
    let text = f.opt_string(field)?;
    let value = parse(&text);
    if value.is_none() {
        f.invalid(field, format!("'{text}' is not a supported value"));
    }
    value
}

/// `GET .../clients`.
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let page = q.page();
    q.finish()?;
    let page = c.admin.list_clients(c.slug(), &page).await?;
    let issuer = c.issuer();
    Ok(Reply::list(page_json(page, |cl| {
        representation::client(cl, &issuer)
    })))
}

/// `POST .../clients`: the new client, with `client_secret` once if it has one.
pub(super) async fn create<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::Json)?;
    let defaults = NewClient::new("", Vec::new());
    let name = f.string("name");
    let new = NewClient {
        redirect_uris: f.opt_strings("redirect_uris").unwrap_or_default(),
        public: f.opt_bool("public").unwrap_or(false),
        grant_types: grant_types(&mut f).unwrap_or_default(),
        require_pkce: f.opt_bool("require_pkce").unwrap_or(defaults.require_pkce),
        id_token_alg: parsed(&mut f, "id_token_signed_response_alg", SigningAlg::parse)
            .unwrap_or(defaults.id_token_alg),
        auth_method: parsed(
            &mut f,
            "token_endpoint_auth_method",
            TokenEndpointAuthMethod::parse,
        ),
        allowed_scopes: f.opt_strings("allowed_scopes").unwrap_or_default(),
        audiences: f.opt_strings("audiences").unwrap_or_default(),
        jwks: f.opt_object_text("jwks"),
        jwks_uri: f.opt_string("jwks_uri"),
        post_logout_redirect_uris: f
            .opt_strings("post_logout_redirect_uris")
            .unwrap_or_default(),
        frontchannel_logout_uri: f.opt_string("frontchannel_logout_uri"),
        backchannel_logout_uri: f.opt_string("backchannel_logout_uri"),
        require_pushed_authorization_requests: f
            .opt_bool("require_pushed_authorization_requests")
            .unwrap_or(false),
        subject_type: parsed(&mut f, "subject_type", SubjectType::parse)
            .unwrap_or(defaults.subject_type),
        sector_identifier_uri: f.opt_string("sector_identifier_uri"),
        allowed_origins: f.opt_strings("allowed_origins").unwrap_or_default(),
        name,
        ..defaults
    };
    f.finish()?;
    let created = c.admin.create_client(&c.ctx, c.slug(), new).await?;
    let mut body = representation::client(&created.client, &c.issuer());
    if let Some(secret) = created.secret {
        body["client_secret"] = json!(secret);
    }
    Ok(Reply::created(body))
}

/// `GET .../clients/{client_id}`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let cl = c.admin.get_client(c.slug(), client_id(c)).await?;
    Ok(Reply::ok(representation::client(&cl, &c.issuer())))
}

fn client_id<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.client_id.unwrap_or_default()
}

/// `PATCH .../clients/{client_id}` (merge patch).
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let update = ClientUpdate {
        name: f.opt_string("name"),
        redirect_uris: f.opt_strings("redirect_uris"),
        grant_types: grant_types(&mut f),
        post_logout_redirect_uris: f.opt_strings("post_logout_redirect_uris"),
        frontchannel_logout_uri: f.nullable_string("frontchannel_logout_uri"),
        backchannel_logout_uri: f.nullable_string("backchannel_logout_uri"),
        allowed_scopes: f.opt_strings("allowed_scopes"),
        audiences: f.opt_strings("audiences"),
        require_pushed_authorization_requests: f.opt_bool("require_pushed_authorization_requests"),
        allowed_origins: f.opt_strings("allowed_origins"),
    };
    f.finish()?;
    let issuer = c.issuer();
    let current = c.admin.get_client(c.slug(), client_id(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::client(&current, &issuer)))?;
    let cl = c
        .admin
        .update_client(&c.ctx, c.slug(), client_id(c), update)
        .await?;
    Ok(Reply::ok(representation::client(&cl, &issuer)))
}

/// `DELETE .../clients/{client_id}`.
pub(super) async fn delete<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let current = c.admin.get_client(c.slug(), client_id(c)).await?;
    etag::check_if_match(
        c.req,
        &etag::of(&representation::client(&current, &c.issuer())),
    )?;
    c.admin
        .delete_client(&c.ctx, c.slug(), client_id(c))
        .await?;
    Ok(Reply::NoContent)
}

/// `POST .../clients/{client_id}/secret`: a new secret, shown once; the
/// old one keeps working until `previous_secret_expires_at`.
pub(super) async fn rotate_secret<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    body::empty(c.req)?;
    let rotated = c
        .admin
        .rotate_client_secret(&c.ctx, c.slug(), client_id(c))
        .await?;
    Ok(Reply::Json {
        status: http::StatusCode::OK,
        body: json!({
            "client_id": rotated.client.id.as_str(),
            "client_secret": rotated.secret,
            "previous_secret_expires_at": rotated
                .previous_expires_at
                .map(idp_core::clock::format_rfc3339),
        }),
        etag: false,
    })
}
