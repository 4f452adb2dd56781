//! `embedded-example [--port PORT] [--data DIR] [--public-url URL]`: runs the
//! application with its embedded OpenID Provider until Ctrl-C.

use clap::Parser;
use embedded_example::{DEMO_EMAIL, DEMO_PASSWORD, Settings, start};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// A web application that is its own OpenID Provider (idp-core embedded).
#[derive(Parser, Debug)]
struct Args {
    /// Port to listen on (127.0.0.1).
    #[arg(long, env = "PORT", default_value_t = 8080)]
    port: u16,
    /// Directory for the database, the master key and the client credentials.
    #[arg(long, env = "DATA", default_value = "./data")]
    data: PathBuf,
    /// URL browsers use to reach the app [default: http://127.0.0.1:{port}]
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let settings = Settings {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)),
        data_dir: args.data,
        public_url: args.public_url,
    };
    let running = match start(settings).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("app:    {}/", running.app_url);
    eprintln!("issuer: {}", running.issuer);
    eprintln!("sign in as {DEMO_EMAIL} / {DEMO_PASSWORD:?}");
    let _ = tokio::signal::ctrl_c().await;
    running.shutdown().await;
    std::process::ExitCode::SUCCESS
}
