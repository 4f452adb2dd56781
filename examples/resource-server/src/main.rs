//! `resource-server --issuer URL --audience URI --scope SCOPE [--port PORT]`:
//! serves `GET /orders` to holders of a valid access token until Ctrl-C.

use clap::Parser;
use resource_server::{Settings, start};
use std::net::{Ipv4Addr, SocketAddr};

/// An API that accepts access tokens of an OpenID Provider (RFC 9068).
#[derive(Parser, Debug)]
struct Args {
    /// The issuer whose tokens are accepted (discovery is under it).
    #[arg(long, env = "OIDC_ISSUER")]
    issuer: String,
    /// This API's audience: the resource URI clients ask tokens for.
    #[arg(long, env = "API_AUDIENCE")]
    audience: String,
    /// The scope GET /orders requires.
    #[arg(long, env = "API_SCOPE", default_value = "orders:read")]
    scope: String,
    /// Port to listen on (127.0.0.1).
    #[arg(long, env = "PORT", default_value_t = 8081)]
    port: u16,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let settings = Settings {
        issuer: args.issuer,
        audience: args.audience,
        scope: args.scope,
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
    };
    let running = match start(settings).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("listening on {}/orders", running.url);
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    std::process::ExitCode::SUCCESS
}
