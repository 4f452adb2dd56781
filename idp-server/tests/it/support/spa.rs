//! A single-page app on its own origin (`http://127.0.0.1:{port}`, not the
//! provider's `http://localhost:{port}`): a tiny hyper server that serves
//! two static pages, as a SPA's static host would. Everything the app does
//! with the provider, it does from the browser with `fetch`:
//!
//! - `/?issuer=…&client_id=…` shows a "Sign in" button (`#login`) that
//!   reads discovery, makes a PKCE verifier and S256 challenge with
//!   `crypto.subtle`, keeps them in `sessionStorage` and goes to the
//!   authorization endpoint with `redirect_uri` `{origin}/callback`.
//! - `/callback` checks `state`, exchanges the code (`fetch` POST to the
//!   token endpoint), calls UserInfo with the bearer token, refreshes,
//!   revokes the first access token (and sees UserInfo refuse it), reads a
//!   bearer error's `WWW-Authenticate`,
//!   and writes what it got as JSON into `#result` (or the failure into
//!   `#error`).

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;

const INDEX: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPA</title></head>
<body><h1>Single-page app</h1><button id="login" type="button">Sign in</button>
<script>
const b64url = bytes => btoa(String.fromCharCode(...bytes))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const show = (id, text) => {
  const pre = document.createElement('pre');
  pre.id = id;
  pre.textContent = text;
  document.body.appendChild(pre);
};
const query = new URLSearchParams(location.search);
document.getElementById('login').addEventListener('click', async () => {
  try {
    const issuer = query.get('issuer');
    const discovery = await fetch(issuer + '/.well-known/openid-configuration');
    const meta = await discovery.json();
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const challenge = b64url(new Uint8Array(digest));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    const nonce = b64url(crypto.getRandomValues(new Uint8Array(16)));
    const clientId = query.get('client_id');
    sessionStorage.setItem('spa', JSON.stringify({ verifier, state, clientId, meta }));
    const url = new URL(meta.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: clientId, redirect_uri: location.origin + '/callback',
      scope: 'openid email profile offline_access', state, nonce,
      code_challenge: challenge, code_challenge_method: 'S256',
    });
    location.assign(url.toString());
  } catch (e) {
    show('error', 'sign-in: ' + e);
  }
});
</script></body></html>
"#;

const CALLBACK: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SPA callback</title></head>
<body><h1>Signing in…</h1>
<script>
const show = (id, text) => {
  const pre = document.createElement('pre');
  pre.id = id;
  pre.textContent = text;
  document.body.appendChild(pre);
};
const form = fields => new URLSearchParams(fields);
(async () => {
  const saved = JSON.parse(sessionStorage.getItem('spa'));
  const query = new URLSearchParams(location.search);
  if (query.get('error')) throw new Error('authorization: ' + query.get('error'));
  if (query.get('state') !== saved.state) throw new Error('state mismatch');
  const meta = saved.meta;
  const exchange = await fetch(meta.token_endpoint, {
    method: 'POST',
    body: form({
      grant_type: 'authorization_code', code: query.get('code'),
      redirect_uri: location.origin + '/callback', client_id: saved.clientId,
      code_verifier: saved.verifier,
    }),
  });
  const tokens = await exchange.json();
  if (!exchange.ok) throw new Error('token: ' + JSON.stringify(tokens));
  const info = await fetch(meta.userinfo_endpoint, {
    headers: { Authorization: 'Bearer ' + tokens.access_token },
  });
  const userinfo = await info.json();
  const refresh = await fetch(meta.token_endpoint, {
    method: 'POST',
    body: form({
      grant_type: 'refresh_token', refresh_token: tokens.refresh_token,
      client_id: saved.clientId,
    }),
  });
  const refreshed = await refresh.json();
  const revoke = await fetch(meta.revocation_endpoint, {
    method: 'POST',
    body: form({
      token: tokens.access_token, token_type_hint: 'access_token', client_id: saved.clientId,
    }),
  });
  const revoked = await fetch(meta.userinfo_endpoint, {
    headers: { Authorization: 'Bearer ' + tokens.access_token },
  });
  const bearer = await fetch(meta.userinfo_endpoint, {
    headers: { Authorization: 'Bearer not-a-token' },
  });
  show('result', JSON.stringify({
    userinfo_status: info.status,
    userinfo,
    refreshed: refresh.status === 200 && typeof refreshed.access_token === 'string',
    revoked: revoke.status,
    revoked_userinfo_status: revoked.status,
    bearer_status: bearer.status,
    bearer_error: bearer.headers.get('WWW-Authenticate'),
    access_token: refreshed.access_token,
  }));
})().catch(e => show('error', String(e)));
</script></body></html>
"#;

/// The app's static host, serving until dropped.
pub struct SpaHost {
    /// Its origin, `http://127.0.0.1:{port}`.
    pub origin: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SpaHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SpaHost {
    /// Listens on 127.0.0.1:0.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SPA's host");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let service =
                        service_fn(|req: http::Request<hyper::body::Incoming>| async move {
                            let (status, body) = match req.uri().path() {
                                "/" => (http::StatusCode::OK, INDEX),
                                "/callback" => (http::StatusCode::OK, CALLBACK),
                                _ => (http::StatusCode::NOT_FOUND, "not found"),
                            };
                            let res = http::Response::builder()
                                .status(status)
                                .header("content-type", "text/html; charset=utf-8")
                                .header("cache-control", "no-store")
                                .body(Full::new(Bytes::from_static(body.as_bytes())))
                                .expect("response");
                            Ok::<_, Infallible>(res)
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { origin, task }
    }

    /// The redirect URI the app registers: `{origin}/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.origin)
    }

    /// The app's start page for `client_id` of `issuer`.
    pub fn start_page(&self, issuer: &str, client_id: &str) -> String {
        with_query(
            &format!("{}/", self.origin),
            &[("issuer", issuer), ("client_id", client_id)],
        )
    }
}

use super::with_query;
