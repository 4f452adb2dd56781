//! The server on PostgreSQL (issue 15): real `idp-server` processes on a
//! fresh database of the server `IDP_TEST_POSTGRES_URL` names (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). Without a server each
//! test prints one line and passes, unless `IDP_REQUIRE_POSTGRES=1`
//! (`.ci/run` sets it).
//!
//! - `admin_api`: the admin API on two instances is one API;
//! - `instances`: two servers on one database behave as one;
//! - `lockout`: failed logins per account are counted across instances;
//! - `cli`: the administration commands against PostgreSQL, `backup`'s
//!   refusal, start-up errors;
//! - `faults`: PostgreSQL stopped and started under load (a private
//!   cluster of the test's own), `kill -9` of an instance, an exhausted
//!   pool.

mod admin_api;
mod analytics;
mod cli;
mod faults;
mod instances;
mod lockout;
mod signup;

use crate::support::*;
use idp_store_postgres::scratch::ScratchDatabase;
use std::path::Path;

/// A fresh database, or `None` when the PostgreSQL tests are skipped.
pub async fn scratch() -> Option<ScratchDatabase> {
    match ScratchDatabase::create().await {
        Ok(db) => db,
        Err(e) => panic!("PostgreSQL is required here: {e}"),
    }
}

/// Starts `idp-server` on `db` in `dir` with `env` on top.
pub fn instance(dir: &Path, db: &ScratchDatabase, env: &[(&str, &str)]) -> ServerProcess {
    let mut all = vec![("DATABASE_URL", db.url())];
    all.extend_from_slice(env);
    ServerProcess::spawn(dir, &all)
}

/// `endpoints` as served by the instance at `base` (the same paths on
/// another port behind the same BASE_URL, as a load balancer would pick).
pub fn via(endpoints: &Endpoints, issuer_base: &str, base: &str) -> Endpoints {
    let move_to = |url: &str| url.replacen(issuer_base, base, 1);
    Endpoints {
        issuer: endpoints.issuer.clone(),
        authorization: move_to(&endpoints.authorization),
        token: move_to(&endpoints.token),
        userinfo: move_to(&endpoints.userinfo),
        jwks: move_to(&endpoints.jwks),
        revocation: move_to(&endpoints.revocation),
        introspection: move_to(&endpoints.introspection),
        device_authorization: move_to(&endpoints.device_authorization),
        end_session: move_to(&endpoints.end_session),
        doc: endpoints.doc.clone(),
    }
}
