//! Failed logins per account are counted in the database, so that N
//! instances do not give an attacker N times the guesses: failures split
//! between two instances lock the (account, address) pair on both.

use super::*;
use reqwest::StatusCode;

/// A fresh browser on the login page of a new authorization request sent
/// to the instance at `base` (the pages are the same behind BASE_URL).
async fn login_page(rp: &Rp, from_base: &str, base: &str) -> (Browser, Resp) {
    let browser = Browser::new();
    let request = rp.auth_request(&AuthOptions::default());
    let url = request.url.as_str().replacen(from_base, base, 1);
    let res = browser.get(&url).await;
    let login = res.redirect().as_str().replacen(from_base, base, 1);
    let page = browser.get(&login).await;
    assert!(page.is_login_page(), "{}", page.body);
    (browser, page)
}

/// Submits the login form of `page` to the instance at `base`.
async fn submit(
    browser: &Browser,
    page: &Resp,
    from_base: &str,
    base: &str,
    email: &str,
    password: &str,
) -> Resp {
    let form = page
        .form_with("name=\"password\"")
        .unwrap_or_else(|| panic!("no login form: {}", page.body));
    let fields = form.filled(&[("username", email), ("password", password)]);
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let action = form.action.as_str().replacen(from_base, base, 1);
    browser.post_form(&action, &fields).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_counted_across_instances() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    // Five failures per (account, address) lock the pair for 30 s; nothing
    // exempt (the test speaks from loopback), per-address limits off.
    let limits = [
        ("RATE_LIMIT_EXEMPT", ""),
        ("RATE_LIMIT_LOGIN_ACCOUNT", "5"),
        ("RATE_LIMIT_LOGIN_IP", "0"),
        ("RATE_LIMIT_SLOWDOWN_MAX_MS", "1"),
    ];
    let a = instance(dir.path(), &db, &limits);
    let b_env: Vec<(&str, &str)> = limits
        .iter()
        .copied()
        .chain([("BASE_URL", a.base_url.as_str())])
        .collect();
    let b = instance(dir.path(), &db, &b_env);
    let tenant = a.create_tenant("acme");
    let client = a.create_client("acme", &ClientSpec::confidential("App"));
    let user = a.create_user("acme", "ada@example.com", "Ada", PASSWORD);
    let rp = Rp::discover(&tenant.issuer, &client).await;
    let b_base = format!("http://localhost:{}", b.port);

    // Three wrong passwords on A, two on B: five for the pair in all.
    for (base, tries) in [(a.base_url.as_str(), 3), (b_base.as_str(), 2)] {
        let (browser, mut page) = login_page(&rp, &a.base_url, base).await;
        for _ in 0..tries {
            page = submit(&browser, &page, &a.base_url, base, &user.email, "wrong").await;
            assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
        }
    }
    // Each instance alone saw fewer than five; together they lock the pair,
    // even for the right password, on both.
    for base in [a.base_url.as_str(), b_base.as_str()] {
        let (browser, page) = login_page(&rp, &a.base_url, base).await;
        let locked = submit(
            &browser,
            &page,
            &a.base_url,
            base,
            &user.email,
            &user.password,
        )
        .await;
        assert_eq!(
            locked.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{base}: {}",
            locked.body
        );
        assert!(
            locked.header("retry-after").is_some(),
            "{:?}",
            locked.headers
        );
    }
    // Another account from the same address is not locked.
    let other = a.create_user("acme", "grace@example.com", "Grace", PASSWORD);
    let (browser, page) = login_page(&rp, &a.base_url, &b_base).await;
    let res = submit(
        &browser,
        &page,
        &a.base_url,
        &b_base,
        &other.email,
        &other.password,
    )
    .await;
    assert!(res.status.is_redirection(), "{}: {}", res.status, res.body);
    drop((a, b));
}
