//! The dashboard: after real sign-ins through a relying party (and one
//! wrong password), the analytics jobs on short intervals, the page shows
//! SVG charts and tables whose numbers are the analytics API's, for one
//! organisation and for the whole platform, over 7, 30 or 90 days.

use super::Console;
use super::browser::keyboard_sign_in;
use crate::api::Api;
use crate::api::operators::operator;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The rows of the table `id` of a page, each a list of its cells' text.
fn table_rows(body: &str, id: &str) -> Vec<Vec<String>> {
    let marker = format!("<table id=\"{id}\">");
    let Some(start) = body.find(&marker) else {
        panic!("no table {id} in {body}");
    };
    let table = &body[start..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    table
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| {
                    let cell = cell.split("</td>").next().unwrap_or_default();
                    strip_tags(cell)
                })
                .collect::<Vec<_>>()
        })
        .filter(|cells| !cells.is_empty())
        .collect()
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

/// `(date, value)` of every day of an analytics answer.
fn series(report: &Value, key: &str) -> Vec<Vec<String>> {
    report["days"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            vec![
                d["date"].as_str().unwrap_or_default().to_owned(),
                d[key].as_u64().unwrap_or(u64::MAX).to_string(),
            ]
        })
        .collect()
}

/// Polls `path` until today's logins are `logins` and its failures
/// `failures` (the flush and roll-up run on their own time), at most 20 s.
async fn settled(api: &Api, path: &str, logins: u64, failures: &Value) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = api.get(path).await;
        let today = v["days"].as_array().and_then(|d| d.last()).cloned();
        let done = today.is_some_and(|d| d["logins"] == logins && &d["failures"] == failures);
        if done || Instant::now() > deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_and_their_tables_show_the_analytics_series() {
    let server = TestServer::start_config(|c| {
        c.rate_limits.admin_api_per_key = 0;
        c.jobs.analytics_flush_interval = Some(Duration::from_millis(100));
        c.jobs.analytics_rollup_interval = Some(Duration::from_millis(200));
    })
    .await;
    let api = Api::new(&server);
    // Signed in first: the operator's own sign-in (to the platform tenant)
    // is in the platform's series before the numbers are compared.
    let console = Console::sign_in(&server, &api, &["owner"]).await;
    server.create_tenant("acme");
    let client = server.create_client("acme", &ClientSpec::confidential("Web App"));
    let alice = server.create_user("acme", "alice@acme.example", "Alice", PASSWORD);
    let rp = Rp::discover(&server.issuer("acme"), &client).await;
    rp.assert_signs_in(&alice).await;
    rp.assert_signs_in(&alice).await;
    let browser = Browser::new();
    let (_, login) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser.submit_login(&login, &alice.email, "not it").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    let failures = json!({"wrong_password": 1});
    let report = settled(&api, "/api/v1/tenants/acme/analytics", 2, &failures).await;
    let platform = settled(&api, "/api/v1/analytics", 3, &failures).await;

    let to = report["to"].as_str().unwrap_or_default().to_owned();
    let week = api
        .get(&format!(
            "/api/v1/tenants/acme/analytics?from={}&to={to}",
            report["days"][23]["date"].as_str().unwrap_or_default()
        ))
        .await;
    let page = console.get("/admin?tenant=acme&days=7").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains(
            "id=\"chart-logins\" role=\"img\" aria-labelledby=\"logins-title logins-desc\""
        ),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<title id=\"logins-title\">Logins per day</title>")
    );
    assert!(page.body.contains("<rect class=\"bar\""), "{}", page.body);
    let logins = table_rows(&page.body, "numbers-logins");
    assert_eq!(logins.len(), 7, "{logins:?}");
    assert_eq!(logins, series(&week, "logins"));
    assert_eq!(logins.last(), Some(&vec![to.clone(), "2".to_owned()]));
    assert_eq!(
        table_rows(&page.body, "numbers-active"),
        series(&week, "active_users")
    );
    assert_eq!(
        table_rows(&page.body, "numbers-signups"),
        series(&week, "signups")
    );
    assert_eq!(
        table_rows(&page.body, "numbers-failures"),
        [["Wrong password", "1"]]
    );
    let top = table_rows(&page.body, "top-clients");
    assert_eq!(top, [[client.client_id.clone(), "2".to_owned()]]);
    assert!(page.body.contains("<option value=\"7\" selected>"));

    // The default period is 30 days; the platform's series is the sum of
    // every organisation's (here, acme's).
    let page = console.get("/admin").await;
    assert!(
        page.body
            .contains("<option value=\"\" selected>All organisations")
    );
    let logins = table_rows(&page.body, "numbers-logins");
    assert_eq!(logins.len(), 30);
    assert_eq!(logins, series(&platform, "logins"));
    assert_eq!(logins.last(), Some(&vec![to.clone(), "3".to_owned()]));
    let top = table_rows(&page.body, "top-clients");
    assert_eq!(
        top,
        [
            ["acme".to_owned(), client.client_id.clone(), "2".to_owned()],
            ["platform".to_owned(), "console".to_owned(), "1".to_owned()]
        ]
    );
    // Organisations by state: the platform's own and acme.
    assert!(
        page.body
            .contains("<div class=\"n\">2</div><div class=\"l\">Organisations"),
        "{}",
        page.body
    );
    let page = console.get("/admin?days=90").await;
    assert_eq!(table_rows(&page.body, "numbers-logins").len(), 90);

    // In Chromium: accessible at both widths, and a chart's numbers open
    // with the keyboard.
    let owner = operator(&server, &api, &["owner"]).await;
    let browser = Chromium::start().await;
    keyboard_sign_in(&browser, &server.base_url, &owner).await;
    browser
        .goto(&format!("{}/admin?tenant=acme&days=7", server.base_url))
        .await;
    browser.wait_for("#chart-logins").await;
    capture(&browser, "dashboard-organisation").await;
    browser.tab_to("#logins-heading ~ details summary").await;
    browser.press(ENTER).await;
    let open = browser
        .run(
            "return document.querySelector('#logins-heading ~ details').open;",
            json!([]),
        )
        .await;
    assert_eq!(open, Value::Bool(true));
    browser.goto(&format!("{}/admin", server.base_url)).await;
    browser.wait_for("#chart-logins").await;
    capture(&browser, "dashboard-platform").await;
}
