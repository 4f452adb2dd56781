//! Shared test machinery: a real server on 127.0.0.1:0 over a temporary
//! SQLite file, the CLI run as a separate process on the same database, a
//! `Browser` (an HTTP client with a cookie jar that does not follow
//! redirects) that fills in the login and consent pages, and an
//! `openidconnect` relying party as the independent judge of what the
//! provider issues.

#![allow(dead_code)]

mod authorize;
mod axe;
mod browser;
mod chromium;
mod http;
mod process;
mod raw;
mod receiver;
mod rp;
mod server;
mod spa;
mod upstream_standin;

pub use authorize::*;
pub use axe::*;
pub use browser::*;
pub use chromium::*;
pub use http::*;
pub use process::*;
pub use raw::*;
pub use receiver::*;
pub use rp::*;
pub use server::*;
pub use spa::*;
pub use upstream_standin::*;

/// The master key every test server and CLI run uses.
pub const KEY_HEX: &str = "abababababababababababababababababababababababababababababababab";

/// The redirect URI registered for test clients. Nothing listens there: the
/// browser never follows redirects, it reads `Location`.
pub const REDIRECT_URI: &str = "https://rp.example/cb";

/// The device authorization grant type (RFC 8628 §3.4).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The password of users made by [`Env::new`].
pub const PASSWORD: &str = "correct horse battery staple";
