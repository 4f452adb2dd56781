//! The command line through the real binary: each command lists only its
//! own options, help speaks to users, and the exit statuses of README's
//! "Command line" (0 success, 1 failure, 2 usage, 3 not found, 4 conflict,
//! 5 database unavailable) are what a script sees.

use crate::support::{CliOutput, run_cli};

/// Options of `serve` that no other command may list.
const SERVER_OPTIONS: [&str; 14] = [
    "--host",
    "--port",
    "--base-url",
    "--tls-cert-file",
    "--tls-key-file",
    "--purge-interval-seconds",
    "--checkpoint-interval-seconds",
    "--key-rotation-days",
    "--key-publication-seconds",
    "--logout-retry-interval-seconds",
    "--trust-proxy",
    "--metrics-addr",
    "--rate-limit",
    "--rate-limit-login-ip",
];

/// Internal words that have no place in a user's help.
const INTERNAL_WORDS: [&str; 4] = ["boxed", "Box<", "struct", "enum"];

/// `idp-server ARGS` on a fresh database in a temporary directory.
pub(crate) struct Cli {
    dir: tempfile::TempDir,
    database_url: String,
}

impl Cli {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let database_url = format!("sqlite:{}", dir.path().join("idp.db").display());
        Self { dir, database_url }
    }

    pub(crate) fn run(&self, args: &[&str]) -> CliOutput {
        self.run_on(&self.database_url, args)
    }

    /// Runs `args` with `stdin` on standard input.
    pub(crate) fn run_with(&self, args: &[&str], stdin: &str) -> CliOutput {
        run_cli(
            self.dir.path(),
            &self.database_url,
            "http://localhost:3000",
            args,
            Some(stdin),
        )
    }

    /// Runs `args`, which must succeed, and parses its JSON output.
    pub(crate) fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.expect(args, 0);
        serde_json::from_str(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?} printed no JSON ({e}): {}", out.stdout))
    }

    fn run_on(&self, database_url: &str, args: &[&str]) -> CliOutput {
        run_cli(
            self.dir.path(),
            database_url,
            "http://localhost:3000",
            args,
            None,
        )
    }

    /// Runs `args` and asserts the exit code, naming the case on failure.
    pub(crate) fn expect(&self, args: &[&str], code: i32) -> CliOutput {
        let out = self.run(args);
        assert_eq!(
            out.code,
            Some(code),
            "{args:?}: {}{}",
            out.stdout,
            out.stderr
        );
        out
    }
}

fn help(args: &[&str]) -> String {
    let cli = Cli::new();
    let mut args = args.to_vec();
    args.push("--help");
    let out = cli.run(&args);
    assert!(out.success, "{args:?}: {}", out.stderr);
    out.stdout
}

/// Long option names in a help text.
fn options(help: &str) -> Vec<&str> {
    help.split_whitespace()
        .filter(|w| w.starts_with("--"))
        .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()))
        .collect()
}

#[test]
fn administration_commands_list_only_their_own_options() {
    for command in [
        &["tenant", "create"][..],
        &["tenant", "list"],
        &["tenant", "get"],
        &["tenant", "update"],
        &["tenant", "delete"],
        &["tenant", "keys"],
        &["tenant", "rotate-keys"],
        &["tenant", "approve"],
        &["tenant", "reject"],
        &["tenant", "suspend"],
        &["tenant", "reactivate"],
        &["client", "create"],
        &["client", "list"],
        &["client", "get"],
        &["client", "update"],
        &["client", "delete"],
        &["client", "rotate-secret"],
        &["user", "create"],
        &["user", "list"],
        &["user", "get"],
        &["user", "update"],
        &["user", "disable"],
        &["user", "enable"],
        &["user", "set-password"],
        &["user", "delete"],
        &["session", "list"],
        &["session", "revoke"],
        &["api-key", "create"],
        &["api-key", "list"],
        &["api-key", "revoke"],
        &["audit", "list"],
        &["backup"],
        &["health"],
    ] {
        let text = help(command);
        let listed = options(&text);
        // `health` probes the address `serve` binds: its own --host, --port.
        // `tenant rotate-keys` publishes its keys for as long as `serve`'s
        // scheduled rotations do: its own --key-publication-seconds.
        let own: &[&str] = match command {
            ["health"] => &["--host", "--port"],
            ["tenant", "rotate-keys"] => &["--key-publication-seconds"],
            _ => &[],
        };
        for server_option in SERVER_OPTIONS.iter().filter(|o| !own.contains(o)) {
            assert!(
                !listed.contains(server_option),
                "{command:?} lists {server_option}:\n{text}"
            );
        }
        assert!(
            listed.contains(&"--database-url"),
            "{command:?} has no --database-url:\n{text}"
        );
    }
    // Forty-odd options before; now its own and --database-url.
    let client = help(&["client", "create"]);
    let declared = client
        .lines()
        .filter(|l| l.trim_start().starts_with("--"))
        .count();
    assert!(declared <= 24, "{declared} options:\n{client}");
}

#[test]
fn serve_and_no_command_take_the_server_options() {
    for command in [&["serve"][..], &[]] {
        let text = help(command);
        let listed = options(&text);
        for server_option in SERVER_OPTIONS {
            assert!(
                listed.contains(&server_option),
                "{command:?} lacks {server_option}"
            );
        }
    }
    // A server option after an administration command is a usage error.
    let cli = Cli::new();
    let out = cli.run(&["tenant", "list", "--port", "8080"]);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        !cli.dir.path().join("idp.db").exists(),
        "a database was opened"
    );
}

#[test]
fn help_speaks_to_users_and_documents_exit_statuses() {
    let top = help(&[]);
    for (code, meaning) in [
        ("0", "success"),
        ("1", "failure"),
        ("2", "usage"),
        ("3", "not found"),
        ("4", "conflict"),
        ("5", "database unavailable"),
    ] {
        assert!(
            top.lines()
                .any(|l| l.trim_start().starts_with(&format!("{code}  {meaning}"))),
            "exit status {code} not documented:\n{top}"
        );
    }
    for command in [
        &[][..],
        &["tenant"],
        &["client"],
        &["client", "create"],
        &["user"],
        &["session"],
        &["session", "revoke"],
        &["api-key"],
        &["api-key", "create"],
        &["api-key", "attenuate"],
        &["audit"],
        &["audit", "list"],
    ] {
        let text = help(command);
        for word in INTERNAL_WORDS {
            assert!(!text.contains(word), "{command:?} says '{word}':\n{text}");
        }
    }
}

#[test]
fn exit_statuses_tell_what_happened() {
    let cli = Cli::new();
    let redirect = "https://rp.example/cb";
    // 0: done.
    cli.expect(&["tenant", "create", "acme"], 0);
    // 2: usage: a missing argument (clap), an invalid value, an invalid setting.
    cli.expect(&["client", "create", "--tenant", "acme"], 2);
    cli.expect(
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "App",
            "--grant-type",
            "telepathy",
        ],
        2,
    );
    cli.expect(
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "App",
            "--redirect-uri",
            "not a url",
        ],
        2,
    );
    cli.expect(&["tenant", "create", "Not A Slug"], 2);
    // 3: not found.
    let out = cli.expect(
        &[
            "client",
            "create",
            "--tenant",
            "nope",
            "--name",
            "App",
            "--redirect-uri",
            redirect,
        ],
        3,
    );
    assert!(out.stderr.contains("nope"), "{}", out.stderr);
    cli.expect(
        &["session", "revoke", "--tenant", "acme", "no-such-session"],
        3,
    );
    // 4: conflict.
    cli.expect(&["tenant", "create", "acme"], 4);
    let taken = cli.dir.path().join("taken.db");
    std::fs::write(&taken, b"x").expect("write");
    cli.expect(&["backup", &taken.display().to_string()], 4);
    // A backup to a new file succeeds.
    let copy = cli.dir.path().join("copy.db");
    cli.expect(&["backup", &copy.display().to_string()], 0);
    assert!(copy.exists());
    // 5: the database cannot be opened (its directory is a file).
    let blocked = format!("sqlite:{}/idp.db", taken.display());
    let out = cli.run_on(&blocked, &["tenant", "list"]);
    assert_eq!(out.code, Some(5), "{}", out.stderr);
    assert!(
        out.stderr.starts_with("error: DATABASE_URL:"),
        "{}",
        out.stderr
    );
}

/// The organisation lifecycle from the shell: the moves print the tenant
/// in its new state; a move from the wrong state exits 4, a missing or
/// misplaced reason 2, an unknown tenant 3.
#[test]
fn tenant_lifecycle_moves_and_their_exit_statuses() {
    let cli = Cli::new();
    let t = cli.json(&["tenant", "create", "acme", "--pending", "--json"]);
    assert_eq!(
        (&t["state"], &t["state_reason"]),
        (&"pending".into(), &serde_json::Value::Null)
    );
    cli.expect(&["tenant", "suspend", "acme", "--reason", "x"], 4);
    cli.expect(&["tenant", "reject", "acme"], 2);
    cli.expect(&["tenant", "reject", "acme", "--reason", ""], 2);
    cli.expect(&["tenant", "approve", "acme", "--reason", "x"], 2);
    cli.expect(&["tenant", "approve", "nope"], 3);
    let t = cli.json(&["tenant", "approve", "acme", "--json"]);
    assert_eq!(t["state"], "active", "{t}");
    assert!(
        t["state_changed_at"]
            .as_str()
            .is_some_and(|s| s.ends_with('Z')),
        "{t}"
    );
    let out = cli.expect(&["tenant", "approve", "acme"], 4);
    assert!(
        out.stderr
            .contains("tenant 'acme' is active: only a pending tenant can be approved"),
        "{}",
        out.stderr
    );
    let t = cli.json(&[
        "tenant",
        "suspend",
        "acme",
        "--reason",
        "Chargeback",
        "--json",
    ]);
    assert_eq!(
        (&t["state"], &t["state_reason"]),
        (&"suspended".into(), &"Chargeback".into())
    );
    assert_eq!(
        cli.json(&["tenant", "get", "acme", "--json"])["state"],
        "suspended"
    );
    let out = cli.expect(&["tenant", "reactivate", "acme"], 0);
    assert_eq!(out.stdout.trim(), "tenant 'acme' is now active");
    cli.expect(&["tenant", "create", "late", "--pending"], 0);
    cli.expect(&["tenant", "reject", "late", "--reason", "Spam"], 0);
    cli.expect(&["tenant", "approve", "late"], 4);
    cli.expect(&["tenant", "reactivate", "late"], 4);
}

#[test]
fn the_outbound_policy_is_an_option_of_the_commands_that_use_it() {
    for command in [&["client", "create"][..], &["session", "revoke"]] {
        let listed = help(command);
        let listed = options(&listed);
        for option in ["--outbound-allow", "--outbound-allow-http"] {
            assert!(listed.contains(&option), "{command:?} lacks {option}");
        }
    }
    for command in [&["tenant", "create"][..], &["user", "create"], &["backup"]] {
        let listed = help(command);
        assert!(
            !options(&listed).contains(&"--outbound-allow"),
            "{command:?}"
        );
    }
}
