//! `/api/v1/tenants/{slug}/upstreams[/{upstream_id}]` and
//! `/api/v1/tenants/{slug}/users/{id}/identities[/{upstream_id}/{subject}]`.
//! The client secret is taken, never shown.

use super::body::{self, BodyKind, Fields};
use super::problem::Problem;
use super::query::Query;
use super::{Call, Reply, etag, page_json, representation};
use crate::backend::Backend;
use idp_core::admin::{NewUpstream, UpstreamUpdate};
use idp_core::upstream::UpstreamKind;
use serde_json::json;

fn upstream_id<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.upstream.unwrap_or_default()
}

fn user_id<'a, S: Backend>(c: &Call<'a, S>) -> &'a str {
    c.params.user.unwrap_or_default()
}

/// `kind`, required and one of the kinds.
fn kind(f: &mut Fields) -> Option<UpstreamKind> {
    let text = f.string("kind");
    if text.is_empty() {
        // Reported as required (or not a string) already.
        return None;
    }
    match idp_core::admin::parse_kind(&text) {
        Ok(kind) => Some(kind),
        Err(idp_core::AdminError::Invalid(errors)) => {
            for e in errors {
                f.invalid(&e.field, e.reason);
            }
            None
        }
        Err(_) => None,
    }
}

/// `GET .../upstreams`.
pub(super) async fn list<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let page = q.page();
    q.finish()?;
    let page = c.admin.list_upstreams(c.slug(), &page).await?;
    Ok(Reply::list(page_json(page, representation::upstream)))
}

/// `POST .../upstreams` `{kind, name, issuer?, client_id, client_secret,
/// signup?, auto_link?}`: the new upstream with its `callback_url`.
pub(super) async fn create<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::Json)?;
    let kind = kind(&mut f);
    let name = f.string("name");
    let issuer = f.opt_string("issuer");
    let client_id = f.string("client_id");
    let client_secret = f.string("client_secret");
    let signup = f.opt_bool("signup");
    let auto_link = f.opt_bool("auto_link");
    f.finish()?;
    let Some(kind) = kind else {
        return Err(Problem::internal());
    };
    let mut new = NewUpstream::new(kind, name, client_id, client_secret);
    new.issuer = issuer;
    new.signup = signup.unwrap_or(true);
    new.auto_link = auto_link.unwrap_or(false);
    let created = c.admin.create_upstream(&c.ctx, c.slug(), new).await?;
    Ok(Reply::created(representation::upstream(&created)))
}

/// `GET .../upstreams/{upstream_id}`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let u = c.admin.get_upstream(c.slug(), upstream_id(c)).await?;
    Ok(Reply::ok(representation::upstream(&u)))
}

/// `PATCH .../upstreams/{upstream_id}` (merge patch; `issuer: null`
/// returns to the kind's default; `kind` cannot change).
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let update = UpstreamUpdate {
        name: f.opt_string("name"),
        issuer: f.nullable_string("issuer"),
        client_id: f.opt_string("client_id"),
        client_secret: f.opt_string("client_secret"),
        signup: f.opt_bool("signup"),
        auto_link: f.opt_bool("auto_link"),
    };
    f.finish()?;
    let current = c.admin.get_upstream(c.slug(), upstream_id(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::upstream(&current)))?;
    let u = c
        .admin
        .update_upstream(&c.ctx, c.slug(), upstream_id(c), update)
        .await?;
    Ok(Reply::ok(representation::upstream(&u)))
}

/// `DELETE .../upstreams/{upstream_id}`: with the identities linked through it.
pub(super) async fn delete<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let current = c.admin.get_upstream(c.slug(), upstream_id(c)).await?;
    etag::check_if_match(c.req, &etag::of(&representation::upstream(&current)))?;
    c.admin
        .delete_upstream(&c.ctx, c.slug(), upstream_id(c))
        .await?;
    Ok(Reply::NoContent)
}

/// `GET .../users/{id}/identities`: every identity linked to the user.
pub(super) async fn of_user<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let identities = c.admin.user_identities(c.slug(), user_id(c)).await?;
    let items: Vec<_> = identities
        .iter()
        .map(representation::linked_identity)
        .collect();
    Ok(Reply::list(json!({"items": items, "next_cursor": null})))
}

/// `DELETE .../users/{id}/identities/{upstream_id}/{subject}` (`subject`
/// percent-encoded): 409 when it is the user's last way to sign in.
pub(super) async fn unlink<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let raw = c.params.subject.unwrap_or_default();
    let Some(subject) = percent_decode(raw) else {
        return Err(Problem::not_found(
            "no such linked identity (the subject is not well percent-encoded)",
        ));
    };
    c.admin
        .unlink_identity(&c.ctx, c.slug(), user_id(c), upstream_id(c), &subject)
        .await?;
    Ok(Reply::NoContent)
}

/// Decodes `%XX` octets (RFC 3986 §2.1); `None` for a bad escape or text
/// that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn subjects_are_percent_decoded() {
        assert_eq!(percent_decode("abc").as_deref(), Some("abc"));
        assert_eq!(
            percent_decode("tid%2Foid%7C1").as_deref(),
            Some("tid/oid|1")
        );
        assert_eq!(percent_decode("%C3%A9").as_deref(), Some("é"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%+1"), None);
        assert_eq!(percent_decode("%FF"), None);
    }
}
