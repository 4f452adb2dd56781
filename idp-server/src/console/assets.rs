//! The console's static assets, compiled into the binary and served under
//! names that carry a hash of their content (`console.3f2a….css`), so a
//! browser may keep them for a year (`immutable`) and a new release is
//! fetched at once. Pages link them through [`stylesheet`] and [`script`].

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use std::sync::LazyLock;

const CSS: &str = include_str!("console.css");
const JS: &str = include_str!("console.js");

/// `console.{hash}.css` and `console.{hash}.js`.
static NAMES: LazyLock<(String, String)> =
    LazyLock::new(|| (named("console", CSS, "css"), named("console", JS, "js")));

fn named(stem: &str, content: &str, ext: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, content.as_bytes());
    let hex: String = digest.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{stem}.{hex}.{ext}")
}

/// The stylesheet's path under `console_path` (`{BASE_URL path}/admin`).
pub(crate) fn stylesheet(console_path: &str) -> String {
    format!("{console_path}/assets/{}", NAMES.0)
}

/// The script's path under `console_path`.
pub(crate) fn script(console_path: &str) -> String {
    format!("{console_path}/assets/{}", NAMES.1)
}

/// The asset named `name` (the last path segment), if it is one of ours.
pub(crate) fn serve(name: &str) -> Option<Response<Bytes>> {
    let (body, kind) = if name == NAMES.0 {
        (CSS, "text/css; charset=utf-8")
    } else if name == NAMES.1 {
        (JS, "text/javascript; charset=utf-8")
    } else {
        return None;
    };
    let mut res = Response::new(Bytes::from_static(body.as_bytes()));
    *res.status_mut() = StatusCode::OK;
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Some(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_the_content_hash() {
        let css = stylesheet("/admin");
        assert!(css.starts_with("/admin/assets/console."), "{css}");
        assert!(css.ends_with(".css"));
        let name = css.rsplit('/').next().unwrap_or_default();
        assert!(serve(name).is_some());
        assert!(serve("console.000000000000.css").is_none());
        assert_ne!(named("a", "x", "css"), named("a", "y", "css"));
    }
}
