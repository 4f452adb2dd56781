//! idp-server integration tests: one binary, one module per feature. Every
//! test starts its own server on 127.0.0.1:0 over a temporary SQLite file,
//! provisions it with the CLI, and speaks HTTP to it: a cookie-keeping
//! `Browser` plays the user, `openidconnect` plays the relying party.

mod support;

mod abuse;
mod account;
mod acr;
mod admin_cascade;
mod admin_cli;
mod analytics;
mod api;
mod api_key_cli;
mod api_openapi;
mod authorize_errors;
mod channel_logout;
mod claims_and_form_post;
mod cli;
mod client_cache;
mod client_credentials;
mod code_flow;
mod console;
mod cors;
mod device;
mod device_logout;
mod discovery;
mod emails;
mod introspection;
mod jobs;
mod jwks_uri_cache;
mod key_publication;
mod key_rotation;
mod logout;
mod logout_retry;
mod logs;
mod metrics;
mod native_apps;
mod operations;
mod pairwise;
mod par;
mod pkce;
mod platform;
// The PostgreSQL store is in the default build (cargo feature `postgres`).
#[cfg(feature = "postgres")]
mod postgres;
mod redirect_schemes;
mod refresh;
mod registration;
mod registration_abuse;
mod registration_update;
mod request_objects;
mod resource_indicators;
mod restart;
mod revocation;
mod roles_claim;
mod security_headers;
mod sessions;
mod signup;
mod sso_prompt;
mod ssrf;
mod startup;
mod tenant_state;
mod tenants;
mod tiers;
mod tls;
mod token_errors;
mod unauthenticated_state;
mod upstream;
mod userinfo;
mod users_export;
