//! Upstream login in a real headless Chromium (Debian's `chromium` and
//! `chromium-driver`), as a browser enforces it: "Continue with Beta"
//! reached and pressed with the keyboard, the login page's form answered
//! by a 303 to the upstream and the account page's "Link" going on through
//! its Continue page (Chrome applies CSP `form-action` to a form's
//! redirects, so both are tried against an upstream on another origin as
//! well), the sign-in-first notice, a failure page and the account page's
//! linked identities. Every page is checked by axe-core (no serious or
//! critical violation) and photographed at 390 and 1280 px.

use super::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The stand-in upstream on another origin (another port of 127.0.0.1).
const ELSEWHERE: &str = "elsewhere";

/// A World seen through Chromium: a relying party of acme whose redirect
/// URI is a local receiver, so the browser really arrives there.
struct Scene {
    w: World,
    receiver: Receiver,
    rp: Rp,
    b: Chromium,
    standin: StandIn,
}

impl Scene {
    async fn new(signup: bool, auto_link: bool) -> Self {
        let w = World::new(signup, auto_link).await;
        let receiver = Receiver::start().await;
        let client = w.env.client(&ClientSpec {
            redirect_uris: vec![receiver.url("/cb")],
            ..ClientSpec::confidential("Browser RP")
        });
        let rp = w.env.rp(&client).await;
        // A second upstream on its own origin: an OpenID Provider that
        // signs its user in without a page.
        let standin = StandIn::start(Shape::Google).await;
        create_upstream(
            &w.env.server,
            "acme",
            &UpstreamSpec {
                id: ELSEWHERE,
                name: "Elsewhere",
                issuer: standin.issuer.clone(),
                client_id: standin.client_id.clone(),
                client_secret: standin.client_secret.clone(),
                signup: true,
                auto_link: false,
            },
        )
        .await;
        let b = Chromium::start().await;
        Self {
            w,
            receiver,
            rp,
            b,
            standin,
        }
    }

    fn acme(&self) -> &str {
        &self.w.env.tenant.issuer
    }

    fn account(&self) -> String {
        format!("{}/account", self.acme())
    }

    /// Opens a fresh authorization request of the relying party: the
    /// request (state, nonce, verifier) and acme's login page on screen.
    async fn open_login(&self) -> AuthRequest {
        let req = self.rp.auth_request(&AuthOptions::default());
        self.b.goto(req.url.as_str()).await;
        wait_url(&self.b, &format!("{}/", self.acme())).await;
        self.b.wait_for("#login-form").await;
        req
    }

    /// From the page on screen, walks on (Allow on each consent page) to
    /// the relying party's redirect URI and redeems what arrives there:
    /// the verified ID token's claims as JSON.
    async fn code_to_claims(&self, req: &AuthRequest) -> Value {
        let at = walk(&self.b, &self.receiver.url("/cb"), None).await;
        let url = url::Url::parse(&at).expect("the receiver's URL");
        let cb = Callback::parse(&url);
        assert_eq!(cb.state.as_deref(), Some(req.state.as_str()), "{at}");
        assert_eq!(cb.iss.as_deref(), Some(self.acme()), "{at}");
        let tokens = self
            .rp
            .exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("the code redeems");
        self.rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
        let id_token = tokens
            .extra_fields()
            .id_token()
            .expect("an ID token")
            .to_string();
        jwt_parts(&id_token).1
    }

    /// Signs in at beta's login page (now on screen or coming) with the
    /// keyboard alone.
    async fn sign_in_at_beta(&self, user: &User) {
        wait_url(&self.b, &format!("{}/", self.w.beta.issuer)).await;
        keyboard_sign_in(&self.b, user).await;
    }

    /// Opens the account page (signing in with `password_of` if the
    /// browser has no session) and waits for the linked identities.
    async fn open_account(&self, password_of: Option<&User>) -> String {
        self.b.goto(&self.account()).await;
        if let Some(user) = password_of {
            let (i, _) = self
                .b
                .wait_for_any(&["#login-form", "#linked-identities"])
                .await;
            if i == 0 {
                keyboard_sign_in(&self.b, user).await;
            }
        }
        walk(&self.b, &self.account(), Some("#linked-identities")).await;
        self.identities().await
    }

    /// The text of the "Linked identities" list.
    async fn identities(&self) -> String {
        let list = self.b.wait_for("#linked-identities").await;
        self.b.text(&list).await
    }
}

/// Waits until the browser's URL starts with `prefix`: that URL.
async fn wait_url(b: &Chromium, prefix: &str) -> String {
    let deadline = Instant::now() + STEP;
    loop {
        let url = b.url().await;
        if url.starts_with(prefix) {
            return url;
        }
        if Instant::now() >= deadline {
            panic!("never reached {prefix}: at {url}: {}", b.source().await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Walks on from the page on screen, pressing Allow once on each consent
/// page, until the URL starts with `prefix` (and `css` is on the page):
/// that URL.
async fn walk(b: &Chromium, prefix: &str, css: Option<&str>) -> String {
    let deadline = Instant::now() + STEP;
    let mut allowed = Vec::new();
    loop {
        let url = b.url().await;
        if url.starts_with(prefix) {
            match css {
                None => return url,
                Some(css) if b.find(css).await.is_some() => return url,
                Some(_) => {}
            }
        }
        if !allowed.contains(&url)
            && let Some(allow) = b.find("#allow").await
        {
            b.click(&allow).await;
            allowed.push(url.clone());
        }
        if Instant::now() >= deadline {
            panic!("never reached {prefix}: at {url}: {}", b.source().await);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// On a login page: Tab to the email, type, Tab to the password, type,
/// Enter.
async fn keyboard_sign_in(b: &Chromium, user: &User) {
    b.wait_for("#login-form #username").await;
    b.tab_to("#username").await;
    b.type_text(&user.email).await;
    b.tab_to("#password").await;
    b.type_text(&user.password).await;
    b.press(ENTER).await;
}

/// Saves the 1280 px photograph of the login page with its "Continue with"
/// buttons as `docs/screenshots/login-upstream.png` (README), when asked
/// to with `IDP_SAVE_DOCS_SCREENSHOTS=1`.
fn save_for_docs(name: &str, doc_name: &str) {
    if std::env::var_os("IDP_SAVE_DOCS_SCREENSHOTS").is_none() {
        return;
    }
    let from = screenshot_dir().join(format!("{name}-1280.png"));
    let to = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/screenshots")
        .join(doc_name);
    std::fs::copy(&from, &to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
}

/// The headline, as a person with a keyboard does it: a relying party
/// sends the browser to acme, whose login page offers "Continue with
/// Beta"; Tab to it and Enter; beta's login page and consent; back through
/// acme's callback to the relying party, whose code redeems for an ID
/// token with `amr` `["fed", "oidc"]`. The new user's account page lists
/// Beta as their only way to sign in: no Unlink, and a forged one is
/// refused with a sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relying_party_signs_in_through_beta_with_the_keyboard_in_chromium() {
    let s = Scene::new(true, false).await;
    let bea = s.w.beta_user("bea@beta.example");
    let req = s.open_login().await;
    let button = s.b.wait_for(&format!("#upstream-{UPSTREAM}")).await;
    assert_eq!(s.b.text(&button).await, "Continue with Beta");
    let other = s.b.wait_for(&format!("#upstream-{ELSEWHERE}")).await;
    assert_eq!(s.b.text(&other).await, "Continue with Elsewhere");
    capture(&s.b, "upstream-login").await;
    save_for_docs("upstream-login", "login-upstream.png");

    s.b.tab_to(&format!("#upstream-{UPSTREAM}")).await;
    s.b.press(ENTER).await;
    s.sign_in_at_beta(&bea).await;
    let claims = s.code_to_claims(&req).await;
    assert_eq!(claims["amr"], json!(["fed", "oidc"]), "{claims}");
    assert_ne!(claims["sub"], json!(s.w.env.user.id), "a new user");

    // Bea's account page: Beta is listed and is her only way to sign in.
    let listed = s.open_account(None).await;
    assert!(listed.contains("Beta"), "{listed}");
    assert!(listed.contains("bea@beta.example"), "{listed}");
    assert!(listed.contains("Your only way to sign in"), "{listed}");
    assert!(s.b.find("[id^=\"unlink-\"]").await.is_none());
    capture(&s.b, "upstream-account-only-way").await;
    // An Unlink forged in the page is refused with a sentence.
    s.b.run(
        "const f = document.createElement('form');
         f.method = 'post'; f.action = arguments[0];
         for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value],
                               ['upstream', arguments[1]], ['subject', arguments[2]]]) {
           const i = document.createElement('input');
           i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
         }
         document.body.appendChild(f); f.submit(); return null;",
        json!([format!("{}/unlink", s.account()), UPSTREAM, bea.id]),
    )
    .await;
    let refusal = s.b.wait_for("#identity-error").await;
    let sentence = s.b.text(&refusal).await;
    assert!(!sentence.is_empty(), "a sentence");
    assert!(s.identities().await.contains("Beta"), "still linked");
}

/// Chrome applies CSP `form-action` to where a form's answer redirects:
/// "Continue with" on the login page must reach an upstream on another
/// origin, and so must "Link" on the account page (`form-action 'self'`,
/// hence its Continue page).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn continue_with_and_link_reach_an_upstream_on_another_origin_in_chromium() {
    let s = Scene::new(true, false).await;
    assert!(!s.standin.base.starts_with(&s.w.env.server.base_url));
    let req = s.open_login().await;
    s.b.tab_to(&format!("#upstream-{ELSEWHERE}")).await;
    s.b.press(ENTER).await;
    let claims = s.code_to_claims(&req).await;
    assert_eq!(claims["amr"], json!(["fed", "oidc"]), "{claims}");
    assert_eq!(
        s.standin.hits("/o/oauth2/v2/auth"),
        1,
        "the browser reached it"
    );
    let listed = s.open_account(None).await;
    assert!(listed.contains("Elsewhere"), "{listed}");

    // Alice, with a password, links the same origin-crossing upstream
    // from her account page in a fresh browser.
    let alice = Scene {
        b: Chromium::start().await,
        ..s
    };
    alice.standin.set_user(StandInUser {
        subject: "another-subject".into(),
        email: Some("alice.elsewhere@upstream.example".into()),
        ..StandInUser::default()
    });
    let listed = alice.open_account(Some(&alice.w.env.user)).await;
    assert!(!listed.contains("Elsewhere"), "{listed}");
    let link = alice.b.wait_for(&format!("#link-{ELSEWHERE}")).await;
    alice.b.click(&link).await;
    wait_url(&alice.b, &format!("{}?", alice.account())).await;
    let listed = alice.identities().await;
    assert!(listed.contains("Elsewhere"), "{listed}");
    assert_eq!(alice.standin.hits("/o/oauth2/v2/auth"), 2);
}

/// Alice (a password) links Beta from her account page, a round trip in
/// the browser through beta's pages; it is listed; Unlink; it is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_page_links_and_unlinks_beta_in_chromium() {
    let s = Scene::new(false, false).await;
    let alice_at_beta = s.w.beta_user("alice.beta@beta.example");
    let alice = s.w.env.user.clone();
    let listed = s.open_account(Some(&alice)).await;
    assert!(s.b.find("#no-identities").await.is_some(), "{listed}");
    s.b.tab_to(&format!("#link-{UPSTREAM}")).await;
    s.b.press(ENTER).await;
    s.sign_in_at_beta(&alice_at_beta).await;
    walk(
        &s.b,
        &format!("{}?", s.account()),
        Some("#linked-identities"),
    )
    .await;
    let listed = s.identities().await;
    assert!(listed.contains("Beta"), "{listed}");
    assert!(listed.contains("alice.beta@beta.example"), "{listed}");
    capture(&s.b, "upstream-account-linked").await;

    let unlink = s.b.wait_for(&format!("#unlink-{UPSTREAM}")).await;
    s.b.click(&unlink).await;
    let deadline = Instant::now() + STEP;
    while s.b.find(&format!("#unlink-{UPSTREAM}")).await.is_some() {
        assert!(Instant::now() < deadline, "{}", s.b.source().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.b.wait_for("#no-identities").await;
    assert!(!s.identities().await.contains("Beta"));
    capture(&s.b, "upstream-account-unlinked").await;
}

/// Beta vouches for alice's email but acme does not auto-link: the login
/// page says to sign in first; alice signs in with her password there and
/// the identity is linked (her account page shows it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_first_then_linked_in_chromium() {
    let s = Scene::new(true, false).await;
    let alice = s.w.env.user.clone();
    let alice_at_beta = s.w.beta_user(&alice.email);
    let req = s.open_login().await;
    s.b.tab_to(&format!("#upstream-{UPSTREAM}")).await;
    s.b.press(ENTER).await;
    s.sign_in_at_beta(&alice_at_beta).await;
    walk(&s.b, &format!("{}/", s.acme()), Some("#notice")).await;
    let notice = s.b.text(&s.b.wait_for("#notice").await).await;
    assert!(notice.to_lowercase().contains("sign in"), "{notice}");
    capture(&s.b, "upstream-sign-in-first").await;
    keyboard_sign_in(&s.b, &alice).await;
    let claims = s.code_to_claims(&req).await;
    assert_eq!(claims["sub"], json!(alice.id), "{claims}");
    let listed = s.open_account(None).await;
    assert!(listed.contains("Beta"), "{listed}");
    capture(&s.b, "upstream-account-after-sign-in-first").await;
}

/// Deny on beta's consent page: acme's failure page says what happened in
/// one sentence and its link leads back to a working sign-in page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_round_trip_shows_a_failure_page_with_a_way_back_in_chromium() {
    let s = Scene::new(true, false).await;
    let bea = s.w.beta_user("bea@beta.example");
    s.open_login().await;
    s.b.tab_to(&format!("#upstream-{UPSTREAM}")).await;
    s.b.press(ENTER).await;
    s.sign_in_at_beta(&bea).await;
    let deny = s.b.wait_for("#deny").await;
    s.b.click(&deny).await;
    wait_url(&s.b, &format!("{}/upstream/{UPSTREAM}/callback", s.acme())).await;
    let message = s.b.text(&s.b.wait_for("#message").await).await;
    assert!(message.ends_with('.'), "one sentence: {message}");
    capture(&s.b, "upstream-failure").await;
    let back = s.b.wait_for("#back").await;
    s.b.click(&back).await;
    wait_url(&s.b, &format!("{}/", s.acme())).await;
    s.b.wait_for("#login-form").await;
    assert!(s.b.find(&format!("#upstream-{UPSTREAM}")).await.is_some());
}
