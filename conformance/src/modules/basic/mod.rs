//! Basic OP (`oidcc-basic-certification-test-plan`) for static clients: the
//! code flow with `client_secret_basic` and one `client_secret_post` module.
//! Every module runs the suite's generic sequence: discovery and keys are
//! fetched once ([`Op::discover`]); each module uses a fresh browser.

mod errors;
mod happy;
pub(crate) mod refresh;
mod session;

use crate::report::{Checks, Report, Status};
use crate::rp::agent::{Agent, Arrival, Callback};
use crate::rp::checks;
use crate::rp::op::{ClientAuth, Op, UserinfoCall, random_alnum};
use crate::rp::target::StaticClient;
use serde_json::Value;

/// The plan's modules, in the suite's order (the three dynamic-only ones are
/// not applicable to static clients and not listed).
pub const MODULES: [&str; 35] = [
    "oidcc-server",
    "oidcc-response-type-missing",
    "oidcc-userinfo-get",
    "oidcc-userinfo-post-header",
    "oidcc-userinfo-post-body",
    "oidcc-ensure-request-without-nonce-succeeds-for-code-flow",
    "oidcc-scope-profile",
    "oidcc-scope-email",
    "oidcc-scope-address",
    "oidcc-scope-phone",
    "oidcc-scope-all",
    "oidcc-alternate-happy-flow",
    "oidcc-display-page",
    "oidcc-display-popup",
    "oidcc-prompt-login",
    "oidcc-prompt-none-not-logged-in",
    "oidcc-prompt-none-logged-in",
    "oidcc-max-age-1",
    "oidcc-max-age-10000",
    "oidcc-ensure-request-with-unknown-parameter-succeeds",
    "oidcc-id-token-hint",
    "oidcc-login-hint",
    "oidcc-ui-locales",
    "oidcc-claims-locales",
    "oidcc-ensure-request-with-acr-values-succeeds",
    "oidcc-codereuse",
    "oidcc-codereuse-30seconds",
    "oidcc-ensure-registered-redirect-uri",
    "oidcc-ensure-post-request-succeeds",
    "oidcc-server-client-secret-post",
    "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
    "oidcc-claims-essential",
    "oidcc-ensure-request-object-with-redirect-uri",
    "oidcc-refresh-token",
    "oidcc-ensure-request-with-valid-pkce-succeeds",
];

/// Runs module `id` (one of [`MODULES`]).
pub async fn run(id: &'static str, op: &Op) -> Report {
    let mut c = Checks::default();
    let Some(client) = op.target.client.clone() else {
        return Report::skipped(
            id,
            "no static client configured (--client-id, --client-secret)",
        );
    };
    if op.target.user.is_none() {
        return Report::skipped(id, "no test user configured (--username, --password)");
    }
    let env = Env {
        op,
        client,
        c: &mut c,
        auth: ClientAuth::Basic,
    };
    let skipped = match id {
        "oidcc-server" => happy::server(env).await,
        "oidcc-response-type-missing" => errors::response_type_missing(env).await,
        "oidcc-userinfo-get" => happy::userinfo(env, UserinfoCall::Get).await,
        "oidcc-userinfo-post-header" => happy::userinfo(env, UserinfoCall::PostHeader).await,
        "oidcc-userinfo-post-body" => happy::userinfo(env, UserinfoCall::PostBody).await,
        "oidcc-ensure-request-without-nonce-succeeds-for-code-flow" => {
            happy::without_nonce(env).await
        }
        "oidcc-scope-profile" => happy::scopes(env, &["profile"]).await,
        "oidcc-scope-email" => happy::scopes(env, &["email"]).await,
        "oidcc-scope-address" => happy::scopes(env, &["address"]).await,
        "oidcc-scope-phone" => happy::scopes(env, &["phone"]).await,
        "oidcc-scope-all" => happy::scopes(env, &["email", "phone", "address", "profile"]).await,
        "oidcc-alternate-happy-flow" => happy::alternate(env).await,
        "oidcc-display-page" => happy::with_param(env, "display", "page").await,
        "oidcc-display-popup" => happy::with_param(env, "display", "popup").await,
        "oidcc-prompt-login" => session::prompt_login(env).await,
        "oidcc-prompt-none-not-logged-in" => session::prompt_none_not_logged_in(env).await,
        "oidcc-prompt-none-logged-in" => session::prompt_none_logged_in(env).await,
        "oidcc-max-age-1" => session::max_age_1(env).await,
        "oidcc-max-age-10000" => session::max_age_10000(env).await,
        "oidcc-ensure-request-with-unknown-parameter-succeeds" => {
            happy::with_param(env, "extra", "foobar").await
        }
        "oidcc-id-token-hint" => session::id_token_hint(env).await,
        "oidcc-login-hint" => happy::login_hint(env).await,
        "oidcc-ui-locales" => happy::with_param(env, "ui_locales", "se").await,
        "oidcc-claims-locales" => happy::with_param(env, "claims_locales", "se").await,
        "oidcc-ensure-request-with-acr-values-succeeds" => happy::acr_values(env).await,
        "oidcc-codereuse" => errors::codereuse(env, 0).await,
        "oidcc-codereuse-30seconds" => errors::codereuse(env, 30).await,
        "oidcc-ensure-registered-redirect-uri" => errors::unregistered_redirect_uri(env).await,
        "oidcc-ensure-post-request-succeeds" => happy::post_request(env).await,
        "oidcc-server-client-secret-post" => happy::client_secret_post(env).await,
        "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported" => {
            errors::unsigned_request_object(env).await
        }
        "oidcc-claims-essential" => happy::claims_essential(env).await,
        "oidcc-ensure-request-object-with-redirect-uri" => {
            errors::request_object_with_redirect_uri(env).await
        }
        "oidcc-refresh-token" => refresh::refresh_token(env).await,
        "oidcc-ensure-request-with-valid-pkce-succeeds" => happy::pkce(env).await,
        _ => Some(format!("unknown module {id}")),
    };
    match skipped {
        Some(reason) if c.0.iter().all(|o| o.status == Status::Pass) => {
            Report::skipped(id, &reason)
        }
        _ => Report {
            plan: "",
            module: id,
            outcomes: c.0,
        },
    }
}

/// What a module works with. A module returns `Some(reason)` to be skipped.
pub struct Env<'a> {
    pub op: &'a Op,
    pub client: StaticClient,
    pub c: &'a mut Checks,
    /// How [`Env::login`] authenticates the client.
    pub auth: ClientAuth,
}

/// An authorization request being built.
#[derive(Clone, Debug)]
pub struct AuthRequest {
    pub params: Vec<(String, String)>,
}

impl AuthRequest {
    /// `response_type=code`, `client_id`, `redirect_uri`, `scope=openid`,
    /// and a 10-character `state` and `nonce`, as `CreateAuthorizationRequestSteps`.
    pub fn standard(op: &Op, client: &StaticClient) -> Self {
        Self {
            params: vec![
                ("client_id".into(), client.id.clone()),
                ("redirect_uri".into(), op.target.redirect_uri.clone()),
                ("response_type".into(), "code".into()),
                ("scope".into(), "openid".into()),
                ("state".into(), random_alnum(10)),
                ("nonce".into(), random_alnum(10)),
            ]
            .into_iter()
            .chain(
                op.response_mode
                    .map(|m| ("response_mode".to_owned(), m.to_owned())),
            )
            .collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self.params.push((name.into(), value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.params.retain(|(k, _)| k != name);
        self
    }
}

/// The result of a successful code flow.
pub struct Login {
    pub tokens: Value,
    pub id_token: String,
    pub claims: Value,
    pub access_token: String,
}

impl Env<'_> {
    /// Sends the browser to the authorization endpoint and expects the OP to
    /// answer the client (not stop on a page of its own).
    pub async fn authorize(&mut self, agent: &Agent, req: &AuthRequest) -> Option<Callback> {
        match agent.navigate(&self.op.auth_url(&req.params)).await {
            Arrival::Callback(cb) => Some(cb),
            Arrival::Page { status, body, .. } => {
                let text: String = body.chars().take(300).collect();
                self.c.check(
                    "CallAuthorizationEndpoint",
                    false,
                    Status::Fail,
                    format!("the OP stopped on a page ({status}): {text}"),
                );
                None
            }
            Arrival::Failed(e) => {
                self.c
                    .check("CallAuthorizationEndpoint", false, Status::Fail, e);
                None
            }
        }
    }

    /// The rest of a code flow after the callback: response checks, token
    /// request, token and ID-token checks, and the userinfo call every module makes.
    pub async fn finish(
        &mut self,
        req: &AuthRequest,
        cb: Callback,
        auth: ClientAuth,
        extra: &[(&str, &str)],
    ) -> Option<Login> {
        let code = checks::authorization_response(self.c, self.op, &cb, req.get("state"))?;
        drop(cb);
        let mut params = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", self.op.target.redirect_uri.as_str()),
        ];
        params.extend_from_slice(extra);
        let res = self.op.token(&self.client, auth, &params).await;
        let tokens = checks::token_response(self.c, &res, Status::Warning)?;
        let id_token = tokens["id_token"].as_str()?.to_owned();
        let access_token = tokens["access_token"].as_str().unwrap_or("").to_owned();
        let claims = checks::id_token(
            self.c,
            self.op,
            &self.client.id,
            &id_token,
            req.get("nonce"),
        )?;
        checks::hashes(self.c, &id_token, Some(&access_token), Some(&code));
        let info = self.op.userinfo(&access_token, UserinfoCall::Get).await;
        self.c.check(
            "CallUserInfoEndpointWithBearerToken",
            info.status == 200,
            Status::Fail,
            format!("userinfo status {}: {}", info.status, info.body),
        );
        Some(Login {
            tokens,
            id_token,
            claims,
            access_token,
        })
    }

    /// A whole code flow in `agent`.
    pub async fn login(&mut self, agent: &Agent, req: &AuthRequest) -> Option<Login> {
        let cb = self.authorize(agent, req).await?;
        let auth = self.auth;
        self.finish(req, cb, auth, &[]).await
    }

    /// A fresh browser, or a failed check.
    pub fn agent(&mut self) -> Option<Agent> {
        match self.op.agent() {
            Ok(a) => Some(a),
            Err(e) => {
                self.c.check("CreateBrowser", false, Status::Fail, e);
                None
            }
        }
    }
}
