//! `GET /api/v1/tenants/{slug}/users/export` (issue 17): every user, no
//! secret, as JSON Lines or CSV (RFC 4180, formula-safe), streamed with
//! chunked transfer coding from keyset pages. 5,000 users are written
//! straight into the database (the bulk import port) so the test spends
//! its time on the export, which is read over real HTTP.

use crate::api::{Api, Req, api_server, assert_problem, create_key, text};
use idp_core::ids::{TenantId, UserId};
use idp_core::store::{UserRecord, UserStore};
use idp_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

const USERS: usize = 5_000;
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

/// Tenant `acme` with [`USERS`] users (one named like a formula, one with
/// a comma and quotes), the first holding role `admin`.
async fn seeded(api: &Api, database_url: &str) -> Vec<String> {
    let t = api
        .create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let tenant = TenantId::new(text(&t["id"]));
    let users: Vec<UserRecord> = (0..USERS)
        .map(|i| UserRecord {
            id: UserId::new(format!("u{i:05}")),
            email: format!("user{i}@example.com"),
            email_verified: i % 2 == 0,
            name: Some(match i {
                1 => "=HYPERLINK(\"http://evil.example\",\"click\")".to_owned(),
                2 => "Lovelace, \"Ada\"".to_owned(),
                3 => "-2+3".to_owned(),
                _ => format!("User {i}"),
            }),
            password_hash: Some(HASH.to_owned()),
            disabled: i == 4,
            created_at: 1_700_000_000 + i as i64,
            updated_at: 1_700_000_000 + i as i64,
        })
        .collect();
    let store = SqliteStore::open(database_url).expect("the database opens a second time");
    store
        .create_users(&tenant, &users)
        .await
        .expect("bulk users");
    api.create("/api/v1/tenants/acme/roles", &json!({"name": "admin"}))
        .await;
    let res = api
        .send(Req::new(
            reqwest::Method::PUT,
            "/api/v1/tenants/acme/users/u00000/roles/admin",
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    users
        .into_iter()
        .map(|u| u.id.as_str().to_owned())
        .collect()
}

/// Reads an export as a client does: status, headers, how many reads the
/// body took, and the body.
async fn export(
    api: &Api,
    query: &str,
    key: &str,
) -> (StatusCode, reqwest::header::HeaderMap, usize, String) {
    let url = format!("{}/api/v1/tenants/acme/users/export{query}", api.base_url);
    let mut res = crate::support::plain_client()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .expect("export request");
    let (status, headers) = (res.status(), res.headers().clone());
    let (mut reads, mut body) = (0, Vec::new());
    while let Some(chunk) = res.chunk().await.expect("export body") {
        reads += 1;
        body.extend_from_slice(&chunk);
    }
    (
        status,
        headers,
        reads,
        String::from_utf8(body).expect("UTF-8"),
    )
}

/// Parses RFC 4180 CSV (CRLF records, quoted fields with doubled quotes).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell) = (Vec::new(), Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => {
                assert!(c != '"' && c != '\n' && c != '\r', "bare {c:?} in CSV");
                cell.push(c);
            }
        }
    }
    assert!(
        !quoted && cell.is_empty() && row.is_empty(),
        "CSV ends mid-record"
    );
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_users_stream_as_json_lines_and_csv() {
    let server = api_server().await;
    let api = Api::new(&server);
    let ids = seeded(&api, &server.database_url).await;

    let (status, headers, reads, body) = export(&api, "", &api.key.key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/x-ndjson");
    assert_eq!(headers["transfer-encoding"], "chunked");
    assert!(headers.get("content-length").is_none());
    assert!(reads > 1, "the body came in {reads} read(s)");
    assert!(
        !body.contains("argon2") && !body.contains("password"),
        "a secret leaked"
    );
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), USERS);
    let exported: Vec<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(exported, ids, "every user once, by id");
    assert_eq!(lines[0]["roles"], json!(["admin"]));
    assert_eq!(lines[4]["disabled"], true);
    assert_eq!(lines[7]["created_at"], "2023-11-14T22:13:27Z");
    let mut fields: Vec<&String> = lines[0]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    fields.sort();
    assert_eq!(
        fields,
        [
            "created_at",
            "disabled",
            "email",
            "email_verified",
            "id",
            "name",
            "roles"
        ]
    );

    let (status, headers, _, body) = export(&api, "?format=csv", &api.key.key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(!body.contains("argon2"), "a secret leaked");
    let rows = parse_csv(&body);
    assert_eq!(rows.len(), USERS + 1);
    assert_eq!(
        rows[0],
        [
            "id",
            "email",
            "email_verified",
            "name",
            "disabled",
            "created_at",
            "roles"
        ]
    );
    assert_eq!(rows[1][6], "admin");
    assert_eq!(rows[2][3], "'=HYPERLINK(\"http://evil.example\",\"click\")");
    assert_eq!(rows[3][3], "Lovelace, \"Ada\"");
    assert_eq!(rows[4][3], "'-2+3");
    assert!(rows.iter().all(|r| r.len() == 7));
    assert!(
        rows.iter()
            .skip(1)
            .all(|r| !r[3].starts_with(['=', '+', '-', '@']))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_is_a_tenant_read() {
    let server = api_server().await;
    let api = Api::new(&server);
    api.create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    api.create("/api/v1/tenants", &json!({"slug": "other"}))
        .await;
    api.create(
        "/api/v1/tenants/acme/users",
        &json!({"email": "a@example.com"}),
    )
    .await;
    let reader = create_key(&server, &["--tenant", "acme", "--read-only"]);
    let (status, _, _, body) = export(&api, "?format=jsonl", &reader.key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.lines().count(), 1);
    let res = api
        .send(Req::get("/api/v1/tenants/other/users/export").token(&reader.key))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
    let res = api
        .send(Req::get("/api/v1/tenants/acme/users/export?format=xml"))
        .await;
    let p = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "format", "{p}");
    let res = api
        .send(Req::get("/api/v1/tenants/nope/users/export"))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
}
