//! Health endpoints (design.md): liveness, readiness with a database check.

use crate::app::App;
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

/// `GET /health/ready`: 200 when the database answers, 503 otherwise.
pub async fn ready(app: &App) -> Response<Bytes> {
    if app.provider.store().health_check().await {
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
