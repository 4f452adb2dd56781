//! `device-cli --issuer URL --client-id ID [--client-secret S] [--scope "openid email"]`
//!
//! Prints what to do on standard error, waits for the approval, and prints
//! the verified ID token's claims as JSON on standard output. Exit status: 0
//! signed in, 1 failure, 2 usage, 3 access denied, 4 code expired.

use clap::Parser;
use device_cli::{Options, sign_in};
use std::io::Write;
use std::process::ExitCode;

/// Sign in with the OAuth 2.0 Device Authorization Grant (RFC 8628) and
/// print the ID token's claims.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// Issuer URL (its discovery document is {issuer}/.well-known/openid-configuration)
    #[arg(long, env = "OIDC_ISSUER")]
    issuer: String,
    /// Client id of a client allowed the device grant
    #[arg(long, env = "OIDC_CLIENT_ID")]
    client_id: String,
    /// Client secret, for a confidential client
    #[arg(long, env = "OIDC_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// Scopes to request (openid is always included)
    #[arg(long, default_value = "openid email")]
    scope: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let options = Options {
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret: args.client_secret,
        scope: args.scope,
    };
    // Write errors (a closed terminal or pipe) are ignored rather than
    // panicking as `println!` would: the exit status still tells the outcome.
    let claims = sign_in(&options, |prompt| {
        let _ = writeln!(std::io::stderr(), "{prompt}\nWaiting for approval...");
    })
    .await;
    match claims {
        Ok(claims) => {
            let json = serde_json::to_string_pretty(&claims).unwrap_or_default();
            let _ = writeln!(std::io::stdout(), "{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
