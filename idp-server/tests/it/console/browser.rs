//! The console and the account page in a real headless Chromium (Debian's
//! `chromium` and `chromium-driver`): signed in with the keyboard alone,
//! every screen checked by axe-core (no serious or critical violation) and
//! photographed at 390 and 1280 px under `target/screenshots/`.

use super::console_server;
use crate::api::operators::operator;
use crate::support::*;

/// Signs `user` in to the console with the keyboard alone: Tab to each
/// field, type, Enter; the sign-in button and the platform's login page.
pub async fn keyboard_sign_in(browser: &Chromium, base_url: &str, user: &User) {
    browser.goto(&format!("{base_url}/admin")).await;
    browser.wait_for("#sign-in").await;
    browser.tab_to("#sign-in").await;
    browser.press(ENTER).await;
    browser.wait_for("#username").await;
    capture(browser, "login").await;
    browser.tab_to("#username").await;
    browser.type_text(&user.email).await;
    browser.tab_to("#password").await;
    browser.type_text(&user.password).await;
    browser.press(ENTER).await;
    browser.wait_for("#sign-out").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_run_and_sign_in_pages_are_accessible_and_keyboard_only() {
    let (server, api) = console_server().await;
    let browser = Chromium::start().await;
    browser.goto(&format!("{}/", server.base_url)).await;
    browser.wait_for("main").await;
    assert!(browser.url().await.ends_with("/admin"));
    capture(&browser, "first-run").await;

    let owner = operator(&server, &api, &["owner"]).await;
    keyboard_sign_in(&browser, &server.base_url, &owner).await;
    let who = browser.text(&browser.wait_for(".who span").await).await;
    assert_eq!(who, owner.email);
    capture(&browser, "dashboard").await;

    browser.tab_to("#sign-out").await;
    browser.press(ENTER).await;
    browser.wait_for("#sign-in").await;
    capture(&browser, "signed-out").await;
}
