//! `conformance --issuer URL`: runs the implemented OpenID Foundation OP test
//! modules against any issuer and prints one line per module.

use clap::Parser;
use conformance::{Status, run_all};
use std::process::ExitCode;

/// Checks an OpenID Provider against the OpenID Foundation's OP test plans.
#[derive(Parser)]
#[command(name = "conformance", version)]
struct Args {
    /// The issuer to check, e.g. https://login.example.com/t/acme
    #[arg(long)]
    issuer: String,
    /// Print a JSON report instead of lines.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let http = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot build an HTTP client: {e}");
            return ExitCode::FAILURE;
        }
    };
    let reports = run_all(&http, &args.issuer).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&reports).unwrap_or_default()
        );
    } else {
        for r in &reports {
            let status = serde_json::to_value(r.status())
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            match r.reason() {
                Some(reason) => println!("{:<45} {status:<8} {reason}", r.module),
                None => println!("{:<45} {status}", r.module),
            }
        }
        let failed = reports
            .iter()
            .filter(|r| r.status() == Status::Fail)
            .count();
        println!("{} passed, {} failed", reports.len() - failed, failed);
    }
    if reports.iter().any(|r| r.status() == Status::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
