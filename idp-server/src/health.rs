//! Health endpoints (design.md): liveness, readiness with a database check.

use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{Response, StatusCode};
use idp_core::wire;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /health`.
pub fn health() -> Response<Bytes> {
    let body = serde_json::json!({"status": "ok", "version": VERSION});
    wire::json(StatusCode::OK, Bytes::from(body.to_string()))
}

/// `GET /health/live`: 200 while the process runs.
pub fn live() -> Response<Bytes> {
    wire::json(StatusCode::OK, Bytes::from_static(br#"{"status":"live"}"#))
}

/// `GET /health/ready`: 200 when the database answers, 503 otherwise
/// ([`Operations::ready`](idp_core::store::Operations::ready)).
pub async fn ready<S: Backend>(app: &App<S>) -> Response<Bytes> {
    if app.provider.store().ready().await {
        let body =
            serde_json::json!({"status": "ready", "version": VERSION, "database": "connected"});
        wire::json(StatusCode::OK, Bytes::from(body.to_string()))
    } else {
        let body = serde_json::json!({"status": "unavailable", "version": VERSION, "database": "disconnected"});
        wire::json(
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::from(body.to_string()),
        )
    }
}
