//! OIDC Registration §5: the `sector_identifier_uri` is fetched when a
//! client registers (and when its redirect URIs change), through the
//! embedder's [`Fetch`] hook, which enforces the outbound policy (ADR 0019).
//! The document must be a JSON array listing every redirect URI of the
//! client ([`crate::subject::check_sector_document`]); otherwise the
//! registration is refused (`invalid_client_metadata`).
//!
//! Every failure to obtain the document (refused destination, no answer,
//! status, size) gets one description, so that the answer does not tell
//! what listens at an address; the cause is logged.

use crate::admin::AdminError;
use crate::provider::Fetch;

/// What a registration is told when the document cannot be obtained.
pub const UNREACHABLE: &str = "sector_identifier_uri could not be fetched";

/// Fetches a client's `sector_identifier_uri`, if it has one (already
/// checked against the outbound policy), and checks that it lists every
/// one of `redirect_uris`.
pub(crate) async fn verify(
    fetch: Option<&Fetch>,
    sector_identifier_uri: Option<&str>,
    redirect_uris: &[String],
) -> Result<(), AdminError> {
    let Some(uri) = sector_identifier_uri else {
        return Ok(());
    };
    let invalid = |reason: String| AdminError::invalid("sector_identifier_uri", reason);
    let Some(fetch) = fetch else {
        return Err(invalid(
            "this provider cannot fetch a sector_identifier_uri".into(),
        ));
    };
    let document = fetch(uri.to_owned()).await.map_err(|cause| {
        tracing::warn!(%cause, "a sector_identifier_uri could not be fetched");
        invalid(UNREACHABLE.into())
    })?;
    crate::subject::check_sector_document(&document, redirect_uris).map_err(invalid)
}
