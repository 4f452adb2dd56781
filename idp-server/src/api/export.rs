//! `GET /api/v1/tenants/{slug}/users/export?format=jsonl|csv`: every user
//! of the tenant without secrets, streamed ([`crate::streamed`]): a task
//! reads keyset pages ([`idp_core::admin::UserExport`]) and sends each as
//! one chunk, at most a few pages ahead of the client, so memory stays
//! flat whatever the tenant's size. The format is the `format` query
//! parameter (`jsonl` by default), not content negotiation: a link or a
//! `curl` gets the same file.

use super::Call;
use super::problem::Problem;
use super::query::Query;
use crate::backend::Backend;
use crate::streamed::Streamed;
use bytes::Bytes;
use http::{HeaderValue, Response, header};
use idp_core::admin::ExportFormat;

/// Pages the producer may run ahead of the client.
const AHEAD: usize = 2;

/// Starts the export; the tenant is checked before the head is sent (404).
pub(super) async fn serve<S: Backend>(c: &Call<'_, S>) -> Result<Response<Bytes>, Problem> {
    let mut q = Query::parse(c.req.uri().query());
    let format = match q.take("format").as_deref() {
        None => Some(ExportFormat::JsonLines),
        Some(f) => ExportFormat::parse(f),
    };
    if format.is_none() {
        q.invalid("format", "must be jsonl or csv");
    }
    q.finish()?;
    let format = format.unwrap_or(ExportFormat::JsonLines);
    let mut export = c.admin.export_users(c.slug()).await?;
    let (tx, streamed) = Streamed::channel(AHEAD);
    let slug = c.slug().to_owned();
    let extension = match format {
        ExportFormat::JsonLines => "jsonl",
        ExportFormat::Csv => "csv",
    };
    let disposition = format!("attachment; filename=\"{slug}-users.{extension}\"");
    tokio::spawn(async move {
        let header = format.header();
        if !header.is_empty()
            && tx
                .send(Ok(Bytes::from_static(header.as_bytes())))
                .await
                .is_err()
        {
            return;
        }
        loop {
            match export.next_page().await {
                Ok(Some(page)) => {
                    let chunk: String = page
                        .iter()
                        .map(|(user, roles)| format.line(user, roles))
                        .collect();
                    if tx.send(Ok(Bytes::from(chunk))).await.is_err() {
                        return; // The client went away.
                    }
                }
                Ok(None) => return,
                Err(cause) => {
                    tracing::error!(%cause, tenant = %slug, "users export failed midway");
                    let _ = tx
                        .send(Err(std::io::Error::other("users export failed")))
                        .await;
                    return;
                }
            }
        }
    });
    let mut res = Response::new(Bytes::new());
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res.extensions_mut().insert(streamed);
    Ok(res)
}
