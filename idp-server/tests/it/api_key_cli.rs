//! `idp-server api-key create|list|revoke|attenuate` and `audit list`
//! through the real binary on a real SQLite file, and the keys they print
//! checked in-process by `Admin::authorize_api_key` on the same file.

use crate::support::{CliOutput, KEY_HEX, run_cli};
use idp_core::api_key::{AccessRequest, ApiKeyVerifier, Denied, Operation};
use idp_server::config::Config;
use serde_json::Value;

/// A fresh database in a temporary directory, and the binary run on it.
struct Db {
    dir: tempfile::TempDir,
    url: String,
}

impl Db {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite:{}", dir.path().join("idp.db").display());
        Self { dir, url }
    }

    fn run(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        run_cli(
            self.dir.path(),
            &self.url,
            "http://localhost:3000",
            args,
            stdin,
        )
    }

    fn expect(&self, args: &[&str], code: i32) -> CliOutput {
        let out = self.run(args, None);
        assert_eq!(
            out.code,
            Some(code),
            "{args:?}: {}{}",
            out.stdout,
            out.stderr
        );
        out
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.expect(args, 0);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", out.stdout))
    }

    fn attenuate(&self, key: &str, args: &[&str]) -> String {
        let mut all = vec!["api-key", "attenuate"];
        all.extend_from_slice(args);
        let out = self.run(&all, Some(key));
        assert_eq!(out.code, Some(0), "{args:?}: {}", out.stderr);
        out.stdout.trim().to_owned()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn req(operation: Operation, tenant: Option<&str>) -> AccessRequest<'_> {
    AccessRequest {
        operation,
        tenant,
        path: "/api/v1/tenants",
        now: now(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_created_listed_attenuated_revoked_and_audited() {
    let db = Db::new();
    db.expect(&["tenant", "create", "acme"], 0);
    db.expect(&["tenant", "create", "globex"], 0);
    let created = db.json(&[
        "api-key",
        "create",
        "--name",
        "ci",
        "--expires",
        "30d",
        "--json",
    ]);
    let id = created["id"].as_str().expect("id").to_owned();
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.len() > 100, "{key}");
    let scoped = db.json(&[
        "api-key",
        "create",
        "--tenant",
        "acme",
        "--read-only",
        "--json",
    ]);
    let scoped_key = scoped["key"].as_str().expect("key").to_owned();
    // Without --json: the key alone on stdout, the note on stderr.
    let plain = db.expect(&["api-key", "create"], 0);
    assert_eq!(plain.stdout.lines().count(), 1, "{}", plain.stdout);
    assert!(plain.stderr.contains("shown once"), "{}", plain.stderr);
    let plain_key = plain.stdout.trim().to_owned();

    db.expect(&["api-key", "create", "--tenant", "nope"], 3);
    db.expect(&["api-key", "create", "--expires", "soon"], 2);
    db.expect(&["api-key", "create", "--name", &"n".repeat(65)], 2);

    let list = db.json(&["api-key", "list", "--json"]);
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let ci = items
        .iter()
        .find(|k| k["id"] == id.as_str())
        .expect("listed");
    assert_eq!(ci["name"], "ci");
    assert!(ci["revoked_at"].is_null());
    let expires = ci["expires_at"].as_i64().expect("expires_at");
    assert!((now() + 30 * 86_400 - expires).abs() < 60, "{expires}");
    let s = items
        .iter()
        .find(|k| k["id"] == scoped["id"])
        .expect("listed");
    assert_eq!(
        (&s["tenant"], &s["read_only"]),
        (&"acme".into(), &true.into())
    );

    // The keys the CLI printed work, as created and as attenuated.
    let config = Config::for_tests(db.url.clone(), KEY_HEX.into());
    let provider = idp_server::cli::provider_for(&config).expect("provider");
    let admin = provider.admin();
    let verifier = ApiKeyVerifier::load(&admin).await.expect("verifier");
    let check = |key: String, operation, tenant: Option<&'static str>| {
        let (admin, verifier) = (&admin, &verifier);
        async move {
            admin
                .authorize_api_key(verifier, &key, &req(operation, tenant))
                .await
                .map(|(k, record)| (k.key_id().to_owned(), record.id))
        }
    };
    assert_eq!(
        check(key.clone(), Operation::Write, Some("globex")).await,
        Ok((id.clone(), id.clone()))
    );
    assert!(
        check(scoped_key.clone(), Operation::Read, Some("acme"))
            .await
            .is_ok()
    );
    assert_eq!(
        check(scoped_key.clone(), Operation::Write, Some("acme")).await,
        Err(Denied::Forbidden)
    );
    assert_eq!(
        check(scoped_key.clone(), Operation::Read, Some("globex")).await,
        Err(Denied::Hidden)
    );
    let narrowed = db.attenuate(
        &key,
        &["--tenant", "acme", "--read-only", "--expires", "1h"],
    );
    assert_ne!(narrowed, key);
    assert!(
        check(narrowed.clone(), Operation::Read, Some("acme"))
            .await
            .is_ok()
    );
    assert_eq!(
        check(narrowed.clone(), Operation::Write, Some("acme")).await,
        Err(Denied::Forbidden)
    );
    assert_eq!(
        check(narrowed.clone(), Operation::Read, Some("globex")).await,
        Err(Denied::Hidden)
    );
    assert!(matches!(
        check("garbage".into(), Operation::Read, None).await,
        Err(Denied::Unauthenticated(_))
    ));
    // A key of another database (another root) is not a key here.
    let other = Db::new();
    let foreign = other.json(&["api-key", "create", "--json"]);
    assert!(matches!(
        check(
            foreign["key"].as_str().expect("key").into(),
            Operation::Read,
            None
        )
        .await,
        Err(Denied::Unauthenticated(_))
    ));

    // Revoking ends the key and every attenuation of it at once.
    let revoked = db.json(&["api-key", "revoke", &id, "--json"]);
    assert_eq!(revoked["revoked"], true);
    db.expect(&["api-key", "revoke", &id], 0);
    db.expect(&["api-key", "revoke", "no-such-key"], 3);
    for k in [&key, &narrowed] {
        assert_eq!(
            check(k.clone(), Operation::Read, Some("acme")).await,
            Err(Denied::Unauthenticated("revoked"))
        );
    }
    assert!(
        check(scoped_key.clone(), Operation::Read, Some("acme"))
            .await
            .is_ok()
    );
    let list = db.json(&["api-key", "list", "--json"]);
    let ci = list["items"]
        .as_array()
        .and_then(|items| items.iter().find(|k| k["id"] == id.as_str()))
        .expect("listed");
    assert!(ci["revoked_at"].as_i64().is_some(), "{ci}");

    // The audit log: who created and revoked which key (the second revoke
    // changed nothing and recorded nothing), never the key.
    let events = db.json(&["audit", "list", "--action", "api_key", "--json"]);
    let events = events["items"].as_array().expect("items");
    // The same shape as the admin API's: ids as strings, RFC 3339 times.
    for e in events {
        let time = e["time"].as_str().unwrap_or_default();
        assert!(
            e["id"].is_string() && time.ends_with('Z') && time.len() == 20,
            "{e}"
        );
    }
    let actions: Vec<&str> = events.iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(
        actions,
        [
            "api_key.create",
            "api_key.create",
            "api_key.create",
            "api_key.revoke"
        ]
    );
    for e in events {
        assert_eq!(e["actor"]["kind"], "cli", "{e}");
        assert_eq!(e["target"]["kind"], "api_key", "{e}");
    }
    assert_eq!(events[1]["tenant"], "acme");
    assert_eq!(events[1]["changes"]["read_only"], true);
    assert_eq!(events[3]["target"]["id"], id.as_str());
    let by_tenant = db.json(&["audit", "list", "--tenant", "acme", "--json"]);
    assert!(
        by_tenant["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|e| e["action"] == "api_key.create"))
    );
    let page = db.json(&["audit", "list", "--limit", "2", "--json"]);
    let cursor = page["next_cursor"].as_str().expect("a next page");
    let next = db.json(&[
        "audit", "list", "--limit", "2", "--cursor", cursor, "--json",
    ]);
    assert_ne!(next["items"][0]["id"], page["items"][0]["id"]);
    let later = db.json(&["audit", "list", "--since", "2999-01-01T00:00:00Z", "--json"]);
    assert_eq!(later["items"].as_array().map(Vec::len), Some(0));
    db.expect(&["audit", "list", "--since", "yesterday"], 2);
    let earlier = db.json(&["audit", "list", "--until", "2000-01-01T00:00:00Z", "--json"]);
    assert_eq!(earlier["items"].as_array().map(Vec::len), Some(0));
    let before = db.json(&["audit", "list", "--until", "2999-01-01T00:00:00Z", "--json"]);
    assert!(
        before["items"].as_array().is_some_and(|i| !i.is_empty()),
        "{before}"
    );
    db.expect(&["audit", "list", "--until", "tomorrow"], 2);

    // No output other than create's and attenuate's ever holds a key.
    let outputs = [
        db.expect(&["api-key", "list"], 0),
        db.expect(&["api-key", "list", "--json"], 0),
        db.expect(&["audit", "list"], 0),
        db.expect(&["audit", "list", "--json"], 0),
        db.expect(
            &["api-key", "revoke", scoped["id"].as_str().expect("id")],
            0,
        ),
    ];
    for out in outputs {
        for k in [&key, &scoped_key, &plain_key, &narrowed] {
            assert!(!out.stdout.contains(k.as_str()) && !out.stderr.contains(k.as_str()));
            // Not even a recognisable part of one.
            assert!(!out.stdout.contains(&k[..40]), "{}", out.stdout);
        }
    }
    let table = db.expect(&["audit", "list", "--action", "api_key"], 0);
    assert!(table.stdout.contains("api_key.revoke"), "{}", table.stdout);
}

/// `api-key attenuate` is offline: it works where no database can be opened.
#[test]
fn attenuate_needs_no_database() {
    let db = Db::new();
    let key = db.json(&["api-key", "create", "--json"])["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let nowhere = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite:{}",
        nowhere.path().join("missing/dir/idp.db").display()
    );
    let run = |args: &[&str], stdin: &str| {
        run_cli(
            nowhere.path(),
            &url,
            "http://localhost:3000",
            args,
            Some(stdin),
        )
    };
    let out = run(
        &["api-key", "attenuate", "--read-only"],
        &format!("{key}\n"),
    );
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let narrowed = out.stdout.trim();
    assert!(narrowed.len() > key.len());
    assert!(!nowhere.path().join("missing").exists());
    // Attenuating the attenuated key again works too (a third block).
    let again = run(&["api-key", "attenuate", "--tenant", "acme"], narrowed);
    assert_eq!(again.code, Some(0), "{}", again.stderr);
    // Nothing to restrict, or not a key: usage errors.
    assert_eq!(run(&["api-key", "attenuate"], &key).code, Some(2));
    assert_eq!(
        run(&["api-key", "attenuate", "--read-only"], "not a key").code,
        Some(2)
    );
    assert_eq!(
        run(&["api-key", "attenuate", "--expires", "1y"], &key).code,
        Some(2)
    );
}
