//! The notice after a change (post/redirect/get): a form's handler
//! redirects with a short text in a cookie (`idp_console_notice`, path
//! `/admin`, one minute), the next page shows it once and clears it. Never
//! a secret: a one-time secret is shown on the POST's own answer.

use super::path_of;
use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderMap, Response, StatusCode};
use idp_core::session::{cookie, set_cookie};

const COOKIE: &str = "idp_console_notice";

/// The notice a request carries: `(kind, text)`, kind `ok` or `bad`.
pub(crate) fn read(headers: &HeaderMap) -> Option<(&'static str, String)> {
    let raw = cookie(headers, COOKIE)?;
    let decoded: String = form_urlencoded::parse(format!("n={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let (kind, text) = decoded.split_once(':')?;
    let kind = match kind {
        "ok" => "ok",
        "bad" => "bad",
        _ => "info",
    };
    Some((kind, text.chars().take(300).collect()))
}

/// A 303 to `location` that shows `text` there (`ok` true: a success).
pub(crate) fn redirect<S: Backend>(
    app: &App<S>,
    location: &str,
    ok: bool,
    text: &str,
) -> Response<Bytes> {
    let value: String = form_urlencoded::byte_serialize(
        format!("{}:{text}", if ok { "ok" } else { "bad" }).as_bytes(),
    )
    .collect();
    let mut res = idp_core::wire::redirect(location, StatusCode::SEE_OTHER);
    super::session::add_cookie(
        &mut res,
        &set_cookie(COOKIE, &value, &path_of(app, ""), 60, app.secure_cookies),
    );
    res
}

/// The `Set-Cookie` that clears the notice once shown.
pub(crate) fn clear<S: Backend>(app: &App<S>) -> String {
    set_cookie(COOKIE, "", &path_of(app, ""), 0, app.secure_cookies)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_wrote() {
        let value: String =
            form_urlencoded::byte_serialize("ok:Client “web; app” created".as_bytes()).collect();
        let mut h = HeaderMap::new();
        h.insert(
            http::header::COOKIE,
            format!("idp_console_notice={value}")
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(
            read(&h),
            Some(("ok", "Client “web; app” created".to_owned()))
        );
    }
}
