//! `idp-bench`: the load driver of `bench/run.sh` (issue 5).
//!
//! oha drives the requests that can repeat (client credentials,
//! introspection, userinfo, discovery, JWKS). This driver does what oha
//! cannot: requests whose input is single-use (authorization codes, rotated
//! refresh tokens, login interactions), which it mints beforehand through the
//! server's real authorize + login flow; the bare signing and argon2id rates
//! the endpoint figures are compared with; and bulk seeding of users and
//! clients through the store's batch methods. Every load subcommand prints
//! one JSON line: `{"name","ok","errors","secs","rps","p50_ms","p99_ms"}`.

mod baseline;
mod console;
mod flow;
mod load;
mod seed;

use clap::{Parser, Subcommand};

/// Load driver and seeder for bench/run.sh.
#[derive(Parser, Debug)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where and as whom the flows run.
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// The tenant's issuer, e.g. http://127.0.0.1:3000/t/bench.
    #[arg(long)]
    pub issuer: String,
    /// A confidential client allowed authorization_code and refresh_token.
    #[arg(long)]
    pub client_id: String,
    /// Its secret.
    #[arg(long)]
    pub client_secret: String,
    /// Its registered redirect URI.
    #[arg(long)]
    pub redirect_uri: String,
    /// A user's email.
    #[arg(long)]
    pub email: String,
    /// The user's password.
    #[arg(long)]
    pub password: String,
}

/// How long and how hard a load runs.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Shape {
    /// Seconds of measurement (the run also ends when its minted inputs run out).
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
    /// Concurrent requests in flight.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Single-use inputs to mint beforehand.
    #[arg(long, default_value_t = 20_000)]
    pub count: usize,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Bare signatures/s of one algorithm on one thread (RS256, ES256, EdDSA).
    SignRate {
        #[arg(long)]
        alg: String,
        #[arg(long, default_value_t = 3)]
        secs: u64,
    },
    /// Bare argon2id verifications/s at the server's cost, on `threads` threads.
    HashRate {
        #[arg(long, default_value_t = 3)]
        secs: u64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// Mints codes through authorize (with a logged-in session) and measures
    /// their exchange at the token endpoint.
    Exchange {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        shape: Shape,
    },
    /// Mints refresh tokens (codes with offline_access, exchanged) and
    /// measures refreshes, each presenting a token once.
    Refresh {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        shape: Shape,
    },
    /// Opens login interactions through authorize and measures password
    /// logins (each POST verifies the password and issues a code).
    Login {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        shape: Shape,
    },
    /// Prints {"access_token": ...}: a user's access token (scope openid
    /// profile email) for the userinfo load.
    UserToken {
        #[command(flatten)]
        target: Target,
    },
    /// Signs an operator in to the console (`/admin`) and prints
    /// {"cookie": ...}: the session for the console's page loads.
    ConsoleCookie {
        /// BASE_URL.
        #[arg(long)]
        base_url: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
    },
    /// Bulk-seeds users and clients into a tenant through the store's batch
    /// methods (one transaction per batch), without a server.
    Seed {
        /// DATABASE_URL of the server's database.
        #[arg(long)]
        database: String,
        /// Tenant slug (must exist).
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value_t = 0)]
        users: usize,
        #[arg(long, default_value_t = 0)]
        clients: usize,
        /// Rows per transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Distinguishes the emails and client ids of one seeding from another's.
        #[arg(long, default_value = "seed")]
        prefix: String,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // One thread: the driver runs pinned to the core the server does not use.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Command::SignRate { alg, secs } => baseline::sign_rate(&alg, secs),
        Command::HashRate { secs, threads } => baseline::hash_rate(secs, threads),
        Command::Exchange { target, shape } => rt.block_on(flow::exchange(&target, shape)),
        Command::Refresh { target, shape } => rt.block_on(flow::refresh(&target, shape)),
        Command::Login { target, shape } => rt.block_on(flow::login(&target, shape)),
        Command::UserToken { target } => rt.block_on(flow::user_token(&target)),
        Command::ConsoleCookie {
            base_url,
            email,
            password,
        } => rt.block_on(console::console_cookie(&base_url, &email, &password)),
        Command::Seed {
            database,
            tenant,
            users,
            clients,
            batch,
            prefix,
        } => rt.block_on(seed::seed(
            &database, &tenant, &prefix, users, clients, batch,
        )),
    }
}
