//! What anyone may make the provider store without credentials: bounded
//! authorization requests, a per-address rate on `/authorize` and
//! `/register`, a cap on the interactions one address leaves pending, a
//! short life for interactions nobody opens, and the resulting bound on how
//! fast an attacker can grow the database. Every server here limits
//! loopback too (`RATE_LIMIT_EXEMPT=none`), as the tests speak from it.

mod bounds;
mod growth;
mod pending;
mod rates;

use crate::support::*;
use idp_server::config::Config;
use idp_server::forwarded::IpBlocks;
use reqwest::StatusCode;

/// No address exempt from the limits (`RATE_LIMIT_EXEMPT=none`).
fn exposed(c: &mut Config) {
    c.rate_limits.exempt = IpBlocks::default();
}

fn interactions(server: &TestServer) -> i64 {
    server
        .db()
        .query_row("SELECT count(*) FROM interactions", [], |r| r.get(0))
        .expect("count interactions")
}

/// Each stored interaction's lifetime (`expires_at - created_at`), sorted.
fn lifetimes(server: &TestServer) -> Vec<i64> {
    let conn = server.db();
    let mut stmt = conn
        .prepare("SELECT expires_at - created_at FROM interactions ORDER BY 1")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// An S256 challenge (RFC 7636 Appendix B); no code is ever redeemed here.
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// A valid authorization request of `env`'s client, with `extra`
/// parameters added or replacing the usual ones.
fn auth_request(env: &Env, state: &str, extra: &[(&str, &str)]) -> RawAuthorize {
    let valid =
        RawAuthorize::code_with_pkce(&env.endpoints, &env.client.client_id, CHALLENGE, state);
    extra.iter().fold(valid, |req, (k, v)| req.set(k, v))
}

/// The same as a URL.
fn auth_url(env: &Env, state: &str, extra: &[(&str, &str)]) -> String {
    auth_request(env, state, extra).url()
}

/// `res` is the sign-in error page (no redirect) saying `description`.
fn assert_error_page(res: &Resp, status: StatusCode, error: &str, description: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert!(res.location().is_none(), "redirected: {:?}", res.location());
    assert!(
        res.body.contains(error) && res.body.contains(description),
        "{}",
        res.body
    );
}
