//! `/api/v1/tenants/{slug}/keys` and `.../keys/rotate`.

use super::body;
use super::problem::Problem;
use super::{Call, Reply, representation};
use crate::backend::Backend;
use idp_core::admin::Activation;
use serde_json::json;

/// `GET .../keys`: every published key with its state (a handful: not paginated).
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let keys = c.admin.list_keys(c.slug()).await?;
    let items: Vec<_> = keys.iter().map(representation::key).collect();
    Ok(Reply::list(json!({"items": items, "next_cursor": null})))
}

/// `POST .../keys/rotate[?immediately=true]`: new keys, published at once
/// and signing after the publication delay (or at once when asked, for a
/// compromised key).
pub(super) async fn rotate<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    body::empty(c.req)?;
    let mut q = super::query::Query::parse(c.req.uri().query());
    let immediately = match q.take("immediately").as_deref() {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            q.invalid("immediately", "must be true or false");
            false
        }
    };
    q.finish()?;
    let activation = if immediately {
        Activation::Immediately
    } else {
        Activation::AfterPublication
    };
    let rotated = c.admin.rotate_keys(&c.ctx, c.slug(), activation).await?;
    Ok(Reply::Json {
        status: http::StatusCode::OK,
        body: json!({
            "kids": rotated.kids,
            "activates_at": idp_core::clock::format_rfc3339(rotated.activates_at),
        }),
        etag: false,
    })
}
