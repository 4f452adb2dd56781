//! Bounds on what one HTTP/1.1 connection may cost: header size and count,
//! body size, and how long a client may take to send each part. A client
//! that breaks one gets a status (413, 431, 408) or a closed connection,
//! never a crash and never a held connection.

use hyper::server::conn::http1;
use std::time::Duration;

/// The limits; [`Default`] is what the server uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// Largest request head (request line and headers), bytes. Over it,
    /// hyper answers 431 and closes the connection (RFC 6585 §5). Large
    /// enough for an authorization request carrying a request object by
    /// value and a browser's cookies.
    pub max_header_bytes: usize,
    /// Most header fields in a request; more also gets 431.
    pub max_headers: usize,
    /// Largest request body, bytes; over it, 413 (forms and token requests
    /// are small).
    pub max_body_bytes: usize,
    /// How long a client gets to send a request's head. hyper also runs
    /// this timer while a kept-alive connection waits for its next
    /// request, so it bounds idle connections too.
    pub header_read_timeout: Duration,
    /// How long a client gets to send a request's body once its head is
    /// in; a client trickling a body gets 408 and the connection closes.
    pub body_read_timeout: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            max_header_bytes: 32 * 1024,
            max_headers: 100,
            max_body_bytes: 64 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
        }
    }
}

impl HttpLimits {
    /// Applies the head limits and the head/idle timeout to a connection
    /// builder (the body limits apply in the request service).
    pub fn apply(&self, builder: &mut http1::Builder) {
        builder
            .max_header_size(self.max_header_bytes)
            .header_read_timeout(self.header_read_timeout);
        // hyper keeps up to 100 headers on the stack; asking for exactly
        // that keeps it there (any explicit value switches to the heap).
        if self.max_headers != 100 {
            builder.max_headers(self.max_headers);
        }
    }
}

/// 400 for a body that could not be read (broken chunked encoding, a
/// connection cut mid-body). `Connection: close`: the stream is unusable.
pub fn unreadable_body() -> http::Response<bytes::Bytes> {
    json_closing(
        http::StatusCode::BAD_REQUEST,
        br#"{"error":"invalid_request","error_description":"the request body could not be read"}"#,
    )
}

/// 408 for a body that did not arrive in time. `Connection: close`: the
/// rest of the body may still be on its way, so the connection cannot carry
/// another request.
pub fn request_timeout() -> http::Response<bytes::Bytes> {
    json_closing(
        http::StatusCode::REQUEST_TIMEOUT,
        br#"{"error":"invalid_request","error_description":"the request body was not received in time"}"#,
    )
}

fn json_closing(status: http::StatusCode, body: &'static [u8]) -> http::Response<bytes::Bytes> {
    let mut res = idp_core::wire::json(status, bytes::Bytes::from_static(body));
    res.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    res
}
