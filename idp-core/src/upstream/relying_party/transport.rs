//! The embedding application's [`UpstreamHttp`] as `openidconnect`'s (and
//! `oauth2`'s) HTTP client, so that discovery, key sets, the token request
//! and userinfo all go through the guarded client, and the few helpers the
//! GitHub side needs.

use super::super::{UpstreamFailure, UpstreamHttp};
use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use std::future::Future;
use std::pin::Pin;

/// Largest JSON document this side reads back (the transport caps bodies
/// too; this only keeps a parse from working on a huge answer).
const MAX_JSON_BYTES: usize = 256 * 1024;

/// Why a request gave no usable answer: the transport's text (which names
/// the cause and at most `scheme://host/path`, never a credential), or a
/// 5xx status.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct TransportError(pub(crate) String);

/// [`UpstreamHttp`] as an [`AsyncHttpClient`]. A server error (5xx) is a
/// transport failure here: the upstream is unusable, whatever its body.
#[derive(Clone)]
pub(crate) struct Transport(pub(crate) UpstreamHttp);

impl<'c> AsyncHttpClient<'c> for Transport {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let target = describe(&request);
        let answer = (self.0)(request);
        Box::pin(async move {
            let response = answer.await.map_err(TransportError)?;
            if response.status().is_server_error() {
                return Err(TransportError(format!(
                    "{target}: answered status {}",
                    response.status().as_u16()
                )));
            }
            Ok(response)
        })
    }
}

/// "METHOD scheme://host/path" of a request, for error texts.
pub(crate) fn describe(request: &HttpRequest) -> String {
    let uri = request.uri();
    format!(
        "{} {}://{}{}",
        request.method(),
        uri.scheme_str().unwrap_or(""),
        uri.authority().map_or("", |a| a.as_str()),
        uri.path()
    )
}

impl Transport {
    /// Sends `request`; a 200 answer's body as JSON of type `T`. Anything
    /// else is [`UpstreamFailure::Unreachable`] naming the endpoint and the
    /// status, never the body (it may hold a token).
    pub(crate) async fn json<T: serde::de::DeserializeOwned>(
        &self,
        request: HttpRequest,
    ) -> Result<(http::StatusCode, Result<T, String>), UpstreamFailure> {
        let target = describe(&request);
        let response = self
            .call(request)
            .await
            .map_err(|e| UpstreamFailure::Unreachable(e.0))?;
        let status = response.status();
        let body = response.body();
        if body.len() > MAX_JSON_BYTES {
            return Err(UpstreamFailure::Unreachable(format!(
                "{target}: answer too large"
            )));
        }
        let parsed = serde_json::from_slice::<T>(body).map_err(|_| {
            format!(
                "{target}: answered status {} with no usable JSON",
                status.as_u16()
            )
        });
        Ok((status, parsed))
    }
}
