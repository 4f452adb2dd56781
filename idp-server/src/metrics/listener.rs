//! The listener of `METRICS_ADDR`: plain HTTP/1.1 that answers `/metrics`
//! (with `METRICS_TOKEN` when set) and 404 for everything else, so that the
//! figures can live on an internal interface the public never reaches. It
//! shares the main listener's per-connection limits and stops with it.

use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Accepts connections until the task is aborted ([`crate::server::RunningServer`]).
pub(crate) async fn serve<S: Backend>(listener: TcpListener, app: Arc<App<S>>) {
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            continue;
        };
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let limits = app.http_limits;
            let service = service_fn(move |req: Request<Incoming>| {
                let app = Arc::clone(&app);
                async move { Ok::<_, Infallible>(respond(&app, &req).await.map(Full::new)) }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new());
            limits.apply(&mut builder);
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond<S: Backend>(app: &App<S>, req: &Request<Incoming>) -> Response<Bytes> {
    let mut res = if req.uri().path() == "/metrics" {
        super::metrics(app, req.method(), req.headers()).await
    } else {
        let mut res = Response::new(Bytes::from_static(b"not found\n"));
        *res.status_mut() = StatusCode::NOT_FOUND;
        res
    };
    res.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    res
}
