//! `kill -9` under concurrent writes loses nothing that was acknowledged.
//!
//! SQLite in WAL mode with `synchronous=NORMAL` appends each committed
//! transaction to the WAL with write(2) before the commit returns; a killed
//! process leaves those pages in the kernel's page cache, and the next
//! opener replays them. (Power loss is another matter: see the README's
//! durability statement.)

use super::load::*;
use crate::support::*;
use std::time::Duration;

/// When each round kills the server: once this many more registrations were
/// acknowledged, after a pause that puts the kill at a different phase of
/// the load (right away; mid-stream; later), and whether the CLI writers are
/// still running then. When they are not, the killed server's WAL is left
/// with no process holding it and the next opener must recover it; when
/// they are, the last of them to close checkpoints it.
const KILL_AT: [(usize, Duration, bool); 3] = [
    (3, Duration::ZERO, false),
    (40, Duration::from_millis(250), false),
    (100, Duration::from_millis(1500), true),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_under_concurrent_writes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut server = ServerProcess::spawn(dir.path(), &[]);
    let db = db_path(&server.database_url);
    server.cli_json(
        &[
            "tenant",
            "create",
            "load",
            "--dynamic-registration",
            "--json",
        ],
        None,
    );
    let (mut clients, mut users) = (Vec::new(), Vec::new());
    for (round, (acks, pause, cli_at_kill)) in KILL_AT.into_iter().enumerate() {
        let endpoints = discover(&server.issuer("load")).await;
        let registration = endpoints.doc["registration_endpoint"]
            .as_str()
            .expect("registration_endpoint");
        let http_load = RegistrationLoad::start(registration, &server.base_url, 6);
        let cli_load = CliUserLoad::start(&server, "load", 2, round);
        let cli = if cli_at_kill {
            Err(cli_load)
        } else {
            Ok(finish_cli(cli_load).await)
        };
        let seen = http_load.wait_for_more(acks, Duration::from_secs(30)).await;
        tokio::time::sleep(pause).await;
        server.kill9();
        let tally = http_load.finish().await;
        // The CLI processes are not the server: they finish what they began.
        let (cli_acked, cli_failed) = match cli {
            Ok(done) => done,
            Err(running) => finish_cli(running).await,
        };
        assert!(
            tally.refused.is_empty(),
            "round {round}: registrations refused under load: {:?}",
            &tally.refused[..tally.refused.len().min(3)]
        );
        assert!(
            cli_failed.is_empty(),
            "round {round}: CLI writes failed next to the server: {:?}",
            &cli_failed[..cli_failed.len().min(3)]
        );
        eprintln!(
            "round {round}: killed {pause:?} after {seen} acknowledgements: {} registrations acknowledged in all, {} CLI users",
            tally.acked.len(),
            cli_acked.len()
        );
        assert!(
            !tally.acked.is_empty(),
            "round {round}: no registration was acknowledged before the kill; the test proves nothing"
        );
        clients.extend(tally.acked);
        users.extend(cli_acked);

        // The file the killed server left: intact, and every acknowledged
        // row of every round so far is in it.
        let (check, orphans) = integrity(&db);
        assert_eq!(check, "ok", "round {round}: PRAGMA integrity_check");
        assert_eq!(orphans, 0, "round {round}: PRAGMA foreign_key_check");
        let missing = missing_users(&db, &users);
        assert!(
            missing.is_empty(),
            "round {round}: acknowledged users lost: {missing:?}"
        );

        // A new server on the same file serves every acknowledged client.
        server = ServerProcess::spawn(dir.path(), &[]);
        assert_clients_exist(&server.base_url, &clients).await;
    }
    assert!(
        !users.is_empty(),
        "no CLI user was acknowledged in any round; the test proves nothing"
    );
    // An acknowledged CLI user logs in on the last restarted server, and an
    // acknowledged registration's credentials are accepted.
    let endpoints = discover(&server.issuer("load")).await;
    let web = cli_client(&server, "load");
    let last = users.last().expect("a user");
    let user = User {
        id: last.id.clone(),
        email: last.email.clone(),
        name: String::new(),
        password: PASSWORD.to_owned(),
    };
    let rp = Rp::discover(&endpoints.issuer, &web).await;
    rp.assert_signs_in(&user).await;
    let first = clients.first().expect("a client");
    let registered = RegisteredClient {
        client_id: first.client_id.clone(),
        client_secret: Some(first.client_secret.clone()),
        redirect_uri: REDIRECT_URI.to_owned(),
        auth_method: "client_secret_basic".into(),
        json: serde_json::Value::Null,
    };
    // Its secret authenticates it: a code it was never given is refused as a
    // bad grant, not as an unknown client.
    token_request(
        &endpoints.token,
        ClientAuth::of(&registered),
        &[
            ("grant_type", "authorization_code"),
            ("code", "never-issued"),
            ("redirect_uri", REDIRECT_URI),
        ],
    )
    .await
    .assert_oauth_error(reqwest::StatusCode::BAD_REQUEST, "invalid_grant");
}

/// Stops the CLI writers (each finishes its current command).
async fn finish_cli(load: CliUserLoad) -> (Vec<AckedUser>, Vec<String>) {
    tokio::task::spawn_blocking(move || load.finish())
        .await
        .expect("CLI writers")
}
