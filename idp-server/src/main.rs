//! `idp-server`: run the server (default) or an administration command.

use clap::Parser;
use idp_server::cli::exit::Exit;
use idp_server::cli::{Cli, Command, run};
use idp_server::config::{Config, Flags};
use std::process::ExitCode;

/// Logs go to standard error; the server logs one line per request at
/// `info`, the administration commands only warnings (such as development
/// mode). Human-readable by default; `LOG_FORMAT=json` writes one JSON
/// object per line with the event's fields at the top level.
fn init_logging(default_level: &str) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    // `target=level` directives (no span or field filters): a `Targets`
    // filter, not an `EnvFilter`, whose regular expressions cost the
    // binary more code than every other logging part together (idle RSS,
    // BENCHMARKS.md).
    let fallback = || {
        Targets::new().with_default(
            default_level
                .parse::<LevelFilter>()
                .unwrap_or(LevelFilter::INFO),
        )
    };
    let filter = std::env::var("LOG_LEVEL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .and_then(|v| filter_directives(&v).parse::<Targets>().ok())
        .unwrap_or_else(fallback);
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Colours only for a person at a terminal, never into files or pipes.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if json {
        let layer = layer
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false);
        tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .init();
    } else {
        tracing_subscriber::registry()
            .with(layer.with_filter(filter))
            .init();
    }
}

/// Libraries whose debug and trace output shows URLs, headers or payloads
/// (reqwest logs the URLs it fetches, rustls and hyper their handshakes and
/// connections): a bare `LOG_LEVEL=debug` is meant for idp's own crates and
/// leaves these at `info`. An explicit directive (`LOG_LEVEL=debug,hyper=trace`)
/// is taken as written.
const CHATTY_DEPENDENCIES: [&str; 9] = [
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "rustls",
    "tokio_rustls",
    "r2d2",
    "mio",
    "want",
];

/// The filter for `LOG_LEVEL`: a bare `debug` or `trace` keeps
/// [`CHATTY_DEPENDENCIES`] at `info`; anything else as given.
fn filter_directives(level: &str) -> String {
    let level = level.trim();
    if level.eq_ignore_ascii_case("debug") || level.eq_ignore_ascii_case("trace") {
        let mut directives = level.to_owned();
        for target in CHATTY_DEPENDENCIES {
            directives.push(',');
            directives.push_str(target);
            directives.push_str("=info");
        }
        directives
    } else {
        level.to_owned()
    }
}

async fn serve(config: Config) -> Result<(), String> {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    // Listen for SIGTERM/SIGINT before anything is served: a signal that
    // arrives between the first answered request and the first poll of a
    // lazily created listener would otherwise kill the process outright.
    let stop = shutdown_signal()?;
    let server = idp_server::server::start(config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(addr = %server.addr, base_url = %server.base_url, tls = scheme == "https", "idp-server listening");
    println!(
        "idp-server listening on {scheme}://{} (BASE_URL {})",
        server.addr, server.base_url
    );
    server.run_until(stop).await?;
    tracing::info!("stopped");
    Ok(())
}

/// A future that completes on SIGTERM or SIGINT (Ctrl-C). The listeners are
/// installed when this is called, not when the future is first polled.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let listen = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| format!("cannot listen for {name}: {e}"))
    };
    let mut term = listen(SignalKind::terminate(), "SIGTERM")?;
    let mut int = listen(SignalKind::interrupt(), "SIGINT")?;
    Ok(async move {
        tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
        tracing::info!("shutting down: finishing in-flight requests");
    })
}

/// A future that completes on Ctrl-C.
#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, String> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    })
}

/// Threads for blocking work, which is the SQLite store's queries (password
/// hashing has its own threads, `password_pool`): a few more than the
/// store's 8 pooled connections, since more threads would only wait for a
/// connection while each holds its own stack and, through glibc, its own
/// malloc arena. tokio's default of 512 let a burst of logins grow the
/// process by ~100 MiB (issue 5, BENCHMARKS.md).
const MAX_BLOCKING_THREADS: usize = 16;

fn main() -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(MAX_BLOCKING_THREADS)
        .build();
    match runtime {
        Ok(rt) => rt.block_on(async_main()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn async_main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve(Box::new(cli.serve)));
    init_logging(if matches!(command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    });
    let (message, exit) = match command {
        Command::Serve(flags) => {
            let flags = Flags {
                database_url: cli.database_url,
                ..*flags
            };
            let result = match Config::resolve(&flags) {
                Err(e) => Err(e.to_string()),
                Ok(config) => serve(config).await,
            };
            match result {
                Ok(()) => return ExitCode::SUCCESS,
                Err(message) => (message, Exit::Failure),
            }
        }
        other => match run(cli.database_url, other).await {
            Ok(()) => return ExitCode::SUCCESS,
            Err(e) => (e.to_string(), e.exit()),
        },
    };
    eprintln!("error: {message}");
    ExitCode::from(exit.code())
}

#[cfg(test)]
mod tests {
    use super::filter_directives;

    #[test]
    fn a_bare_debug_level_keeps_chatty_dependencies_at_info() {
        let d = filter_directives(" debug ");
        assert!(d.starts_with("debug,"), "{d}");
        for target in ["hyper=info", "reqwest=info", "rustls=info", "r2d2=info"] {
            assert!(d.split(',').any(|x| x == target), "{target} in {d}");
        }
        assert!(filter_directives("TRACE").contains(",reqwest=info"));
        let parsed = d.parse::<tracing_subscriber::filter::Targets>();
        assert!(parsed.is_ok(), "{d}");
        if let Ok(targets) = parsed {
            use tracing::Level;
            assert!(targets.would_enable("idp_core::token", &Level::DEBUG));
            assert!(!targets.would_enable("hyper::proto", &Level::DEBUG));
            assert!(targets.would_enable("hyper::proto", &Level::INFO));
        }
    }

    #[test]
    fn a_directive_list_is_a_default_and_targets() {
        let parsed = "warn,idp_core=debug".parse::<tracing_subscriber::filter::Targets>();
        assert!(parsed.is_ok());
        if let Ok(targets) = parsed {
            use tracing::Level;
            assert!(targets.would_enable("idp_core::authorize", &Level::DEBUG));
            assert!(!targets.would_enable("idp_server::jobs", &Level::INFO));
            assert!(targets.would_enable("idp_server::jobs", &Level::WARN));
        }
    }

    #[test]
    fn other_levels_and_explicit_directives_are_taken_as_written() {
        assert_eq!(filter_directives("info"), "info");
        assert_eq!(filter_directives("warn"), "warn");
        assert_eq!(filter_directives("debug,hyper=trace"), "debug,hyper=trace");
    }
}
