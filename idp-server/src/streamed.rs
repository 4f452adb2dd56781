//! Response bodies written after the response head, chunk by chunk (the
//! users export): everything else answers with a whole `Bytes` body.
//!
//! Routing stays `Response<Bytes>`: a handler that streams returns an empty
//! body with a [`Streamed`] extension holding the receiving end of a
//! channel its producer task writes to; the connection layer
//! (`server::serve`) takes it out and sends those chunks (chunked transfer
//! coding, no `Content-Length`). A producer that fails sends an error:
//! the connection is aborted instead of ending the body cleanly, so a
//! truncated export is never mistaken for a whole one.

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::sync::mpsc;

/// One chunk of a streamed body, or the failure that ends it.
pub type Chunk = Result<Bytes, std::io::Error>;

/// The extension that marks a response as streamed (see the module docs).
#[derive(Clone, Debug)]
pub struct Streamed(Arc<Mutex<Option<mpsc::Receiver<Chunk>>>>);

impl Streamed {
    /// A channel of at most `buffer` chunks ahead of the client: the
    /// producer's sender, and the extension to attach to the response.
    pub fn channel(buffer: usize) -> (mpsc::Sender<Chunk>, Self) {
        let (tx, rx) = mpsc::channel(buffer);
        (tx, Self(Arc::new(Mutex::new(Some(rx)))))
    }

    /// The body, once.
    fn take(&self) -> Option<StreamedBody> {
        self.0.lock().ok()?.take().map(StreamedBody)
    }
}

/// The chunks a producer sends, as an HTTP body.
#[derive(Debug)]
pub struct StreamedBody(mpsc::Receiver<Chunk>);

impl Body for StreamedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}

/// The server's response body: whole, or streamed.
pub type ResponseBody = Either<Full<Bytes>, StreamedBody>;

/// `res` with its body as sent: the streamed one if a handler attached it.
pub fn into_body(res: http::Response<Bytes>) -> http::Response<ResponseBody> {
    match res.extensions().get::<Streamed>().and_then(Streamed::take) {
        Some(body) => res.map(|_| Either::Right(body)),
        None => res.map(|b| Either::Left(Full::new(b))),
    }
}
