//! Each upstream kind end to end through the real server's login page:
//! RP → tenant `acme`'s authorize → login page → "Continue with {name}" →
//! the stand-in (GitHub at a base URL, a Google-shaped and a
//! Microsoft-shaped OpenID Provider) → `acme`'s callback → the RP's code →
//! tokens whose `amr` says how the user authenticated (RFC 8176: `fed` and
//! the upstream's kind).

use super::*;
use openidconnect::core::{CoreAuthPrompt, CoreTokenResponse};
use serde_json::{Value, json};

const FED_ACR: &str = "urn:idp:acr:fed";

/// Tenant `acme` (its web client and alice) with one stand-in upstream.
pub struct KindWorld {
    pub env: Env,
    pub standin: StandIn,
    pub kind: UpstreamKind,
    pub rp: Rp,
}

/// The upstream's id and name in `acme` for `kind`.
pub fn id_and_name(kind: UpstreamKind) -> (&'static str, &'static str) {
    match kind {
        UpstreamKind::Github => ("gh", "GitHub"),
        UpstreamKind::Google => ("google", "Google"),
        UpstreamKind::Microsoft => ("ms", "Microsoft"),
        UpstreamKind::Oidc => ("oidc", "Beta"),
    }
}

pub fn kind_of(shape: Shape) -> UpstreamKind {
    match shape {
        Shape::Github => UpstreamKind::Github,
        Shape::Google => UpstreamKind::Google,
        Shape::Microsoft => UpstreamKind::Microsoft,
    }
}

/// Makes the stand-in of `shape` an upstream of `acme` in `database_url`
/// (sign-up on, no automatic linking).
pub async fn connect(database_url: &str, standin: &StandIn, kind: UpstreamKind) {
    let (id, name) = id_and_name(kind);
    create_upstream_of(
        database_url,
        "acme",
        kind,
        &UpstreamSpec {
            id,
            name,
            issuer: standin.issuer.clone(),
            client_id: standin.client_id.clone(),
            client_secret: standin.client_secret.clone(),
            signup: true,
            auto_link: false,
        },
    )
    .await;
}

/// From a login page, "Continue with {name}" and the stand-in's answer
/// (it redirects straight back): what `acme`'s callback answers.
pub async fn continue_with(
    browser: &Browser,
    page: &Resp,
    standin: &StandIn,
    kind: UpstreamKind,
) -> Resp {
    let (id, name) = id_and_name(kind);
    assert!(
        page.body.contains(&format!("Continue with {name}")),
        "{}",
        page.body
    );
    let form = page
        .form_with(&format!("value=\"{id}\""))
        .unwrap_or_else(|| panic!("no Continue with {name}: {}", page.body));
    let to_upstream = browser.submit(&form, &[]).await;
    assert_eq!(
        to_upstream.status,
        StatusCode::SEE_OTHER,
        "{}",
        to_upstream.body
    );
    let at = to_upstream.redirect();
    assert!(at.as_str().starts_with(&standin.base), "{at}");
    let back = browser.get(at.as_str()).await;
    assert!(back.status.is_redirection(), "{}", back.body);
    let callback = back.redirect();
    assert!(
        callback
            .path()
            .ends_with(&format!("/upstream/{id}/callback")),
        "{callback}"
    );
    browser.get(callback.as_str()).await
}

impl KindWorld {
    pub async fn new(shape: Shape) -> Self {
        let env = Env::new().await;
        let standin = StandIn::start(shape).await;
        let kind = kind_of(shape);
        connect(&env.server.database_url, &standin, kind).await;
        let rp = env.rp(&env.client).await;
        Self {
            env,
            standin,
            kind,
            rp,
        }
    }

    /// A whole sign-in through the upstream in `browser` with `opts`: the
    /// tokens and the ID token's claims (nonce checked).
    pub async fn sign_in(
        &self,
        browser: &Browser,
        opts: &AuthOptions,
    ) -> (CoreTokenResponse, Value) {
        let (req, page) = self.rp.open_login(browser, opts).await;
        assert!(page.is_login_page(), "{}", page.body);
        let answer = continue_with(browser, &page, &self.standin, self.kind).await;
        let (cb, pages) = browser.finish(answer, REDIRECT_URI, &self.env.user).await;
        assert!(
            !pages.contains(&"login"),
            "signed in by the upstream: {pages:?}"
        );
        assert_eq!(cb.state.as_deref(), Some(req.state.as_str()));
        let tokens = self
            .rp
            .exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("the code redeems");
        let claims = self.rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
        assert_ne!(claims.subject().as_str(), self.env.user.id, "not alice");
        (tokens.clone(), jwt_parts(&id_token_of(&tokens)).1)
    }

    /// `user get` of `acme`'s user `id`.
    pub fn user(&self, id: &str) -> Value {
        self.env
            .server
            .cli_json(&["user", "get", "--tenant", "acme", id, "--json"], None)
    }

    /// The linked identities of `acme` as (upstream, subject, user).
    pub fn identities(&self) -> Vec<(String, String, String)> {
        let db = self.env.server.db();
        let mut stmt = db
            .prepare("SELECT upstream_id, subject, user_id FROM linked_identities ORDER BY created_at, subject")
            .expect("query");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .map(|r| r.expect("row"))
            .collect()
    }

    fn assert_federated(&self, claims: &Value, what: &str) {
        assert_eq!(
            claims["amr"],
            json!(["fed", self.kind.as_str()]),
            "{what}: {claims}"
        );
        assert_eq!(claims["acr"], FED_ACR, "{what}: {claims}");
    }

    /// What every kind must do: JIT user with what was asserted; `amr`
    /// and `acr` on the first ID token, after refresh, on SSO with
    /// `prompt=none`; a password login next door still says `pwd`. The
    /// new user's id.
    async fn assert_round_trips(&self, email: &str, email_verified: bool, name: &str) -> String {
        let browser = Browser::new();
        let (tokens, claims) = self
            .sign_in(&browser, &AuthOptions::scopes(&["offline_access", "email"]))
            .await;
        self.assert_federated(&claims, "first ID token");
        let sub = claims["sub"].as_str().expect("sub").to_owned();
        let user = self.user(&sub);
        assert_eq!(user["email"], email, "{user}");
        assert_eq!(
            user["email_verified"].as_bool().unwrap_or(false),
            email_verified,
            "{user}"
        );
        assert_eq!(user["name"], name, "{user}");

        // Refresh keeps how the session began.
        let rt = refresh_token_of(&tokens).expect("a refresh token with offline_access");
        let refreshed = self.rp.refresh(&rt).await.expect("refresh");
        self.assert_federated(&jwt_parts(&id_token_of(&refreshed)).1, "refreshed ID token");

        // Single sign-on, no prompt: the session's amr again.
        let req = self.rp.auth_request(&AuthOptions {
            prompt: Some(CoreAuthPrompt::None),
            ..AuthOptions::default()
        });
        let cb = browser.answer_to_client(req.url.as_str()).await;
        let sso = self
            .rp
            .exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("SSO code redeems");
        let sso_claims = jwt_parts(&id_token_of(&sso)).1;
        assert_eq!(sso_claims["sub"], sub.as_str());
        self.assert_federated(&sso_claims, "SSO ID token");

        // A password login still says so.
        let flow = self
            .rp
            .flow(&Browser::new(), &self.env.user, &AuthOptions::default())
            .await;
        let pwd = jwt_parts(&id_token_of(&flow.tokens)).1;
        assert_eq!(pwd["amr"], json!(["pwd"]), "{pwd}");
        sub
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn google_signs_in_a_new_user_with_fed_google() {
    let w = KindWorld::new(Shape::Google).await;
    let sub = w
        .assert_round_trips("ada@upstream.example", true, "Ada Lovelace")
        .await;
    let ids = w.identities();
    assert_eq!(
        ids,
        [(
            "google".to_owned(),
            StandInUser::default().subject,
            sub.clone()
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsoft_keys_identities_by_tenant_and_object_id() {
    let w = KindWorld::new(Shape::Microsoft).await;
    let ada = StandInUser::default();
    // Microsoft sends no email_verified: the email is kept, unverified.
    let first = w
        .assert_round_trips("ada@upstream.example", false, "Ada Lovelace")
        .await;
    assert_eq!(
        w.identities(),
        [(
            "ms".to_owned(),
            format!("{}:{}", ada.tid, ada.oid),
            first.clone()
        )]
    );

    // The same object id in another Microsoft tenant is someone else.
    w.standin.set_user(StandInUser {
        tid: "0c5f2a4e-1111-4222-8333-944455556666".into(),
        email: Some("ada@other-tenant.example".into()),
        ..ada.clone()
    });
    let (_, other) = w.sign_in(&Browser::new(), &AuthOptions::default()).await;
    assert_ne!(other["sub"], first.as_str(), "another tid, another user");
    assert_eq!(other["amr"], json!(["fed", "microsoft"]));

    // The same tid and oid with a changed email is the same person.
    w.standin.set_user(StandInUser {
        email: Some("ada.renamed@upstream.example".into()),
        ..ada
    });
    let (_, again) = w.sign_in(&Browser::new(), &AuthOptions::default()).await;
    assert_eq!(again["sub"], first.as_str(), "keyed by tid:oid, not email");
    assert_eq!(w.identities().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_through_its_base_url_keys_by_numeric_id_and_names_by_login() {
    let w = KindWorld::new(Shape::Github).await;
    // No display name at GitHub: the login stands in.
    w.standin.set_user(StandInUser {
        subject: "583231".into(),
        name: None,
        login: "octocat".into(),
        ..StandInUser::default()
    });
    let sub = w
        .assert_round_trips("ada@upstream.example", true, "octocat")
        .await;
    assert_eq!(
        w.identities(),
        [("gh".to_owned(), "583231".to_owned(), sub)]
    );
    // GitHub Enterprise Server's API under {base}/api/v3.
    assert!(w.standin.hits("/api/v3/user") >= 1);
    assert!(w.standin.hits("/api/v3/user/emails") >= 1);
}
