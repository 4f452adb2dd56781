//! Write load for the crash and backup tests: HTTP writers that register
//! clients (RFC 7591) and CLI writers that create users, each recording
//! only what was acknowledged with success; and direct looks at the SQLite
//! file a server left behind.

use crate::support::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A client whose registration returned 201 with its credentials.
#[derive(Clone, Debug)]
pub struct Acked {
    pub client_id: String,
    pub client_secret: String,
    pub registration_token: String,
    /// `registration_client_uri` without the server's base URL, so it can
    /// be asked of a restarted server on another port.
    pub config_path: String,
    /// When the acknowledgement was read (after the server committed).
    pub at: Instant,
}

/// What the registration writers saw.
#[derive(Debug, Default)]
pub struct RegistrationTally {
    pub acked: Vec<Acked>,
    /// Answers other than 201 (statuses and bodies), which must not occur.
    pub refused: Vec<String>,
}

/// Registration writers running until told to stop or the server goes away.
pub struct RegistrationLoad {
    stop: Arc<AtomicBool>,
    /// Acknowledgements so far, across writers.
    acked: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<RegistrationTally>>,
}

impl RegistrationLoad {
    /// Starts `writers` tasks POSTing to `registration_endpoint` of a server
    /// whose BASE_URL is `base_url`.
    pub fn start(registration_endpoint: &str, base_url: &str, writers: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let tasks = (0..writers)
            .map(|n| {
                let (url, base, stop, acked) = (
                    registration_endpoint.to_owned(),
                    base_url.to_owned(),
                    Arc::clone(&stop),
                    Arc::clone(&acked),
                );
                tokio::spawn(register_until_stopped(url, base, stop, acked, n))
            })
            .collect();
        Self { stop, acked, tasks }
    }

    /// Waits until `n` more registrations were acknowledged (at most
    /// `limit`); returns how many there were in all.
    pub async fn wait_for_more(&self, n: usize, limit: Duration) -> usize {
        let started = Instant::now();
        let target = self.acked.load(Ordering::SeqCst) + n;
        while self.acked.load(Ordering::SeqCst) < target && started.elapsed() < limit {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        self.acked.load(Ordering::SeqCst)
    }

    /// Stops the writers and gathers what they saw.
    pub async fn finish(self) -> RegistrationTally {
        self.stop.store(true, Ordering::SeqCst);
        let mut all = RegistrationTally::default();
        for task in self.tasks {
            let tally = task.await.expect("a registration writer panicked");
            all.acked.extend(tally.acked);
            all.refused.extend(tally.refused);
        }
        all
    }
}

async fn register_until_stopped(
    url: String,
    base: String,
    stop: Arc<AtomicBool>,
    count: Arc<AtomicUsize>,
    writer: usize,
) -> RegistrationTally {
    let http = plain_client();
    let mut tally = RegistrationTally::default();
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let body = json!({
            "redirect_uris": [REDIRECT_URI],
            "client_name": format!("load {writer}-{n}"),
        });
        // A transport error means the server is gone (killed): stop.
        let Ok(res) = http.post(&url).json(&body).send().await else {
            break;
        };
        let status = res.status();
        // A body cut short by the kill is no acknowledgement.
        let Ok(text) = res.text().await else { break };
        if status != reqwest::StatusCode::CREATED {
            tally.refused.push(format!("{status}: {text}"));
            continue;
        }
        let Ok(doc) = serde_json::from_str::<Value>(&text) else {
            break;
        };
        let field = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
        let uri = field("registration_client_uri");
        tally.acked.push(Acked {
            client_id: field("client_id"),
            client_secret: field("client_secret"),
            registration_token: field("registration_access_token"),
            config_path: uri
                .strip_prefix(&base)
                .unwrap_or_else(|| panic!("{uri} is not under {base}"))
                .to_owned(),
            at: Instant::now(),
        });
        count.fetch_add(1, Ordering::SeqCst);
    }
    tally
}

/// Asserts that every client in `acked` exists on the server at
/// `base_url`: its RFC 7592 read, with its registration access token,
/// answers 200 with its `client_id`.
pub async fn assert_clients_exist(base_url: &str, acked: &[Acked]) {
    let http = plain_client();
    for a in acked {
        let url = format!("{base_url}{}", a.config_path);
        let res = http
            .get(&url)
            .bearer_auth(&a.registration_token)
            .send()
            .await
            .expect("RFC 7592 read");
        let status = res.status();
        let doc: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "acknowledged client {} is lost: {doc}",
            a.client_id
        );
        assert_eq!(doc["client_id"], a.client_id.as_str());
    }
}

/// A user whose `user create --json` exited 0.
#[derive(Clone, Debug)]
pub struct AckedUser {
    pub id: String,
    pub email: String,
}

/// Threads running `idp-server user create` one after another on the same
/// database until stopped.
pub struct CliUserLoad {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<(Vec<AckedUser>, Vec<String>)>>,
}

impl CliUserLoad {
    /// Starts `threads` CLI writers creating users of tenant `slug`; emails
    /// carry `round` so that rounds never collide.
    pub fn start(server: &ServerProcess, slug: &str, threads: usize, round: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|t| {
                let (dir, db, base, slug, stop) = (
                    server.dir.clone(),
                    server.database_url.clone(),
                    server.base_url.clone(),
                    slug.to_owned(),
                    Arc::clone(&stop),
                );
                std::thread::spawn(move || {
                    let (mut acked, mut failed) = (Vec::new(), Vec::new());
                    let mut n = 0;
                    while !stop.load(Ordering::SeqCst) {
                        n += 1;
                        let email = format!("r{round}-t{t}-{n}@load.example");
                        let out = run_cli(
                            &dir,
                            &db,
                            &base,
                            &[
                                "user",
                                "create",
                                "--tenant",
                                &slug,
                                "--email",
                                &email,
                                "--password-stdin",
                                "--json",
                            ],
                            Some(&format!("{PASSWORD}\n")),
                        );
                        if !out.success {
                            failed.push(out.stderr);
                            continue;
                        }
                        let v: Value = serde_json::from_str(&out.stdout).expect("CLI JSON");
                        let id = v["id"].as_str().expect("user id").to_owned();
                        acked.push(AckedUser { id, email });
                    }
                    (acked, failed)
                })
            })
            .collect();
        Self { stop, threads }
    }

    /// Stops the writers (each finishes its current command) and gathers
    /// the acknowledged users and the failures.
    pub fn finish(self) -> (Vec<AckedUser>, Vec<String>) {
        self.stop.store(true, Ordering::SeqCst);
        let (mut acked, mut failed) = (Vec::new(), Vec::new());
        for t in self.threads {
            let (a, f) = t.join().expect("a CLI writer panicked");
            acked.extend(a);
            failed.extend(f);
        }
        (acked, failed)
    }
}

/// The database file of `database_url` (`sqlite:PATH`).
pub fn db_path(database_url: &str) -> PathBuf {
    PathBuf::from(database_url.trim_start_matches("sqlite:"))
}

/// Opens the file as SQLite itself would after a crash (recovering the WAL)
/// and returns `PRAGMA integrity_check` and the rows `PRAGMA
/// foreign_key_check` reports.
pub fn integrity(db: &Path) -> (String, usize) {
    let conn = rusqlite::Connection::open(db).expect("open the database file");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    let mut stmt = conn
        .prepare("PRAGMA foreign_key_check")
        .expect("foreign_key_check");
    let orphans = stmt
        .query_map([], |_| Ok(()))
        .expect("foreign_key_check")
        .count();
    (check, orphans)
}

/// Which of `users` are missing from the database file.
pub fn missing_users(db: &Path, users: &[AckedUser]) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open the database file");
    users
        .iter()
        .filter(|u| {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM users WHERE id = ?1 AND email = ?2",
                    [&u.id, &u.email],
                    |r| r.get(0),
                )
                .expect("count users");
            n != 1
        })
        .map(|u| u.email.clone())
        .collect()
}

/// A confidential client of `slug` made with the CLI, allowed the code flow
/// and client credentials.
pub fn cli_client(server: &ServerProcess, slug: &str) -> RegisteredClient {
    server.create_client(
        slug,
        &ClientSpec {
            grant_types: vec!["authorization_code".into(), "client_credentials".into()],
            ..ClientSpec::confidential("Ops App")
        },
    )
}

/// A user of `slug` made with the CLI, password [`PASSWORD`].
pub fn cli_user(server: &ServerProcess, slug: &str, email: &str) -> User {
    server.create_user(slug, email, "Ops User", PASSWORD)
}

/// A client-credentials token request that must succeed.
pub async fn client_credentials_token(token_endpoint: &str, client: &RegisteredClient) -> String {
    let res = token_request(
        token_endpoint,
        ClientAuth::of(client),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status, reqwest::StatusCode::OK, "{}", res.body);
    res.json()["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}
