//! Look-alike email addresses (issue 12, defect 8): one canonical form per
//! address (`idp_core::EmailAddress`), so spellings a person cannot tell
//! apart are refused as duplicates at creation and reach the same account
//! at sign-in; invisible characters are refused outright.

use crate::support::*;

/// `user create` in `acme` that must fail; its error line.
fn refused_user(server: &TestServer, email: &str) -> String {
    let out = server.cli(
        &["user", "create", "--tenant", "acme", "--email", email],
        None,
    );
    assert!(
        !out.success,
        "{email:?} was accepted beside its look-alike: {}",
        out.stdout
    );
    out.stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn look_alike_emails_are_refused_at_user_create() {
    let server = TestServer::start().await;
    server.create_tenant("acme");
    server.create_user("acme", "alice@example.com", "Alice", PASSWORD);
    // NFC é (U+00E9).
    server.create_user("acme", "alic\u{e9}@example.com", "Alicé", PASSWORD);

    for (look_alike, why) in [
        // Fullwidth ａ (U+FF41).
        ("\u{ff41}lice@example.com", "already exists"),
        // The same in another case, with surrounding spaces.
        (" ALICE@Example.COM ", "already exists"),
        // NFD: e followed by a combining acute accent.
        ("alice\u{301}@example.com", "already exists"),
        // A zero-width space at the end.
        (
            "alice@example.com\u{200b}",
            "contains an invisible or control character (U+200B)",
        ),
        // A right-to-left override inside.
        (
            "ali\u{202e}ce@example.com",
            "contains an invisible or control character (U+202E)",
        ),
    ] {
        let stderr = refused_user(&server, look_alike);
        assert!(stderr.contains(why), "{look_alike:?}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_with_a_look_alike_spelling_reaches_the_same_account() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    // alice@acme.example, typed with a fullwidth ａ and an uppercase domain.
    let fullwidth = User {
        email: "\u{ff41}lice@ACME.example".into(),
        ..env.user.clone()
    };
    rp.assert_signs_in(&fullwidth).await;

    // With an invisible character it is no address: refused like a wrong password.
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser
        .submit_login(&page, &format!("{}\u{200b}", env.user.email), PASSWORD)
        .await;
    assert!(res.is_login_page(), "{}", res.body);
    assert!(
        res.body.contains("Wrong email or password."),
        "{}",
        res.body
    );
}
