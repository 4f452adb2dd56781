//! [`ClientStore`](crate::store::ClientStore): relying parties.

use super::Outcome;
use super::samples::{client, two_tenants};
use crate::ids::ClientId;
use crate::jwks::SigningAlg;
use crate::store::{
    ClientRecord, GrantType, Store, StoreError, SubjectType, TokenEndpointAuthMethod,
};
use std::sync::Arc;

pub(crate) fn assert_same(got: &ClientRecord, want: &ClientRecord) {
    assert_eq!(got.id, want.id);
    assert_eq!(got.name, want.name);
    assert_eq!(got.secret_hash, want.secret_hash);
    assert_eq!(got.auth_method, want.auth_method);
    assert_eq!(got.redirect_uris, want.redirect_uris);
    assert_eq!(got.grant_types, want.grant_types);
    assert_eq!(got.require_pkce, want.require_pkce);
    assert_eq!(got.id_token_alg, want.id_token_alg);
    assert_eq!(got.allowed_scopes, want.allowed_scopes);
    assert_eq!(got.audiences, want.audiences);
    assert_eq!(got.jwks, want.jwks);
    assert_eq!(got.jwks_uri, want.jwks_uri);
    assert_eq!(
        got.post_logout_redirect_uris,
        want.post_logout_redirect_uris
    );
    assert_eq!(got.frontchannel_logout_uri, want.frontchannel_logout_uri);
    assert_eq!(
        got.frontchannel_logout_session_required,
        want.frontchannel_logout_session_required
    );
    assert_eq!(got.backchannel_logout_uri, want.backchannel_logout_uri);
    assert_eq!(
        got.backchannel_logout_session_required,
        want.backchannel_logout_session_required
    );
    assert_eq!(got.registration_token_hash, want.registration_token_hash);
    assert_eq!(got.metadata, want.metadata);
    assert_eq!(got.previous_secret, want.previous_secret);
    assert_eq!(got.created_at, want.created_at);
    assert_eq!(
        got.require_pushed_authorization_requests,
        want.require_pushed_authorization_requests
    );
    assert_eq!(got.subject_type, want.subject_type);
    assert_eq!(got.sector_identifier_uri, want.sector_identifier_uri);
    assert_eq!(got.allowed_origins, want.allowed_origins);
}

/// A client with every field set reads back field for field.
pub async fn client_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let c = client("c1");
    store.create_client(&a, &c).await?;
    assert_same(&store.client(&a, &c.id).await?.ok_or("missing")?, &c);
    assert!(store.client(&a, &ClientId::new("nope")).await?.is_none());
    Ok(())
}

/// A public client with its optional fields empty reads back as such.
pub async fn public_client_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let c = ClientRecord {
        auth_method: TokenEndpointAuthMethod::None,
        grant_types: vec![GrantType::AuthorizationCode],
        id_token_alg: SigningAlg::Rs256,
        ..ClientRecord::new(ClientId::new("spa"), "SPA", 5)
    };
    store.create_client(&a, &c).await?;
    assert_same(&store.client(&a, &c.id).await?.ok_or("missing")?, &c);
    Ok(())
}

/// A pairwise client (OIDC Core §8.1) keeps its subject type and sector
/// identifier URI; without the URI it is still pairwise; a public client
/// (the sample of [`public_client_round_trips`] too) stays public.
pub async fn pairwise_client_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let with_uri = client("pw1");
    assert_eq!(with_uri.subject_type, SubjectType::Pairwise);
    let without_uri = ClientRecord {
        sector_identifier_uri: None,
        ..client("pw2")
    };
    let public = ClientRecord {
        subject_type: SubjectType::Public,
        sector_identifier_uri: None,
        ..client("pub")
    };
    for c in [&with_uri, &without_uri, &public] {
        store.create_client(&a, c).await?;
        assert_same(&store.client(&a, &c.id).await?.ok_or("missing")?, c);
    }
    Ok(())
}

/// A client id in use in the tenant is a `Conflict`, and the first client
/// is unchanged.
pub async fn client_ids_are_unique_per_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store.create_client(&a, &client("c1")).await?;
    let mut again = client("c1");
    again.name = "Impostor".to_owned();
    let result = store.create_client(&a, &again).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let got = store.client(&a, &again.id).await?.ok_or("missing")?;
    assert_eq!(got.name, "Client c1");
    Ok(())
}

/// Deleting reports whether there was a client; it is gone afterwards.
pub async fn client_is_deleted_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let c = client("c1");
    store.create_client(&a, &c).await?;
    assert!(store.delete_client(&a, &c.id).await?);
    assert!(!store.delete_client(&a, &c.id).await?);
    assert!(store.client(&a, &c.id).await?.is_none());
    // The id is free again.
    store.create_client(&a, &c).await?;
    Ok(())
}

/// A bulk registration writes every client, or none if one id is taken
/// (also within the batch itself).
pub async fn bulk_clients_are_all_or_nothing<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let batch: Vec<_> = (0..50).map(|i| client(&format!("c{i}"))).collect();
    store.create_clients(&a, &batch).await?;
    assert_same(
        &store.client(&a, &batch[49].id).await?.ok_or("missing")?,
        &batch[49],
    );
    for clash in [
        vec![client("fresh"), client("c7")],
        vec![client("fresh"), client("twice"), client("twice")],
    ] {
        let result = store.create_clients(&a, &clash).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
        assert!(store.client(&a, &ClientId::new("fresh")).await?.is_none());
        assert!(store.client(&a, &ClientId::new("twice")).await?.is_none());
    }
    store.create_clients(&a, &[]).await?;
    Ok(())
}

/// Another tenant neither sees nor deletes a client, and may register the
/// same id for its own.
pub async fn clients_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let c = client("c1");
    store.create_client(&a, &c).await?;
    assert!(store.client(&b, &c.id).await?.is_none());
    assert!(!store.delete_client(&b, &c.id).await?);
    let mut theirs = client("c1");
    theirs.name = "B's client".to_owned();
    store.create_clients(&b, &[theirs]).await?;
    assert_eq!(
        store.client(&a, &c.id).await?.ok_or("missing")?.name,
        "Client c1"
    );
    assert_eq!(
        store.client(&b, &c.id).await?.ok_or("missing")?.name,
        "B's client"
    );
    assert!(store.delete_client(&b, &c.id).await?);
    assert!(store.client(&a, &c.id).await?.is_some());
    Ok(())
}

/// The web origin sources of a tenant are every redirect URI and allowed
/// origin of its clients, and nothing of another tenant's.
pub async fn web_origin_sources_are_the_tenants<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    assert!(store.web_origin_sources(&a).await?.is_empty());
    store.create_client(&a, &client("c1")).await?;
    let spa = ClientRecord {
        redirect_uris: vec!["https://spa.example/cb".to_owned()],
        allowed_origins: vec!["https://other.example".to_owned()],
        ..ClientRecord::new(ClientId::new("spa"), "SPA", 5)
    };
    store.create_client(&a, &spa).await?;
    store
        .create_client(
            &b,
            &ClientRecord {
                redirect_uris: vec!["https://b.example/cb".to_owned()],
                allowed_origins: vec!["https://b-spa.example".to_owned()],
                ..ClientRecord::new(ClientId::new("theirs"), "Theirs", 5)
            },
        )
        .await?;
    let mut got = store.web_origin_sources(&a).await?;
    got.sort();
    let mut want: Vec<String> = [&client("c1"), &spa]
        .iter()
        .flat_map(|c| c.redirect_uris.iter().chain(&c.allowed_origins).cloned())
        .collect();
    want.sort();
    assert_eq!(got, want);
    store.delete_client(&a, &spa.id).await?;
    assert!(
        !store
            .web_origin_sources(&a)
            .await?
            .contains(&"https://other.example".to_owned())
    );
    Ok(())
}
