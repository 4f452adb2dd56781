//! Placeholder until the screen is built.

use super::Console;
use crate::backend::Backend;
use bytes::Bytes;
use http::{Request, Response, StatusCode};

pub(crate) async fn serve<S: Backend>(
    c: &Console<'_, S>,
    _req: &Request<Bytes>,
    _slug: &str,
    _rest: &[&str],
) -> Response<Bytes> {
    c.message(StatusCode::OK, "users", "This screen is being built.")
}
