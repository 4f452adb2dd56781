//! `conformance --issuer URL [clients, user]`: runs the OpenID Foundation OP
//! test modules this crate reproduces against any issuer and prints one line
//! per module id with PASS, FAIL, WARNING or SKIPPED and the reason, then a
//! summary; `--json` prints the whole report.

use clap::Parser;
use conformance::{Plan, StaticClient, Status, Target, TestUser, all_runs, run_modules};
use std::process::ExitCode;

/// Checks an OpenID Provider against the OpenID Foundation's OP test plans.
#[derive(Parser)]
#[command(name = "conformance", version)]
struct Args {
    /// The issuer to check, e.g. https://login.example.com/t/acme
    #[arg(long)]
    issuer: String,
    /// Client `client` (client_secret_basic), registered with --redirect-uri.
    #[arg(long)]
    client_id: Option<String>,
    /// Its secret.
    #[arg(long)]
    client_secret: Option<String>,
    /// Client `client2` (client_secret_basic), for oidcc-refresh-token.
    #[arg(long)]
    client2_id: Option<String>,
    /// Its secret.
    #[arg(long)]
    client2_secret: Option<String>,
    /// A client registered for client_secret_post, for oidcc-server-client-secret-post.
    #[arg(long)]
    post_client_id: Option<String>,
    /// Its secret.
    #[arg(long)]
    post_client_secret: Option<String>,
    /// The redirect URI registered for the clients (nothing needs to listen there).
    #[arg(long, default_value = "https://rp.conformance.invalid/callback")]
    redirect_uri: String,
    /// The post_logout_redirect_uri registered for --client-id (logout plan).
    #[arg(long)]
    post_logout_redirect_uri: Option<String>,
    /// Dynamic plan: listen here to publish the RP's JWK Set and request
    /// objects for the OP to fetch, e.g. 0.0.0.0:8765.
    #[arg(long)]
    rp_host_bind: Option<String>,
    /// The URL the OP reaches --rp-host-bind at (default http://ADDRESS).
    #[arg(long)]
    rp_host_url: Option<String>,
    /// oidcc-server-rotate-keys: the OP's JWKS saved before rotating its keys.
    #[arg(long)]
    previous_jwks: Option<std::path::PathBuf>,
    /// The test user's login name.
    #[arg(long)]
    username: Option<String>,
    /// The test user's password.
    #[arg(long)]
    password: Option<String>,
    /// Run only this plan: config, basic, formpost, dynamic, rp-initiated-logout,
    /// frontchannel-rp-initiated-logout, backchannel-rp-initiated-logout, or a plan id (repeatable).
    #[arg(long = "plan")]
    plans: Vec<String>,
    /// Run only this module id (repeatable).
    #[arg(long = "module")]
    modules: Vec<String>,
    /// A PEM file with an extra trusted root certificate (a test CA).
    #[arg(long)]
    ca_file: Option<std::path::PathBuf>,
    /// Print a JSON report instead of lines.
    #[arg(long)]
    json: bool,
}

fn pair(id: Option<String>, secret: Option<String>) -> Option<StaticClient> {
    Some(StaticClient {
        id: id?,
        secret: secret?,
        key: None,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let root = match &args.ca_file {
        None => None,
        Some(path) => match std::fs::read(path).map(|pem| reqwest::Certificate::from_pem(&pem)) {
            Ok(Ok(c)) => Some(c),
            Ok(Err(e)) => {
                eprintln!("error: --ca-file: {e}");
                return ExitCode::from(2);
            }
            Err(e) => {
                eprintln!("error: --ca-file {}: {e}", path.display());
                return ExitCode::from(2);
            }
        },
    };
    let target = Target {
        issuer: args.issuer.trim_end_matches('/').to_owned(),
        client: pair(args.client_id, args.client_secret),
        client2: pair(args.client2_id, args.client2_secret),
        client_post: pair(args.post_client_id, args.post_client_secret),
        redirect_uri: args.redirect_uri,
        post_logout_redirect_uri: args.post_logout_redirect_uri,
        rp_host: args.rp_host_bind.map(|b| (b, args.rp_host_url)),
        previous_jwks: match &args.previous_jwks {
            None => None,
            Some(path) => match std::fs::read(path).map(|b| serde_json::from_slice(&b)) {
                Ok(Ok(v)) => Some(v),
                _ => {
                    eprintln!(
                        "error: --previous-jwks {}: not a readable JSON file",
                        path.display()
                    );
                    return ExitCode::from(2);
                }
            },
        },
        user: match (args.username, args.password) {
            (Some(username), Some(password)) => Some(TestUser { username, password }),
            _ => None,
        },
    };
    let mut plans = Vec::new();
    for p in &args.plans {
        match Plan::parse(p) {
            Some(plan) => plans.push(plan),
            None => {
                eprintln!(
                    "error: unknown plan '{p}' (config, basic, formpost, dynamic, rp-initiated-logout, frontchannel-rp-initiated-logout, backchannel-rp-initiated-logout)"
                );
                return ExitCode::from(2);
            }
        }
    }
    let all = all_runs();
    if let Some(unknown) = args
        .modules
        .iter()
        .find(|m| !all.iter().any(|(_, id)| id == m))
    {
        eprintln!("error: unknown module '{unknown}'");
        return ExitCode::from(2);
    }
    let runs: Vec<(Plan, &'static str)> = all
        .into_iter()
        .filter(|(p, _)| plans.is_empty() || plans.contains(p))
        .filter(|(_, id)| args.modules.is_empty() || args.modules.iter().any(|m| m == id))
        .collect();
    let reports = run_modules(&runs, &target, root).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        let mut plan = "";
        for r in &reports {
            if r.plan != plan {
                plan = r.plan;
                println!("# {plan}");
            }
            let status = serde_json::to_value(r.status())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            match r.reason() {
                Some(reason) => println!("{:<78} {status:<8} {reason}", r.module),
                None => println!("{:<78} {status}", r.module),
            }
        }
        let count = |s: Status| reports.iter().filter(|r| r.status() == s).count();
        println!(
            "{} modules: {} passed, {} warnings, {} skipped, {} failed",
            reports.len(),
            count(Status::Pass),
            count(Status::Warning),
            count(Status::Skipped),
            count(Status::Fail)
        );
    }
    if reports.iter().any(|r| r.status() == Status::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
