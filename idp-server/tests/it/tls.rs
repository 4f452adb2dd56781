//! Built-in HTTPS (`TLS_CERT_FILE` / `TLS_KEY_FILE`, ADR 0013). Each test
//! makes a throwaway CA and a leaf certificate for `localhost` and
//! `127.0.0.1` with rcgen, starts the server with them, and speaks to it
//! with a client that trusts that CA and nothing else.

use crate::support::*;
use base64::Engine;
use idp_server::config::{Config, TlsConfig};
use idp_server::server::RunningServer;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// A test CA and a leaf certificate it signed for `localhost` and `127.0.0.1`.
struct Pki {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate (PEM): the only root test clients trust.
    ca_pem: String,
    /// The leaf certificate (PEM).
    cert_pem: String,
    /// The leaf's private key (PKCS#8 PEM).
    key_pem: String,
}

impl Pki {
    fn new() -> Self {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "idp test CA (throwaway)");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_pem = ca.self_signed(&ca_key).expect("CA certificate").pem();
        let issuer = Issuer::new(ca, ca_key);
        let key = KeyPair::generate().expect("leaf key");
        let mut pki = Self {
            issuer,
            ca_pem,
            cert_pem: String::new(),
            key_pem: key.serialize_pem(),
        };
        pki.cert_pem = pki.leaf_for(&key);
        pki
    }

    /// A leaf certificate (PEM) for `localhost` and `127.0.0.1` with `key`'s public key.
    fn leaf_for(&self, key: &KeyPair) -> String {
        let mut leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("leaf parameters");
        leaf.distinguished_name
            .push(DnType::CommonName, "localhost");
        leaf.signed_by(key, &self.issuer)
            .expect("leaf certificate")
            .pem()
    }

    fn tls(&self) -> TlsConfig {
        TlsConfig::from_pem(self.cert_pem.clone(), self.key_pem.clone())
    }

    /// A client that trusts this CA only.
    fn client(&self) -> reqwest::Client {
        self.builder().build().expect("HTTPS client")
    }

    fn builder(&self) -> reqwest::ClientBuilder {
        let ca = reqwest::Certificate::from_pem(self.ca_pem.as_bytes()).expect("CA PEM");
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(ca)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
    }
}

/// A server with TLS on 127.0.0.1:0 over a temporary database.
struct TlsServer {
    dir: TempDir,
    database_url: String,
    running: RunningServer,
}

impl TlsServer {
    async fn start(tls: TlsConfig) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = format!("sqlite:{}", dir.path().join("idp.db").display());
        let mut config = Config::for_tests(database_url.clone(), KEY_HEX.to_owned());
        config.tls = Some(tls);
        let running = idp_server::server::start(config)
            .await
            .expect("the server starts with TLS");
        Self {
            dir,
            database_url,
            running,
        }
    }

    fn port(&self) -> u16 {
        self.running.addr.port()
    }

    /// Runs the CLI on this server's database; the JSON it printed.
    fn cli_json(&self, args: &[&str], stdin: Option<&str>) -> Value {
        let args = [args, &["--json"]].concat();
        run_cli(
            self.dir.path(),
            &self.database_url,
            &self.running.base_url,
            &args,
            stdin,
        )
        .json(&args)
    }
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let res = http
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e:?}"));
    assert_eq!(res.status(), StatusCode::OK, "GET {url}");
    assert_eq!(res.version(), reqwest::Version::HTTP_11, "GET {url}");
    res.json().await.expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_health_and_discovery_with_an_https_issuer() {
    let pki = Pki::new();
    let server = TlsServer::start(pki.tls()).await;
    let port = server.port();
    let base = format!("https://localhost:{port}");
    assert_eq!(
        server.running.base_url, base,
        "default BASE_URL with TLS on"
    );
    let http = pki.client();

    let health = get_json(&http, &format!("{base}/health")).await;
    assert_eq!(health["status"], "ok");
    // The certificate names the address too.
    let health = get_json(&http, &format!("https://127.0.0.1:{port}/health")).await;
    assert_eq!(health["status"], "ok");

    let tenant = server.cli_json(&["tenant", "create", "acme", "--name", "Acme"], None);
    let issuer = format!("{base}/t/acme");
    assert_eq!(tenant["issuer"], issuer.as_str());
    let doc = get_json(&http, &format!("{issuer}/.well-known/openid-configuration")).await;
    assert_eq!(doc["issuer"], issuer.as_str());
    let mut urls = 0;
    for (name, value) in doc.as_object().expect("an object") {
        if name.ends_with("_endpoint") || name == "jwks_uri" {
            let url = value.as_str().unwrap_or_default();
            assert!(
                url.starts_with(&format!("{issuer}/")),
                "{name} = {url} is not an https URL under the issuer"
            );
            urls += 1;
        }
    }
    assert!(urls >= 4, "too few endpoints in {doc}");
    let rfc8414 = get_json(
        &http,
        &format!("{base}/.well-known/oauth-authorization-server/t/acme"),
    )
    .await;
    assert_eq!(rfc8414["issuer"], issuer.as_str());
    let jwks = get_json(&http, doc["jwks_uri"].as_str().unwrap_or_default()).await;
    assert!(!jwks["keys"].as_array().is_some_and(Vec::is_empty));

    // TLS 1.2 is offered too.
    let tls12 = pki
        .builder()
        .max_tls_version(reqwest::tls::Version::TLS_1_2)
        .build()
        .expect("TLS 1.2 client");
    let health = get_json(&tls12, &format!("{base}/health")).await;
    assert_eq!(health["status"], "ok");

    // A client that does not trust the test CA refuses the server.
    let stranger = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    assert!(stranger.get(format!("{base}/health")).send().await.is_err());

    server.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_and_stalled_handshakes_get_nothing_and_block_nobody() {
    let pki = Pki::new();
    let server = TlsServer::start(pki.tls()).await;
    let port = server.port();
    let http = pki.client();

    // Plain HTTP to the TLS port gets no HTTP response.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let res = plain
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await;
    assert!(res.is_err(), "plain HTTP got a response: {res:?}");
    let port_copy = port;
    let raw = tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port_copy)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        s.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .expect("write");
        let mut reply = Vec::new();
        let _ = s.read_to_end(&mut reply);
        reply
    })
    .await
    .expect("raw request");
    assert!(
        !raw.starts_with(b"HTTP/"),
        "plain HTTP got an HTTP reply: {}",
        String::from_utf8_lossy(&raw)
    );

    // Connections that never start their handshake, and handshakes that
    // fail, hold up nobody.
    let mut idle = Vec::new();
    for _ in 0..8 {
        idle.push(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .expect("connect"),
        );
    }
    for _ in 0..8 {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        use tokio::io::AsyncWriteExt;
        let _ = s.write_all(b"\x16\x03\x01\x00\x05garbage").await;
    }
    let started = Instant::now();
    let health = get_json(&http, &format!("https://localhost:{port}/health")).await;
    assert_eq!(health["status"], "ok");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a request waited {:?} behind stalled handshakes",
        started.elapsed()
    );

    // Shutdown does not wait for the stalled handshakes' timeout.
    let started = Instant::now();
    server.running.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown took {:?} with handshakes pending",
        started.elapsed()
    );
    drop(idle);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_set_over_https_are_secure() {
    let pki = Pki::new();
    let server = TlsServer::start(pki.tls()).await;
    server.cli_json(&["tenant", "create", "acme", "--name", "Acme"], None);
    let client = server.cli_json(
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "Web App",
            "--redirect-uri",
            REDIRECT_URI,
        ],
        None,
    );
    let client_id = client["client_id"].as_str().expect("client_id");
    server.cli_json(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "alice@acme.example",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser = Browser {
        http: pki
            .builder()
            .cookie_provider(std::sync::Arc::clone(&jar))
            .build()
            .expect("browser"),
        jar,
    };
    let issuer = format!("{}/t/acme", server.running.base_url);
    let doc = get_json(
        &browser.http,
        &format!("{issuer}/.well-known/openid-configuration"),
    )
    .await;
    let (_verifier, challenge) = pkce_pair();
    let auth_url = with_query(
        doc["authorization_endpoint"].as_str().expect("endpoint"),
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("scope", "openid"),
            ("state", "s1"),
            ("nonce", "n1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    );
    let res = browser.get(&auth_url).await;
    let page = browser.get(res.redirect().as_str()).await;
    assert!(page.is_login_page(), "not the login page: {}", page.body);
    let csrf_cookie = page
        .header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("idp_csrf="))
        .expect("the login page sets idp_csrf");
    let res = browser
        .submit_login(&page, "alice@acme.example", PASSWORD)
        .await;
    let session_cookie = res
        .header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("idp_session="))
        .expect("a successful login sets idp_session");
    for cookie in [&csrf_cookie, &session_cookie] {
        let secure = cookie
            .split(';')
            .skip(1)
            .any(|a| a.trim().eq_ignore_ascii_case("secure"));
        assert!(secure, "no Secure attribute over https: {cookie}");
    }
    server.running.shutdown().await;
}

/// The DER inside a PKCS#8 `PrivateKeyInfo`: the SEC1 `ECPrivateKey` of an
/// EC key, the PKCS#1 `RSAPrivateKey` of an RSA key.
fn pkcs8_inner(pkcs8: &[u8]) -> Vec<u8> {
    /// (tag, contents, rest) of the DER element at the start of `der`.
    fn tlv(der: &[u8]) -> (u8, &[u8], &[u8]) {
        let (tag, first) = (der[0], der[1]);
        let (len, start) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = (first & 0x7f) as usize;
            let len = der[2..2 + n]
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | *b as usize);
            (len, 2 + n)
        };
        (tag, &der[start..start + len], &der[start + len..])
    }
    let (tag, info, _) = tlv(pkcs8);
    assert_eq!(tag, 0x30, "PrivateKeyInfo is a SEQUENCE");
    let (_, _, rest) = tlv(info); // version
    let (_, _, rest) = tlv(rest); // algorithm
    let (tag, key, _) = tlv(rest);
    assert_eq!(tag, 0x04, "privateKey is an OCTET STRING");
    key.to_vec()
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pkcs8_sec1_and_rsa_keys_are_accepted() {
    let pki = Pki::new();
    let ec = KeyPair::generate().expect("EC key");
    let rsa = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    for (format, key, key_pem) in [
        ("PKCS#8 (EC)", &ec, ec.serialize_pem()),
        (
            "SEC1",
            &ec,
            pem("EC PRIVATE KEY", &pkcs8_inner(ec.serialized_der())),
        ),
        (
            "PKCS#1 (RSA)",
            &rsa,
            pem("RSA PRIVATE KEY", &pkcs8_inner(rsa.serialized_der())),
        ),
    ] {
        let cert = pki.leaf_for(key);
        let server = TlsServer::start(TlsConfig::from_pem(cert, key_pem)).await;
        let health = get_json(
            &pki.client(),
            &format!("https://localhost:{}/health", server.port()),
        )
        .await;
        assert_eq!(health["status"], "ok", "{format}");
        server.running.shutdown().await;
    }
}

/// The binary in `dir` on port 0 with the test key, and no other setting.
fn idp(dir: &std::path::Path) -> Command {
    let mut cmd = idp_command(dir);
    cmd.env("SERVER_PORT", "0").env("ENCRYPTION_KEY", KEY_HEX);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_https_from_pem_files() {
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("cert.pem"), &pki.cert_pem).expect("write");
    std::fs::write(dir.path().join("key.pem"), &pki.key_pem).expect("write");
    let mut child = idp(dir.path())
        .args(["--tls-cert-file", "cert.pem", "--tls-key-file", "key.pem"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read");
    let port = line
        .split("https://127.0.0.1:")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| {
            let _ = child.kill();
            panic!("no https address in {line:?}")
        })
        .to_owned();
    assert!(
        line.contains(&format!("(BASE_URL https://localhost:{port})")),
        "{line}"
    );
    let health = pki
        .client()
        .get(format!("https://localhost:{port}/health"))
        .send()
        .await;
    let _ = child.kill();
    let _ = child.wait();
    let health: Value = health
        .expect("HTTPS from the binary")
        .json()
        .await
        .expect("JSON");
    assert_eq!(health["status"], "ok");
}

#[test]
fn bad_tls_settings_stop_start_up_with_one_line_naming_the_setting() {
    let pki = Pki::new();
    let other_key = KeyPair::generate().expect("key").serialize_pem();
    let garbage_b64 = "-----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n";
    let not_x509 = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    // (case, cert file contents, key file contents, expected start of the last line)
    let cases: [(&str, Option<&str>, Option<&str>, &str); 9] = [
        (
            "cert without key",
            Some(&pki.cert_pem),
            None,
            "error: TLS_KEY_FILE:",
        ),
        (
            "key without cert",
            None,
            Some(&pki.key_pem),
            "error: TLS_CERT_FILE:",
        ),
        (
            "garbage cert",
            Some("not a certificate"),
            Some(&pki.key_pem),
            "error: TLS_CERT_FILE:",
        ),
        (
            "bad base64",
            Some(garbage_b64),
            Some(&pki.key_pem),
            "error: TLS_CERT_FILE:",
        ),
        (
            "not X.509",
            Some(not_x509),
            Some(&pki.key_pem),
            "error: TLS_CERT_FILE:",
        ),
        (
            "garbage key",
            Some(&pki.cert_pem),
            Some("not a key"),
            "error: TLS_KEY_FILE:",
        ),
        (
            "swapped",
            Some(&pki.key_pem),
            Some(&pki.cert_pem),
            "error: TLS_CERT_FILE:",
        ),
        (
            "mismatched key",
            Some(&pki.cert_pem),
            Some(&other_key),
            "error: TLS_KEY_FILE:",
        ),
        (
            "unreadable cert",
            Some("\0missing"),
            Some(&pki.key_pem),
            "error: TLS_CERT_FILE: cannot read",
        ),
    ];
    for (case, cert, key, expected) in cases {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut cmd = idp(dir.path());
        if let Some(cert) = cert {
            if cert != "\0missing" {
                std::fs::write(dir.path().join("cert.pem"), cert).expect("write");
            }
            cmd.env("TLS_CERT_FILE", "cert.pem");
        }
        if let Some(key) = key {
            std::fs::write(dir.path().join("key.pem"), key).expect("write");
            cmd.env("TLS_KEY_FILE", "key.pem");
        }
        let out = cmd.stdin(Stdio::null()).output().expect("spawn");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{case}: start-up should fail");
        let last = stderr.lines().last().unwrap_or("");
        assert!(last.starts_with(expected), "{case}: {stderr}");
        if case == "mismatched key" {
            assert!(last.contains("does not match"), "{case}: {last}");
        }
        assert!(
            !dir.path().join("data").exists(),
            "{case}: a database was created despite the bad TLS setting"
        );
    }
}
