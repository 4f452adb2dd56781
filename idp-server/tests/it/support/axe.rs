//! Accessibility checks with axe-core (npm), run inside headless Chromium
//! on the page as the browser shows it, and screenshots of the pages under
//! `target/screenshots/`.
//!
//! axe-core comes from the npm registry, pinned by
//! `idp-server/tests/axe/package-lock.json`; the first check runs `npm ci`
//! there when `node_modules` is missing (`.ci/run` does it beforehand).
//! No browser is downloaded: Chromium is Debian's.

use super::Chromium;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::OnceLock;

/// The package directory holding axe-core.
fn package_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/axe")
}

/// axe-core's source, installed on first use.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let dir = package_dir();
        let script = dir.join("node_modules/axe-core/axe.min.js");
        if !script.exists() {
            let status = std::process::Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .unwrap_or_else(|e| {
                    panic!("the accessibility checks need npm (Node.js) to install axe-core: {e}")
                });
            assert!(
                status.success(),
                "`npm ci` in {} failed: the accessibility checks need axe-core from the npm registry",
                dir.display()
            );
        }
        std::fs::read_to_string(&script)
            .unwrap_or_else(|e| panic!("reading {}: {e}", script.display()))
    })
}

/// One violation axe reported: rule, impact, help and the offending nodes.
#[derive(Debug)]
pub struct Violation {
    pub rule: String,
    pub impact: String,
    pub help: String,
    pub nodes: Vec<String>,
}

/// Runs axe-core (WCAG 2.0/2.1 A and AA rules and best practices) on the
/// current page: the serious and critical violations.
pub async fn serious_violations(browser: &Chromium) -> Vec<Violation> {
    let loaded = browser
        .run("return typeof window.axe === 'object';", json!([]))
        .await;
    if loaded != Value::Bool(true) {
        browser.run(source(), json!([])).await;
    }
    let result = browser
        .run_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(JSON.stringify(r.violations)))
               .catch(e => done(JSON.stringify({ error: String(e) })));",
            json!([]),
        )
        .await;
    let parsed: Value = serde_json::from_str(result.as_str().unwrap_or("null"))
        .unwrap_or_else(|e| panic!("axe answered no JSON ({e}): {result}"));
    assert!(parsed.get("error").is_none(), "axe failed: {parsed}");
    parsed
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
        .map(|v| Violation {
            rule: v["id"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            help: v["help"].as_str().unwrap_or_default().to_owned(),
            nodes: v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|n| n["html"].as_str().unwrap_or_default().to_owned())
                .collect(),
        })
        .collect()
}

/// Fails the test if the current page has serious or critical violations.
pub async fn assert_accessible(browser: &Chromium, what: &str) {
    let violations = serious_violations(browser).await;
    assert!(
        violations.is_empty(),
        "{what} ({}) has serious accessibility violations: {violations:#?}",
        browser.url().await
    );
}

/// Where screenshots go: `target/screenshots` of the build.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("screenshots")
}

/// The page as it is now at 390 and 1280 CSS pixels wide, written to
/// `target/screenshots/{name}-390.png` and `-1280.png`, each checked by
/// axe at that width. The window is left 1280 wide.
pub async fn capture(browser: &Chromium, name: &str) {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for width in [390, 1280] {
        browser.set_width(width, 900).await;
        assert_accessible(browser, &format!("{name} at {width}px")).await;
        let png = browser.screenshot().await;
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        let path = dir.join(format!("{name}-{width}.png"));
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    browser.set_width(1280, 900).await;
}
