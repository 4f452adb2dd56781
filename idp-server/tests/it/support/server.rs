//! The server and the CLI: a real server over a temporary directory, CLI runs, provisioning.

use super::*;
use idp_server::config::Config;
use idp_server::server::RunningServer;
use reqwest::StatusCode;
use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tempfile::TempDir;

/// A server over its own temporary directory, allowed to request loopback
/// over http ([`allow_loopback_outbound`]).
pub struct TestServer {
    /// Holds the SQLite file; removed on drop.
    pub dir: TempDir,
    /// `sqlite:{dir}/idp.db`.
    pub database_url: String,
    /// BASE_URL in effect (`http://localhost:{port}`).
    pub base_url: String,
    /// The bound port.
    pub port: u16,
    /// Where `/metrics` is served when `METRICS_ADDR` was set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    lifetimes: idp_core::Lifetimes,
    running: Option<RunningServer>,
}

/// Lifetimes of test servers: the defaults, with a 1-second device polling
/// interval so device-flow tests need not wait 5 seconds per poll.
pub fn test_lifetimes() -> idp_core::Lifetimes {
    idp_core::Lifetimes {
        device_poll_interval: 1,
        tenant_cache: 1,
        ..idp_core::Lifetimes::default()
    }
}

/// Lets a test server request the test's own listeners on loopback over
/// plain http (`OUTBOUND_ALLOW=127.0.0.1/32,::1/128`,
/// `OUTBOUND_ALLOW_HTTP=on`): every [`TestServer`] and CLI run has it; the
/// SSRF tests take it away to see the guard.
pub fn allow_loopback_outbound(config: &mut Config) {
    config.outbound = idp_server::outbound::loopback_policy();
}

/// Runs `idp-server ARGS` in `dir` on `database_url`, `stdin` on its input.
pub fn run_cli(
    dir: &std::path::Path,
    database_url: &str,
    base_url: &str,
    args: &[&str],
    stdin: Option<&str>,
) -> CliOutput {
    use std::io::Write;
    let mut child = idp_command(dir)
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("ENCRYPTION_KEY", KEY_HEX)
        .env("BASE_URL", base_url)
        .env("OUTBOUND_ALLOW", idp_server::outbound::LOOPBACK_ALLOW)
        .env("OUTBOUND_ALLOW_HTTP", "on")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the idp-server binary runs");
    {
        let mut input = child.stdin.take().expect("stdin is piped");
        if let Some(text) = stdin {
            input
                .write_all(text.as_bytes())
                .expect("write to the CLI's stdin");
        }
    }
    let out = child.wait_with_output().expect("the CLI finishes");
    CliOutput {
        status: out.status.to_string(),
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A server with one tenant, `open`, that accepts dynamic client
/// registration (RFC 7591), and its discovered endpoints.
pub async fn open_tenant() -> (TestServer, Endpoints) {
    open_tenant_on(TestServer::start().await).await
}

/// [`open_tenant`] on a server already started.
pub async fn open_tenant_on(server: TestServer) -> (TestServer, Endpoints) {
    let out = server.cli(
        &["tenant", "create", "open", "--dynamic-registration"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let endpoints = discover(&server.issuer("open")).await;
    (server, endpoints)
}

/// POSTs `body` to the tenant's registration endpoint (RFC 7591 §3.1).
pub async fn register(endpoints: &Endpoints, body: &Value) -> Resp {
    let url = endpoints.doc["registration_endpoint"]
        .as_str()
        .expect("registration_endpoint");
    let res = plain_client()
        .post(url)
        .json(body)
        .send()
        .await
        .expect("registration request");
    Resp::read(url::Url::parse(url).expect("URL"), res).await
}

/// What a CLI run printed.
#[derive(Debug)]
pub struct CliOutput {
    /// Exit status as printed (code or signal).
    pub status: String,
    /// Exit status was success.
    pub success: bool,
    /// The exit code (`None` if a signal ended it).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl CliOutput {
    /// What the run of `args` printed as JSON; it must have succeeded.
    pub fn json(&self, args: &[&str]) -> Value {
        assert!(
            self.success,
            "`idp-server {}` failed ({}): {}{}",
            args.join(" "),
            self.status,
            self.stderr,
            self.stdout
        );
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`idp-server {}` printed no JSON ({e}): {}",
                args.join(" "),
                self.stdout
            )
        })
    }
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with a fresh database.
    pub async fn start() -> Self {
        Self::start_with(test_lifetimes()).await
    }

    /// Starts a server with these lifetimes.
    pub async fn start_with(lifetimes: idp_core::Lifetimes) -> Self {
        Self::start_config(|c| c.lifetimes = lifetimes).await
    }

    /// Starts a server with the test lifetimes and whatever `adjust`
    /// changes (limits, `TRUST_PROXY`, BASE_URL). [`TestServer::restart`]
    /// does not repeat the adjustment.
    pub async fn start_config(adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = format!("sqlite:{}", dir.path().join("idp.db").display());
        let mut config = Config::for_tests(database_url.clone(), KEY_HEX.to_owned());
        config.lifetimes = test_lifetimes();
        allow_loopback_outbound(&mut config);
        adjust(&mut config);
        let lifetimes = config.lifetimes.clone();
        let running = idp_server::server::start(config)
            .await
            .expect("the server starts on 127.0.0.1:0");
        let base_url = running.base_url.clone();
        let port = running.addr.port();
        let metrics_addr = running.metrics_addr;
        assert!(
            running.addr.ip().is_loopback(),
            "server bound to {} instead of the loopback address",
            running.addr
        );
        Self {
            dir,
            database_url,
            base_url,
            port,
            metrics_addr,
            lifetimes,
            running: Some(running),
        }
    }

    /// Stops the server gracefully and starts a new one on the same
    /// database, port and BASE_URL (a restarted deployment keeps its URL).
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// [`TestServer::restart`], with whatever `adjust` changes (jobs,
    /// policies) on the new server; the port, BASE_URL and lifetimes stay.
    pub async fn restart_with(&mut self, adjust: impl Fn(&mut Config)) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
        let mut last_error = String::new();
        for _ in 0..50 {
            let mut config = Config::for_tests(self.database_url.clone(), KEY_HEX.to_owned());
            config.port = self.port;
            config.base_url = Some(self.base_url.clone());
            config.lifetimes = self.lifetimes.clone();
            allow_loopback_outbound(&mut config);
            adjust(&mut config);
            match idp_server::server::start(config).await {
                Ok(running) => {
                    assert_eq!(running.base_url, self.base_url);
                    self.running = Some(running);
                    return;
                }
                Err(e) => {
                    last_error = format!("{e:?}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!(
            "the server did not restart on port {}: {last_error}",
            self.port
        );
    }

    /// Stops the server.
    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// Opens the server's SQLite file (a second connection, as another
    /// process would).
    pub fn db(&self) -> rusqlite::Connection {
        let conn = rusqlite::Connection::open(self.dir.path().join("idp.db")).expect("open the db");
        conn.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        conn
    }

    /// Bytes the database occupies on disk: the file and its write-ahead log.
    pub fn db_bytes(&self) -> u64 {
        ["idp.db", "idp.db-wal"]
            .iter()
            .filter_map(|f| std::fs::metadata(self.dir.path().join(f)).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// What the CLI runs against: the database of a [`TestServer`] or a
/// [`ServerProcess`]. Each says how to run the CLI on it; the commands the
/// tests provision with are written once, here.
pub trait Cli {
    /// `{base_url}/t/{slug}`.
    fn issuer(&self, slug: &str) -> String;

    /// Runs `idp-server ARGS` on this server's database, `stdin` on its input.
    fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput;

    /// Runs a CLI command that must succeed and print JSON.
    fn cli_json(&self, args: &[&str], stdin: Option<&str>) -> Value {
        self.cli(args, stdin).json(args)
    }

    /// `tenant create SLUG --json`.
    fn create_tenant(&self, slug: &str) -> Tenant {
        let v = self.cli_json(
            &[
                "tenant",
                "create",
                slug,
                "--name",
                &format!("{slug} Inc."),
                "--json",
            ],
            None,
        );
        assert_eq!(v["slug"], slug);
        let issuer = self.issuer(slug);
        assert_eq!(v["issuer"], issuer.as_str(), "issuer printed by the CLI");
        Tenant {
            slug: slug.to_owned(),
            id: str_field(&v, "id"),
            issuer,
        }
    }

    /// `client create --tenant SLUG ... --json`.
    fn create_client(&self, slug: &str, spec: &ClientSpec) -> RegisteredClient {
        let args = client_create_args(slug, spec);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let v = self.cli_json(&refs, None);
        let secret = v["client_secret"].as_str().map(str::to_owned);
        let keys = spec.auth_method.as_deref() == Some("private_key_jwt");
        assert_eq!(
            secret.is_none(),
            spec.public || keys,
            "client_secret present exactly for confidential clients with secrets: {v}"
        );
        RegisteredClient {
            client_id: str_field(&v, "client_id"),
            client_secret: secret,
            redirect_uri: spec.redirect_uris.first().cloned().unwrap_or_default(),
            auth_method: v["token_endpoint_auth_method"]
                .as_str()
                .unwrap_or("")
                .to_owned(),
            json: v,
        }
    }

    /// `client create` with `spec`, which may fail: its output.
    fn try_create_client(&self, slug: &str, spec: &ClientSpec) -> CliOutput {
        let args = client_create_args(slug, spec);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.cli(&refs, None)
    }

    /// `user create --tenant SLUG --email EMAIL --name NAME --password-stdin --json`.
    fn create_user(&self, slug: &str, email: &str, name: &str, password: &str) -> User {
        let v = self.cli_json(
            &[
                "user",
                "create",
                "--tenant",
                slug,
                "--email",
                email,
                "--name",
                name,
                "--password-stdin",
                "--json",
            ],
            Some(&format!("{password}\n")),
        );
        assert_eq!(v["email"], email);
        User {
            id: str_field(&v, "id"),
            email: email.to_owned(),
            name: name.to_owned(),
            password: password.to_owned(),
        }
    }
}

/// The arguments of `client create --tenant SLUG ... --json` for `spec`.
fn client_create_args(slug: &str, spec: &ClientSpec) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "client".into(),
        "create".into(),
        "--tenant".into(),
        slug.into(),
        "--name".into(),
        spec.name.clone(),
    ];
    for uri in &spec.redirect_uris {
        args.push("--redirect-uri".into());
        args.push(uri.clone());
    }
    if spec.public {
        args.push("--public".into());
    }
    for g in &spec.grant_types {
        args.push("--grant-type".into());
        args.push(g.clone());
    }
    if spec.no_pkce {
        args.push("--no-pkce".into());
    }
    if let Some(alg) = &spec.id_token_alg {
        args.push("--id-token-alg".into());
        args.push(alg.clone());
    }
    if let Some(m) = &spec.auth_method {
        args.push("--auth-method".into());
        args.push(m.clone());
    }
    for (flag, values) in [
        ("--scope", &spec.scopes),
        ("--audience", &spec.audiences),
        (
            "--post-logout-redirect-uri",
            &spec.post_logout_redirect_uris,
        ),
    ] {
        for v in values {
            args.push(flag.into());
            args.push(v.clone());
        }
    }
    if let Some(jwks) = &spec.jwks {
        args.push("--jwks".into());
        args.push(jwks.clone());
    }
    if let Some(uri) = &spec.jwks_uri {
        args.push("--jwks-uri".into());
        args.push(uri.clone());
    }
    for (flag, value) in [
        ("--frontchannel-logout-uri", &spec.frontchannel_logout_uri),
        ("--backchannel-logout-uri", &spec.backchannel_logout_uri),
        ("--subject-type", &spec.subject_type),
        ("--sector-identifier-uri", &spec.sector_identifier_uri),
    ] {
        if let Some(uri) = value {
            args.push(flag.into());
            args.push(uri.clone());
        }
    }
    args.push("--json".into());
    args
}

impl Cli for TestServer {
    /// `{base_url}/t/{slug}`.
    fn issuer(&self, slug: &str) -> String {
        format!("{}/t/{slug}", self.base_url)
    }

    /// Runs `idp-server ARGS` on this server's database, `stdin` on its input.
    fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        run_cli(
            self.dir.path(),
            &self.database_url,
            &self.base_url,
            args,
            stdin,
        )
    }
}

fn str_field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("'{name}' missing in {v}"))
        .to_owned()
}

/// A tenant made through the CLI.
#[derive(Clone, Debug)]
pub struct Tenant {
    /// Slug.
    pub slug: String,
    /// Id.
    pub id: String,
    /// `{base_url}/t/{slug}`.
    pub issuer: String,
}

/// What to register.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    /// Display name.
    pub name: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// `--public`.
    pub public: bool,
    /// `--grant-type` values (empty: the default).
    pub grant_types: Vec<String>,
    /// `--no-pkce`.
    pub no_pkce: bool,
    /// `--id-token-alg`.
    pub id_token_alg: Option<String>,
    /// `--auth-method`.
    pub auth_method: Option<String>,
    /// `--scope` (client credentials).
    pub scopes: Vec<String>,
    /// `--audience`.
    pub audiences: Vec<String>,
    /// `--post-logout-redirect-uri`.
    pub post_logout_redirect_uris: Vec<String>,
    /// `--jwks`.
    pub jwks: Option<String>,
    /// `--jwks-uri`.
    pub jwks_uri: Option<String>,
    /// `--frontchannel-logout-uri`.
    pub frontchannel_logout_uri: Option<String>,
    /// `--backchannel-logout-uri`.
    pub backchannel_logout_uri: Option<String>,
    /// `--subject-type`.
    pub subject_type: Option<String>,
    /// `--sector-identifier-uri`.
    pub sector_identifier_uri: Option<String>,
}

impl ClientSpec {
    /// A confidential client with the defaults and [`REDIRECT_URI`].
    pub fn confidential(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            public: false,
            grant_types: Vec::new(),
            no_pkce: false,
            id_token_alg: None,
            auth_method: None,
            scopes: Vec::new(),
            audiences: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            jwks: None,
            jwks_uri: None,
            frontchannel_logout_uri: None,
            backchannel_logout_uri: None,
            subject_type: None,
            sector_identifier_uri: None,
        }
    }

    /// A confidential client for service-to-service calls only.
    pub fn service(name: &str, scopes: &[&str], audiences: &[&str]) -> Self {
        Self {
            redirect_uris: Vec::new(),
            grant_types: vec!["client_credentials".into()],
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            audiences: audiences.iter().map(|s| s.to_string()).collect(),
            ..Self::confidential(name)
        }
    }

    /// A public client.
    pub fn public(name: &str) -> Self {
        Self {
            public: true,
            ..Self::confidential(name)
        }
    }
}

/// A client registered through the CLI.
#[derive(Clone, Debug)]
pub struct RegisteredClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (confidential clients).
    pub client_secret: Option<String>,
    /// The first redirect URI.
    pub redirect_uri: String,
    /// `token_endpoint_auth_method` as printed.
    pub auth_method: String,
    /// Everything the CLI printed.
    pub json: Value,
}

/// A user made through the CLI.
#[derive(Clone, Debug)]
pub struct User {
    /// `sub`.
    pub id: String,
    /// Login name.
    pub email: String,
    /// Full name.
    pub name: String,
    /// Password.
    pub password: String,
}

/// The endpoints of a tenant, read from its discovery document.
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization: String,
    /// `token_endpoint`.
    pub token: String,
    /// `userinfo_endpoint`.
    pub userinfo: String,
    /// `jwks_uri`.
    pub jwks: String,
    /// `revocation_endpoint`.
    pub revocation: String,
    /// `introspection_endpoint`.
    pub introspection: String,
    /// `device_authorization_endpoint`.
    pub device_authorization: String,
    /// `end_session_endpoint`.
    pub end_session: String,
    /// The whole document.
    pub doc: Value,
}

/// Reads `{issuer}/.well-known/openid-configuration`.
pub async fn discover(issuer: &str) -> Endpoints {
    let res = plain_client()
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery request");
    assert_eq!(res.status(), StatusCode::OK, "discovery of {issuer}");
    let doc: Value = res.json().await.expect("discovery is JSON");
    let field = |name: &str| {
        doc[name]
            .as_str()
            .unwrap_or_else(|| panic!("discovery of {issuer} lacks {name}: {doc}"))
            .to_owned()
    };
    Endpoints {
        issuer: field("issuer"),
        authorization: field("authorization_endpoint"),
        token: field("token_endpoint"),
        userinfo: field("userinfo_endpoint"),
        jwks: field("jwks_uri"),
        revocation: field("revocation_endpoint"),
        introspection: field("introspection_endpoint"),
        device_authorization: field("device_authorization_endpoint"),
        end_session: field("end_session_endpoint"),
        doc,
    }
}

/// A tenant with a confidential client and a user, ready for flows.
pub struct Env {
    /// The server.
    pub server: TestServer,
    /// Tenant `acme`.
    pub tenant: Tenant,
    /// A confidential client with default settings.
    pub client: RegisteredClient,
    /// `alice@acme.example`.
    pub user: User,
    /// Discovered endpoints of `acme`.
    pub endpoints: Endpoints,
}

impl Env {
    /// Starts a server with tenant `acme`, client `Web App` and user alice.
    pub async fn new() -> Self {
        Self::with_server(TestServer::start().await).await
    }

    /// The same on a server already started.
    pub async fn with_server(server: TestServer) -> Self {
        let tenant = server.create_tenant("acme");
        let client = server.create_client("acme", &ClientSpec::confidential("Web App"));
        let user = server.create_user("acme", "alice@acme.example", "Alice Example", PASSWORD);
        let endpoints = discover(&tenant.issuer).await;
        Self {
            server,
            tenant,
            client,
            user,
            endpoints,
        }
    }

    /// Registers another client of `acme`.
    pub fn client(&self, spec: &ClientSpec) -> RegisteredClient {
        self.server.create_client(&self.tenant.slug, spec)
    }

    /// A public client of `acme` ("Living Room TV") allowed the device grant
    /// and refresh.
    pub fn tv_app(&self) -> RegisteredClient {
        self.client(&ClientSpec {
            redirect_uris: Vec::new(),
            grant_types: vec![DEVICE_GRANT.into(), "refresh_token".into()],
            ..ClientSpec::public("Living Room TV")
        })
    }

    /// A device authorization for `client` (RFC 8628 §3.1), which must
    /// succeed and not be cached: the response document.
    pub async fn device_authorization(&self, client: &RegisteredClient, scope: &str) -> Value {
        let res = client_post(
            &self.endpoints.device_authorization,
            ClientAuth::of(client),
            &[("scope", scope)],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_no_store(&res);
        res.json()
    }

    /// An `openidconnect` relying party for `client` of `acme`.
    pub async fn rp(&self, client: &RegisteredClient) -> Rp {
        Rp::discover(&self.tenant.issuer, client).await
    }
}
