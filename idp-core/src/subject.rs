//! Subject identifiers (OIDC Core §8): what a client sees as a user's `sub`.
//!
//! - `public` (the default): the user's id, the same for every client.
//! - `pairwise` (§8.1): `base64url(HMAC-SHA-256(K, sector || 0x00 || user id))`,
//!   where `K` is a per-tenant key derived from the tenant's data key
//!   ([`SubjectKeys`]) and the sector is the host of the client's
//!   `sector_identifier_uri`, or else of its redirect URIs (which must then
//!   share one host). Clients of one sector see the same `sub`; clients of
//!   different sectors cannot correlate their users through it.
//!
//! The pairwise value appears everywhere a `sub` does for that client: ID
//! tokens, access tokens, userinfo, introspection and logout tokens. It is
//! one-way; where the provider must find the user again:
//! - an access token of a pairwise client carries the user id sealed under
//!   the tenant ([`SubjectKeys::seal_user`], claim `usr`), opened at
//!   userinfo, so userinfo costs no store read more than before;
//! - an `id_token_hint` is matched by recomputing the client's `sub` for the
//!   session's user ([`crate::id_token_hint::IdTokenHint::names`]).
//!
//! Not supported: changing a client's sector after users signed in (their
//! `sub` would change), and per-client salts beyond the sector.

use crate::crypto::envelope::DataKey;
use crate::ids::{TenantId, UserId};
use crate::store::{ClientRecord, SubjectType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::borrow::Cow;

/// The tenant's keys for subjects, derived once when the tenant is loaded.
#[derive(Clone, Debug)]
pub struct SubjectKeys {
    pairwise: DataKey,
    seal: DataKey,
    location: String,
}

impl SubjectKeys {
    /// Derives the keys of `tenant` from its data key.
    pub fn derive(data_key: &DataKey, tenant: &TenantId) -> Self {
        Self {
            pairwise: data_key.derive(&format!("idp/v1/tenants/{tenant}/pairwise_subjects")),
            seal: data_key.derive(&format!("idp/v1/tenants/{tenant}/sealed_subjects")),
            location: format!("tenants/{tenant}/access_tokens/usr"),
        }
    }

    /// The pairwise `sub` of `user` in `sector` (OIDC Core §8.1).
    pub fn pairwise(&self, sector: &str, user: &UserId) -> String {
        let mut message = Vec::with_capacity(sector.len() + 1 + user.as_str().len());
        message.extend_from_slice(sector.as_bytes());
        message.push(0);
        message.extend_from_slice(user.as_str().as_bytes());
        URL_SAFE_NO_PAD.encode(self.pairwise.mac(&message))
    }

    /// The `sub` that `client` sees for `user` (borrowed for a public client).
    pub fn of<'a>(&self, client: &ClientRecord, user: &'a UserId) -> Cow<'a, str> {
        match sector_of(client) {
            Some(sector) => Cow::Owned(self.pairwise(&sector, user)),
            None => Cow::Borrowed(user.as_str()),
        }
    }

    /// Whether `sub`, as a client of `sector` (`None`: public) sees it,
    /// is `user`: recomputed, since a pairwise subject is one-way.
    pub fn names(&self, sub: &str, sector: Option<&str>, user: &UserId) -> bool {
        match sector {
            Some(sector) => self.pairwise(sector, user) == sub,
            None => user.as_str() == sub,
        }
    }

    /// The user id sealed for an access token (opaque to its holder).
    pub fn seal_user(&self, user: &UserId) -> Option<String> {
        self.seal
            .seal(user.as_str().as_bytes(), &self.location)
            .ok()
            .map(|b| URL_SAFE_NO_PAD.encode(b))
    }

    /// Opens what [`SubjectKeys::seal_user`] sealed.
    pub fn open_user(&self, sealed: &str) -> Option<UserId> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
        let plain = self.seal.open(&bytes, &self.location).ok()?;
        String::from_utf8(plain).ok().map(UserId::new)
    }
}

/// The sector of a URI: its host, or for a URI without one (a private-use
/// scheme, RFC 8252 §7.1) its scheme.
pub fn sector_of_uri(uri: &str) -> Option<String> {
    let parsed = url::Url::parse(uri).ok()?;
    Some(match parsed.host_str() {
        Some(host) => host.to_ascii_lowercase(),
        None => parsed.scheme().to_owned(),
    })
}

/// The sector of a pairwise client (OIDC Core §8.1): the host of its
/// `sector_identifier_uri`, else of its (first) redirect URI. `None` for a
/// public client, or a pairwise one with neither (it has no users).
pub fn sector_of(client: &ClientRecord) -> Option<String> {
    if client.subject_type != SubjectType::Pairwise {
        return None;
    }
    match &client.sector_identifier_uri {
        Some(uri) => sector_of_uri(uri),
        None => client.redirect_uris.first().and_then(|u| sector_of_uri(u)),
    }
}

/// Registration rule (OIDC Core §8.1, Registration §5): a pairwise client
/// whose redirect URIs are on more than one host must register a
/// `sector_identifier_uri`, and one with no redirect URI needs one too.
pub fn check_sector(
    subject_type: SubjectType,
    redirect_uris: &[String],
    sector_identifier_uri: Option<&str>,
) -> Result<(), String> {
    if subject_type != SubjectType::Pairwise || sector_identifier_uri.is_some() {
        return Ok(());
    }
    let mut sectors = redirect_uris.iter().map(|u| sector_of_uri(u));
    let Some(first) = sectors.next() else {
        return Err("a pairwise client needs a redirect URI or a sector_identifier_uri".into());
    };
    if sectors.any(|s| s != first) {
        return Err(
            "a pairwise client with redirect URIs on several hosts needs a sector_identifier_uri (OIDC Core §8.1)"
                .into(),
        );
    }
    Ok(())
}

/// Checks the document fetched from a `sector_identifier_uri` (OIDC
/// Registration §5): a JSON array of strings that contains every redirect
/// URI of the client.
pub fn check_sector_document(document: &[u8], redirect_uris: &[String]) -> Result<(), String> {
    let listed: Vec<String> = serde_json::from_slice(document)
        .map_err(|_| "sector_identifier_uri did not yield a JSON array of URIs".to_owned())?;
    match redirect_uris.iter().find(|r| !listed.contains(r)) {
        Some(missing) => Err(format!(
            "sector_identifier_uri does not list the redirect URI '{missing}'"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ClientId;

    fn keys() -> SubjectKeys {
        SubjectKeys::derive(&DataKey::generate(), &TenantId::new("t"))
    }

    fn client(subject_type: SubjectType, redirect: &str) -> ClientRecord {
        ClientRecord {
            redirect_uris: vec![redirect.to_owned()],
            subject_type,
            ..ClientRecord::new(ClientId::new("c"), "C", 0)
        }
    }

    #[test]
    fn pairwise_subjects_are_stable_per_sector_and_differ_across_sectors() {
        let k = keys();
        let u = UserId::new("u1");
        let a1 = client(SubjectType::Pairwise, "https://a.example/cb");
        let a2 = client(SubjectType::Pairwise, "https://a.example/other");
        let b = client(SubjectType::Pairwise, "https://b.example/cb");
        assert_eq!(k.of(&a1, &u), k.of(&a2, &u));
        assert_ne!(k.of(&a1, &u), k.of(&b, &u));
        assert_ne!(k.of(&a1, &u), k.of(&a1, &UserId::new("u2")));
        assert_eq!(k.of(&a1, &u).len(), 43);
        assert_eq!(
            k.of(&client(SubjectType::Public, "https://a.example/cb"), &u),
            "u1"
        );
        // Another tenant's key gives other subjects.
        assert_ne!(keys().of(&a1, &u), k.of(&a1, &u));
        let with_sector = ClientRecord {
            sector_identifier_uri: Some("https://b.example/sector.json".into()),
            ..a1.clone()
        };
        assert_eq!(k.of(&with_sector, &u), k.of(&b, &u));
    }

    #[test]
    fn sealed_users_open_only_under_the_same_tenant() {
        let k = keys();
        let sealed = k.seal_user(&UserId::new("u1")).unwrap_or_default();
        assert_eq!(k.open_user(&sealed), Some(UserId::new("u1")));
        assert_eq!(keys().open_user(&sealed), None);
        assert_eq!(k.open_user("garbage"), None);
    }

    #[test]
    fn several_hosts_need_a_sector_identifier_uri() {
        let two = vec![
            "https://a.example/cb".to_owned(),
            "https://b.example/cb".to_owned(),
        ];
        assert!(check_sector(SubjectType::Pairwise, &two, None).is_err());
        assert!(check_sector(SubjectType::Pairwise, &two, Some("https://a.example/s")).is_ok());
        assert!(check_sector(SubjectType::Public, &two, None).is_ok());
        assert!(check_sector(SubjectType::Pairwise, &two[..1], None).is_ok());
        assert!(check_sector(SubjectType::Pairwise, &[], None).is_err());
    }

    #[test]
    fn the_sector_document_lists_every_redirect_uri() {
        let uris = vec!["https://a.example/cb".to_owned()];
        assert!(check_sector_document(br#"["https://a.example/cb","x"]"#, &uris).is_ok());
        assert!(check_sector_document(br#"["https://example.com/op"]"#, &uris).is_err());
        assert!(check_sector_document(br#"{"a":1}"#, &uris).is_err());
        assert!(check_sector_document(b"[1]", &uris).is_err());
    }
}
