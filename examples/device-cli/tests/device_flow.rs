//! device-cli against the real idp server, started in-process on
//! 127.0.0.1:0: the CLI polls while a browser (reqwest with a cookie jar)
//! enters the user code on the verification page, signs in and answers.

use anyhow::{Context, anyhow, ensure};
use device_cli::{Error, Options, Prompt, sign_in};
use idp_core::store::GrantType;
use idp_core::{NewClient, NewUser};
use idp_server::config::Config;
use idp_server::server::RunningServer;
use reqwest::StatusCode;
use std::io::BufRead;
use std::time::Duration;

const KEY_HEX: &str = "abababababababababababababababababababababababababababababababab";
const EMAIL: &str = "alice@acme.example";
const PASSWORD: &str = "correct horse battery staple";

/// A running idp server with tenant `acme`, a public device client and a user.
struct Idp {
    _dir: tempfile::TempDir,
    server: RunningServer,
    issuer: String,
    client_id: String,
    /// A confidential client allowed the device grant: id and secret.
    kiosk: (String, String),
    user_id: String,
}

impl Idp {
    async fn start() -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let database_url = format!("sqlite:{}", dir.path().join("idp.db").display());
        let mut config = Config::for_tests(database_url, KEY_HEX.to_owned());
        // Poll every second instead of five.
        config.lifetimes.device_poll_interval = 1;

        // Provision through the library, on the same database.
        let provider =
            idp_server::cli::provider_for(&config).map_err(|e| anyhow!("provider: {e:?}"))?;
        let admin = provider.admin();
        admin
            .create_tenant(
                &idp_core::AuditContext::cli("test"),
                idp_core::admin::NewTenant::new("acme", "Acme"),
            )
            .await?;
        let client = admin
            .create_client(
                &idp_core::AuditContext::cli("test"),
                "acme",
                NewClient {
                    public: true,
                    grant_types: vec![GrantType::DeviceCode],
                    redirect_uris: vec![],
                    ..NewClient::new("Living Room TV", vec![])
                },
            )
            .await?;
        let kiosk = admin
            .create_client(
                &idp_core::AuditContext::cli("test"),
                "acme",
                NewClient {
                    grant_types: vec![GrantType::DeviceCode],
                    redirect_uris: vec![],
                    ..NewClient::new("Lobby Kiosk", vec![])
                },
            )
            .await?;
        let kiosk_secret = kiosk.secret.ok_or_else(|| anyhow!("no secret"))?;
        let user = admin
            .create_user(
                &idp_core::AuditContext::cli("test"),
                "acme",
                NewUser {
                    email: EMAIL.to_owned(),
                    name: Some("Alice".to_owned()),
                    password: Some(PASSWORD.to_owned()),
                    email_verified: true,
                },
            )
            .await?;
        drop(admin);
        drop(provider);

        let server = idp_server::server::start(config)
            .await
            .map_err(|e| anyhow!("server: {e}"))?;
        let issuer = format!("{}/t/acme", server.base_url);
        Ok(Self {
            _dir: dir,
            server,
            issuer,
            client_id: client.client.id.as_str().to_owned(),
            kiosk: (kiosk.client.id.as_str().to_owned(), kiosk_secret),
            user_id: user.id.as_str().to_owned(),
        })
    }

    fn options(&self) -> Options {
        Options {
            issuer: self.issuer.clone(),
            client_id: self.client_id.clone(),
            client_secret: None,
            scope: "openid email".to_owned(),
        }
    }
}

/// The value of attribute `attr` in the first tag after `marker`.
fn attribute_after(html: &str, marker: &str, attr: &str) -> anyhow::Result<String> {
    let start = html
        .find(marker)
        .ok_or_else(|| anyhow!("no {marker} in the page: {html}"))?;
    let needle = format!("{attr}=\"");
    let from = start
        + html[start..]
            .find(&needle)
            .ok_or_else(|| anyhow!("no {attr} after {marker}"))?
        + needle.len();
    let len = html[from..]
        .find('"')
        .ok_or_else(|| anyhow!("unterminated {attr}"))?;
    Ok(html[from..from + len].replace("&amp;", "&"))
}

/// A 200 page's body.
async fn page(res: reqwest::Response, what: &str) -> anyhow::Result<String> {
    let status = res.status();
    let body = res.text().await?;
    ensure!(status == StatusCode::OK, "{what}: {status}: {body}");
    Ok(body)
}

/// Acts as the person: opens the complete verification URI, confirms the
/// code, signs in and answers `decision` (`allow` or `deny`).
async fn answer(
    idp: &Idp,
    verification_uri_complete: &str,
    user_code: &str,
    client_name: &str,
    decision: &str,
) -> anyhow::Result<String> {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let issuer = &idp.issuer;

    // The entry page: the code pre-filled, a CSRF field and cookie.
    let entry = page(
        browser.get(verification_uri_complete).send().await?,
        "entry page",
    )
    .await?;
    let csrf = attribute_after(&entry, "name=\"csrf\"", "value")?;
    let prefilled = attribute_after(&entry, "id=\"user_code\"", "value")?;
    ensure!(
        prefilled == user_code,
        "pre-filled {prefilled}, expected {user_code}"
    );

    let login = page(
        browser
            .post(format!("{issuer}/device"))
            .form(&[("csrf", csrf.as_str()), ("user_code", user_code)])
            .send()
            .await?,
        "code entry",
    )
    .await?;
    ensure!(
        login.contains("id=\"password\""),
        "expected the login form: {login}"
    );

    let confirm = page(
        browser
            .post(format!("{issuer}/device/login"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("user_code", user_code),
                ("username", EMAIL),
                ("password", PASSWORD),
            ])
            .send()
            .await?,
        "login",
    )
    .await?;
    ensure!(
        confirm.contains(user_code),
        "the approval page shows the code: {confirm}"
    );
    ensure!(confirm.contains(client_name), "and the client: {confirm}");

    page(
        browser
            .post(format!("{issuer}/device/decision"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("user_code", user_code),
                ("decision", decision),
            ])
            .send()
            .await?,
        "decision",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approved_sign_in_returns_the_verified_claims() -> anyhow::Result<()> {
    let idp = Idp::start().await?;
    let (tx, rx) = tokio::sync::oneshot::channel::<Prompt>();
    let options = idp.options();
    let cli = tokio::spawn(async move {
        sign_in(&options, move |prompt| {
            let _ = tx.send(prompt.clone());
        })
        .await
    });
    let prompt = rx.await.context("the CLI shows a prompt")?;
    assert_eq!(prompt.verification_uri, format!("{}/device", idp.issuer));
    let complete = prompt
        .verification_uri_complete
        .clone()
        .ok_or_else(|| anyhow!("no verification_uri_complete"))?;
    assert!(prompt.to_string().contains(&prompt.user_code), "{prompt}");

    let done = answer(
        &idp,
        &complete,
        &prompt.user_code,
        "Living Room TV",
        "allow",
    )
    .await?;
    assert!(done.contains("Device connected"), "{done}");

    let claims = tokio::time::timeout(Duration::from_secs(30), cli).await???;
    assert_eq!(claims["sub"], idp.user_id.as_str(), "{claims}");
    assert_eq!(claims["iss"], idp.issuer.as_str(), "{claims}");
    let aud_is_client = claims["aud"] == idp.client_id.as_str()
        || claims["aud"] == serde_json::json!([idp.client_id]);
    assert!(aud_is_client, "aud is the client id: {claims}");
    idp.server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_3_when_the_user_denies() -> anyhow::Result<()> {
    let idp = Idp::start().await?;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_device-cli"))
        // `=`: a generated client id may start with `-`.
        .arg(format!("--issuer={}", idp.issuer))
        .arg(format!("--client-id={}", idp.client_id))
        .env_remove("OIDC_CLIENT_SECRET")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    // Standard error, line by line, read on a thread until the process ends.
    let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            let _ = lines_tx.send(line);
        }
    });
    // "Open URL and enter the code CODE (valid for N minutes)"
    let first_line = tokio::time::timeout(Duration::from_secs(30), lines.recv())
        .await?
        .ok_or_else(|| anyhow!("the CLI printed nothing"))?;
    let words: Vec<&str> = first_line.split_whitespace().collect();
    let (url, code) = match words.as_slice() {
        ["Open", url, "and", "enter", "the", "code", code, ..] => {
            ((*url).to_owned(), (*code).to_owned())
        }
        _ => return Err(anyhow!("unexpected prompt: {first_line}")),
    };

    let done = answer(&idp, &url, &code, "Living Room TV", "deny").await?;
    assert!(done.contains("denied"), "{done}");

    let out = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::task::spawn_blocking(move || child.wait_with_output()),
    )
    .await???;
    let mut rest = Vec::new();
    while let Some(line) = lines.recv().await {
        rest.push(line);
    }
    assert_eq!(
        out.status.code(),
        Some(3),
        "exit status for access_denied: {rest:?}"
    );
    assert!(
        rest.iter().any(|l| l.starts_with("error: access denied")),
        "a clear message: {rest:?}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", out.stdout);
    idp.server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_client_is_reported_before_any_prompt() -> anyhow::Result<()> {
    let idp = Idp::start().await?;
    let options = Options {
        client_id: "no-such-client".to_owned(),
        ..idp.options()
    };
    let shown = std::sync::atomic::AtomicBool::new(false);
    let result = sign_in(&options, |_| {
        shown.store(true, std::sync::atomic::Ordering::SeqCst)
    })
    .await;
    assert!(
        matches!(result, Err(Error::DeviceAuthorization(_))),
        "{result:?}"
    );
    assert!(
        !shown.load(std::sync::atomic::Ordering::SeqCst),
        "no prompt without codes"
    );
    idp.server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confidential_client_signs_in_with_its_secret() -> anyhow::Result<()> {
    let idp = Idp::start().await?;
    let (client_id, secret) = idp.kiosk.clone();
    let options = Options {
        client_id: client_id.clone(),
        client_secret: Some(secret),
        ..idp.options()
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<Prompt>();
    let cli = tokio::spawn(async move {
        sign_in(&options, move |prompt| {
            let _ = tx.send(prompt.clone());
        })
        .await
    });
    let prompt = rx.await.context("the CLI shows a prompt")?;
    let complete = prompt
        .verification_uri_complete
        .clone()
        .ok_or_else(|| anyhow!("no verification_uri_complete"))?;
    answer(&idp, &complete, &prompt.user_code, "Lobby Kiosk", "allow").await?;
    let claims = tokio::time::timeout(Duration::from_secs(30), cli).await???;
    assert_eq!(claims["sub"], idp.user_id.as_str(), "{claims}");
    assert_eq!(claims["aud"], client_id.as_str(), "{claims}");
    idp.server.shutdown().await;
    Ok(())
}
