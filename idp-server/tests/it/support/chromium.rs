//! A real headless Chromium, driven through chromedriver's W3C WebDriver
//! HTTP API (reqwest and JSON; no WebDriver crate needed). Debian's
//! `chromium` and `chromium-driver` packages provide `/usr/bin/chromium`
//! and `/usr/bin/chromedriver` (`.ci/run` installs them); without them a
//! browser test fails, saying what to install, rather than skipping.
//!
//! Everything waits for what it needs (an element, a URL) by polling the
//! browser with a deadline, never by sleeping a fixed time.

use serde_json::{Value, json};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Where Debian installs the browser and its driver.
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long one step (a page load, an element to appear) may take: generous,
/// for a loaded two-core machine.
pub const STEP: Duration = Duration::from_secs(60);

/// A headless Chromium session; the browser and its driver end on drop.
pub struct Chromium {
    driver: Child,
    port: u16,
    session: String,
    http: reqwest::Client,
    _profile: TempDir,
}

impl Chromium {
    /// Starts chromedriver on a free loopback port and a browser session
    /// with a fresh profile. Panics, naming the packages to install, if
    /// Chromium or chromedriver is missing.
    pub async fn start() -> Self {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                std::path::Path::new(path).exists(),
                "the browser tests need headless Chromium: {path} is missing. Install it with \
                 `apt-get install -y chromium chromium-driver` (Debian package {package})"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("a profile directory");
        let http = reqwest::Client::builder()
            .timeout(STEP)
            .build()
            .expect("HTTP client");
        let mut chromium = Self {
            driver,
            port,
            session: String::new(),
            http,
            _profile: profile,
        };
        chromium.wait_ready().await;
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--user-data-dir={}", chromium._profile.path().display()),
        ];
        let created = chromium
            .command(
                reqwest::Method::POST,
                "/session",
                json!({ "capabilities": { "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
                    "timeouts": { "script": 60_000, "pageLoad": 60_000 },
                }}}),
            )
            .await
            .unwrap_or_else(|e| panic!("Chromium did not start a session: {e}"));
        chromium.session = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no sessionId in {created}"))
            .to_owned();
        chromium
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + STEP;
        loop {
            let status = self
                .http
                .get(format!("http://127.0.0.1:{}/status", self.port))
                .send()
                .await;
            if let Ok(res) = status
                && let Ok(v) = res.json::<Value>().await
                && v["value"]["ready"] == true
            {
                return;
            }
            assert!(Instant::now() < deadline, "chromedriver never became ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One WebDriver command: its `value`, or the error it answered.
    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<Value, String> {
        let url = format!("http://127.0.0.1:{}{path}", self.port);
        let mut req = self.http.request(method.clone(), &url);
        if method != reqwest::Method::GET {
            req = req.json(&body);
        }
        let res = req.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = res.status();
        let v: Value = res.json().await.map_err(|e| format!("{path}: {e}"))?;
        if status.is_success() {
            Ok(v["value"].clone())
        } else {
            Err(format!("{path}: {status} {}", v["value"]))
        }
    }

    fn at(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session)
    }

    /// Navigates to `url` (and waits for the load).
    pub async fn goto(&self, url: &str) {
        self.command(
            reqwest::Method::POST,
            &self.at("/url"),
            json!({ "url": url }),
        )
        .await
        .unwrap_or_else(|e| panic!("navigating to {url}: {e}"));
    }

    /// The current page's URL.
    pub async fn url(&self) -> String {
        self.command(reqwest::Method::GET, &self.at("/url"), Value::Null)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The element `css` selects on the current page, if there is one now.
    pub async fn find(&self, css: &str) -> Option<String> {
        let found = self
            .command(
                reqwest::Method::POST,
                &self.at("/element"),
                json!({ "using": "css selector", "value": css }),
            )
            .await
            .ok()?;
        found[ELEMENT].as_str().map(str::to_owned)
    }

    /// Waits up to [`STEP`] for the first of `selectors` to appear: its
    /// index and element.
    pub async fn wait_for_any(&self, selectors: &[&str]) -> (usize, String) {
        let deadline = Instant::now() + STEP;
        loop {
            for (i, css) in selectors.iter().enumerate() {
                if let Some(e) = self.find(css).await {
                    return (i, e);
                }
            }
            if Instant::now() >= deadline {
                let page = self.source().await;
                panic!(
                    "none of {selectors:?} appeared at {} within {STEP:?}: {page}",
                    self.url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for `css` to appear.
    pub async fn wait_for(&self, css: &str) -> String {
        self.wait_for_any(&[css]).await.1
    }

    /// Types `text` into an element.
    pub async fn type_into(&self, element: &str, text: &str) {
        self.command(
            reqwest::Method::POST,
            &self.at(&format!("/element/{element}/value")),
            json!({ "text": text }),
        )
        .await
        .unwrap_or_else(|e| panic!("typing: {e}"));
    }

    /// Clicks an element.
    pub async fn click(&self, element: &str) {
        self.command(
            reqwest::Method::POST,
            &self.at(&format!("/element/{element}/click")),
            json!({}),
        )
        .await
        .unwrap_or_else(|e| panic!("clicking: {e}"));
    }

    /// An element's text.
    pub async fn text(&self, element: &str) -> String {
        self.command(
            reqwest::Method::GET,
            &self.at(&format!("/element/{element}/text")),
            Value::Null,
        )
        .await
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
    }

    /// The current page's HTML (for failure messages).
    pub async fn source(&self) -> String {
        self.command(reqwest::Method::GET, &self.at("/source"), Value::Null)
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Runs `script` in the page as an async function body: it ends by
    /// calling `arguments[arguments.length - 1]` with its result.
    pub async fn run_async(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            &self.at("/execute/async"),
            json!({ "script": script, "args": args }),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }
}

impl Chromium {
    /// Runs `script` in the page as a function body and returns what it
    /// returns.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.command(
            reqwest::Method::POST,
            &self.at("/execute/sync"),
            json!({ "script": script, "args": args }),
        )
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// Resizes the window so that the page's viewport is `width` CSS pixels
    /// wide (the window's frame is measured and added).
    pub async fn set_width(&self, width: u32, height: u32) {
        for _ in 0..3 {
            let inner = self.run("return window.innerWidth;", json!([])).await;
            let outer = self.run("return window.outerWidth;", json!([])).await;
            let frame = outer
                .as_u64()
                .unwrap_or(0)
                .saturating_sub(inner.as_u64().unwrap_or(0));
            self.command(
                reqwest::Method::POST,
                &self.at("/window/rect"),
                json!({ "width": u64::from(width) + frame, "height": height }),
            )
            .await
            .unwrap_or_else(|e| panic!("resizing the window: {e}"));
            let now = self.run("return window.innerWidth;", json!([])).await;
            if now.as_u64() == Some(u64::from(width)) {
                return;
            }
        }
    }

    /// A PNG of the whole page as it is now: the viewport's width, the
    /// document's height (DevTools' `Page.captureScreenshot` beyond the
    /// viewport, through chromedriver).
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine;
        let size = self
            .run(
                "return [window.innerWidth, Math.min(document.documentElement.scrollHeight, 6000)];",
                json!([]),
            )
            .await;
        let (width, height) = (
            size[0].as_u64().unwrap_or(1280),
            size[1].as_u64().unwrap_or(900),
        );
        let shot = self
            .command(
                reqwest::Method::POST,
                &self.at("/goog/cdp/execute"),
                json!({ "cmd": "Page.captureScreenshot", "params": {
                    "format": "png", "captureBeyondViewport": true,
                    "clip": { "x": 0, "y": 0, "width": width, "height": height, "scale": 1 },
                }}),
            )
            .await
            .unwrap_or_else(|e| panic!("screenshot: {e}"));
        base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().unwrap_or_default())
            .unwrap_or_else(|e| panic!("screenshot is not base64: {e}"))
    }

    /// Presses `key` (a character, or a WebDriver key code such as
    /// [`TAB`] or [`ENTER`]) on whatever has the focus.
    pub async fn press(&self, key: &str) {
        self.command(
            reqwest::Method::POST,
            &self.at("/actions"),
            json!({ "actions": [{
                "type": "key", "id": "keyboard",
                "actions": [{ "type": "keyDown", "value": key }, { "type": "keyUp", "value": key }],
            }]}),
        )
        .await
        .unwrap_or_else(|e| panic!("pressing a key: {e}"));
    }

    /// Types `text` on the keyboard into whatever has the focus.
    pub async fn type_text(&self, text: &str) {
        let actions: Vec<Value> = text
            .chars()
            .flat_map(|c| {
                let k = c.to_string();
                [
                    json!({ "type": "keyDown", "value": k }),
                    json!({ "type": "keyUp", "value": k }),
                ]
            })
            .collect();
        self.command(
            reqwest::Method::POST,
            &self.at("/actions"),
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        )
        .await
        .unwrap_or_else(|e| panic!("typing: {e}"));
    }

    /// Presses Tab until the focused element matches `css` (at most 80
    /// times), as someone using the keyboard alone would reach it.
    pub async fn tab_to(&self, css: &str) {
        for _ in 0..80 {
            let focused = self
                .run(
                    "return document.activeElement && document.activeElement.matches(arguments[0]);",
                    json!([css]),
                )
                .await;
            if focused == Value::Bool(true) {
                return;
            }
            self.press(TAB).await;
        }
        panic!(
            "Tab never reached {css} at {}: {}",
            self.url().await,
            self.source().await
        );
    }
}

/// WebDriver's code of the Tab key.
pub const TAB: &str = "\u{E004}";
/// WebDriver's code of the Enter key.
pub const ENTER: &str = "\u{E007}";
/// WebDriver's code of the Space key.
pub const SPACE: &str = "\u{E00D}";

impl Drop for Chromium {
    /// Ends the session (which closes the browser) with a plain blocking
    /// request, then the driver.
    fn drop(&mut self) {
        if !self.session.is_empty()
            && let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port))
        {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let request = format!(
                "DELETE /session/{} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                self.session, self.port
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let mut answer = Vec::new();
                let _ = std::io::Read::read_to_end(&mut stream, &mut answer);
            }
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
