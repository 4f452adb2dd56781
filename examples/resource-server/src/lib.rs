//! A small HTTP API (a resource server) protected by access tokens of an
//! OpenID Provider, configured with nothing but the issuer URL, its own
//! audience and the scope it requires:
//!
//! - `GET /orders` with `Authorization: Bearer <token>` (RFC 6750 §2.1)
//!   answers 200 with the caller's orders when the token is a valid RFC
//!   9068 access token of the issuer for this audience with the scope;
//! - no token: 401 with `WWW-Authenticate: Bearer realm="…"` (§3);
//! - an invalid, expired or other-audience token: 401 `invalid_token` (§3.1);
//! - a valid token without the scope: 403 `insufficient_scope` (§3.1).
//!
//! Nothing here is specific to idp: the validation is
//! [`validator::Validator`], discovery plus JWKS plus `jsonwebtoken`.

pub mod validator;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
pub use validator::{AccessClaims, InvalidToken, SetupError, Validator};

/// What the API is configured with.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The issuer whose tokens are accepted.
    pub issuer: String,
    /// This API's audience: the `resource` clients ask tokens for (RFC 8707).
    pub audience: String,
    /// The scope `GET /orders` requires.
    pub scope: String,
    /// Where to listen.
    pub listen: SocketAddr,
}

/// The API's state.
pub struct Api {
    validator: Validator,
    settings: Settings,
}

/// A started API.
pub struct RunningApi {
    /// Its base URL, `http://{addr}`.
    pub url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningApi {
    /// Stops accepting connections.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// Discovers the issuer, binds `settings.listen` and serves until
/// [`RunningApi::shutdown`].
pub async fn start(settings: Settings) -> Result<RunningApi, StartError> {
    let validator = Validator::discover(&settings.issuer, &settings.audience).await?;
    let listener = TcpListener::bind(settings.listen).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let api = Arc::new(Api {
        validator,
        settings,
    });
    let (stop, mut stopped) = oneshot::channel();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let api = Arc::clone(&api);
                    let service = service_fn(move |req| serve(Arc::clone(&api), req));
                    tokio::spawn(async move {
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                _ = &mut stopped => break,
            }
        }
    });
    Ok(RunningApi { url, stop, task })
}

/// Why the API did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Discovery or the JWKS failed.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The address could not be bound.
    #[error("listen: {0}")]
    Listen(#[from] std::io::Error),
}

async fn serve(api: Arc<Api>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    Ok(api
        .route(req.method(), req.uri().path(), req.headers())
        .await)
}

fn json(status: StatusCode, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body.to_string())));
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

impl Api {
    async fn route(
        &self,
        method: &Method,
        path: &str,
        headers: &http::HeaderMap,
    ) -> Response<Full<Bytes>> {
        match (method, path) {
            (&Method::GET, "/orders") => self.orders(headers).await,
            _ => json(
                StatusCode::NOT_FOUND,
                serde_json::json!({"error": "not found"}),
            ),
        }
    }

    async fn orders(&self, headers: &http::HeaderMap) -> Response<Full<Bytes>> {
        let claims = match self.authorize(headers).await {
            Ok(claims) => claims,
            Err(res) => return *res,
        };
        json(
            StatusCode::OK,
            serde_json::json!({
                "sub": claims.sub,
                "client_id": claims.client_id,
                "orders": [{"id": "o-1001", "item": "teapot", "owner": claims.sub}],
            }),
        )
    }

    /// RFC 6750: the bearer token of the `Authorization` header, validated,
    /// with the required scope; else the challenge to answer with.
    async fn authorize(
        &self,
        headers: &http::HeaderMap,
    ) -> Result<AccessClaims, Box<Response<Full<Bytes>>>> {
        let token = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.get(..7)
                    .filter(|scheme| scheme.eq_ignore_ascii_case("bearer "))
                    .map(|_| v[7..].trim())
            })
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            // §3: no authentication information, no error code.
            return Err(Box::new(self.challenge(StatusCode::UNAUTHORIZED, None)));
        };
        let claims = self.validator.validate(token).await.map_err(|e| {
            Box::new(self.challenge(StatusCode::UNAUTHORIZED, Some(("invalid_token", &e.0))))
        })?;
        if !claims.has_scope(&self.settings.scope) {
            return Err(Box::new(self.challenge(
                StatusCode::FORBIDDEN,
                Some(("insufficient_scope", "the token lacks the required scope")),
            )));
        }
        Ok(claims)
    }

    /// RFC 6750 §3: `WWW-Authenticate: Bearer realm, scope[, error,
    /// error_description]`, and the error as JSON for humans.
    fn challenge(&self, status: StatusCode, error: Option<(&str, &str)>) -> Response<Full<Bytes>> {
        let mut value = format!(
            "Bearer realm=\"{}\", scope=\"{}\"",
            self.settings.audience, self.settings.scope
        );
        let body = match error {
            Some((code, description)) => {
                value.push_str(&format!(
                    ", error=\"{code}\", error_description=\"{}\"",
                    description.replace(['"', '\\'], "'")
                ));
                serde_json::json!({"error": code, "error_description": description})
            }
            None => serde_json::json!({"error": "unauthorized"}),
        };
        let mut res = json(status, body);
        if let Ok(v) = HeaderValue::from_str(&value) {
            res.headers_mut().insert(WWW_AUTHENTICATE, v);
        }
        res
    }
}
