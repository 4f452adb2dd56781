//! The relying party towards upstreams (idp_core::upstream::relying_party),
//! driven directly through the server's guarded outbound client against
//! real upstreams on this machine: a second tenant of a real idp server as
//! the `oidc` upstream, and the GitHub, Google and Microsoft stand-ins.
//! Every failure knob of the stand-ins maps to its `UpstreamFailure`, and
//! no error text holds the client secret, the code or the verifier.

use crate::support::*;
use idp_core::ids::UpstreamId;
use idp_core::outbound::OutboundPolicy;
use idp_core::store::UpstreamRecord;
use idp_core::upstream::relying_party::{Configured, Outgoing, RelyingParty};
use idp_core::upstream::{Asserted, UpstreamFailure, UpstreamKind};
use idp_server::outbound::{OutboundClient, loopback_policy};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A relying party sending through an outbound client with `policy`.
fn relying_party_with(policy: OutboundPolicy) -> RelyingParty {
    let client = OutboundClient::new(policy).expect("outbound client");
    RelyingParty::new(Some(client.upstream_hook()))
}

/// The relying party of tests: loopback allowed, over http.
fn relying_party() -> RelyingParty {
    relying_party_with(loopback_policy())
}

/// An upstream record of `kind` at `issuer` for `client_id`.
fn record(kind: UpstreamKind, issuer: &str, client_id: &str) -> UpstreamRecord {
    UpstreamRecord {
        id: UpstreamId::new("up1"),
        kind,
        name: format!("{} (test)", kind.as_str()),
        issuer: Some(issuer.to_owned()),
        client_id: client_id.to_owned(),
        sealed_client_secret: Vec::new(),
        signup: true,
        auto_link: false,
        created_at: 0,
        updated_at: 0,
    }
}

/// One round trip's secrets.
struct Round {
    redirect_uri: String,
    state: String,
    nonce: String,
    verifier: String,
}

impl Round {
    fn new(redirect_uri: &str) -> Self {
        let (verifier, _) = pkce_pair();
        Self {
            redirect_uri: redirect_uri.to_owned(),
            state: format!("st-{}", pkce_pair().0),
            nonce: format!("n-{}", pkce_pair().0),
            verifier,
        }
    }

    fn out(&self) -> Outgoing<'_> {
        Outgoing {
            redirect_uri: &self.redirect_uri,
            state: &self.state,
            nonce: &self.nonce,
            pkce_verifier: &self.verifier,
        }
    }

    /// The S256 challenge of its verifier.
    fn challenge(&self) -> String {
        use base64::Engine;
        let digest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, self.verifier.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
    }
}

/// The query of a URL.
fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .expect("URL")
        .query_pairs()
        .into_owned()
        .collect()
}

/// A stand-in as an upstream: its record and secret.
fn standin_upstream(standin: &StandIn, kind: UpstreamKind) -> UpstreamRecord {
    record(kind, &standin.issuer, &standin.client_id)
}

/// Runs a round trip against a stand-in: the authorization URL, the
/// stand-in's immediate redirect back, then redeem.
async fn round_trip(
    rp: &RelyingParty,
    standin: &StandIn,
    kind: UpstreamKind,
) -> (Round, Result<Asserted, UpstreamFailure>) {
    let upstream = standin_upstream(standin, kind);
    let configured = Configured {
        record: &upstream,
        client_secret: &standin.client_secret,
    };
    let round = Round::new(REDIRECT_URI);
    let url = rp
        .authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    let callback = Browser::new().answer_to_client(&url).await;
    assert_eq!(callback.state.as_deref(), Some(round.state.as_str()));
    let code = callback.code();
    let result = rp.redeem(configured, &code, round.out()).await;
    if let Err(failure) = &result {
        assert_clean(failure, &[&standin.client_secret, &code, &round.verifier]);
    }
    (round, result)
}

/// Neither the log text of `failure` nor its page text holds any of `secrets`.
fn assert_clean(failure: &UpstreamFailure, secrets: &[&str]) {
    for text in [failure.to_string(), failure.description().to_owned()] {
        for secret in secrets {
            assert!(!text.contains(secret), "'{text}' holds a secret");
        }
    }
}

/// The ID-token check a failure names.
fn bad_id_token(result: Result<Asserted, UpstreamFailure>) -> String {
    match result {
        Err(UpstreamFailure::BadIdToken(check)) => check,
        other => panic!("expected BadIdToken, got {other:?}"),
    }
}

#[tokio::test]
async fn a_tenant_of_a_real_provider_is_an_oidc_upstream() {
    let server = TestServer::start().await;
    server.create_tenant("home");
    let op = server.create_tenant("op");
    let callback = format!("{}/t/home/upstream/up1/callback", server.base_url);
    let client = server.create_client(
        "op",
        &ClientSpec {
            redirect_uris: vec![callback.clone()],
            ..ClientSpec::confidential("Home's upstream login")
        },
    );
    let user = server.create_user("op", "grace@op.example", "Grace Hopper", PASSWORD);
    let secret = client.client_secret.clone().expect("confidential");
    let upstream = record(UpstreamKind::Oidc, &op.issuer, &client.client_id);
    let configured = Configured {
        record: &upstream,
        client_secret: &secret,
    };
    let rp = relying_party();

    let round = Round::new(&callback);
    let url = rp
        .authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    let endpoints = discover(&op.issuer).await;
    assert!(url.starts_with(&endpoints.authorization), "{url}");
    let q = query_of(&url);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], client.client_id);
    assert_eq!(q["redirect_uri"], callback);
    let scopes: Vec<&str> = q["scope"].split(' ').collect();
    for s in ["openid", "email", "profile"] {
        assert!(scopes.contains(&s), "scope {s} in {scopes:?}");
    }
    assert_eq!(q["state"], round.state);
    assert_eq!(q["nonce"], round.nonce);
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"], round.challenge());

    let browser = Browser::new();
    let (answer, pages) = browser.authorize(&url, &callback, &user).await;
    assert_eq!(pages, ["login", "consent"]);
    assert_eq!(answer.state.as_deref(), Some(round.state.as_str()));
    let code = answer.code();
    let asserted = rp
        .redeem(configured, &code, round.out())
        .await
        .expect("redeemed");
    assert_eq!(asserted.subject, user.id, "subject is the upstream's sub");
    assert_eq!(asserted.email.as_deref(), Some(user.email.as_str()));
    assert_eq!(asserted.name.as_deref(), Some("Grace Hopper"));

    // A code redeems once: the upstream refuses it the second time.
    let again = rp.redeem(configured, &code, round.out()).await;
    assert_eq!(
        again,
        Err(UpstreamFailure::UpstreamError("invalid_grant".into()))
    );

    // A wrong client secret: the upstream refuses the client, and the
    // failure holds neither secret.
    let round = Round::new(&callback);
    let url = rp
        .authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    let (answer, _) = browser.authorize(&url, &callback, &user).await;
    let wrong = Configured {
        record: &upstream,
        client_secret: "not-the-secret",
    };
    let code = answer.code();
    let refused = rp.redeem(wrong, &code, round.out()).await;
    assert_eq!(
        refused,
        Err(UpstreamFailure::UpstreamError("invalid_client".into()))
    );
    if let Err(f) = &refused {
        assert_clean(f, &["not-the-secret", &secret, &code, &round.verifier]);
    }

    // The PKCE verifier is checked by the upstream: another one fails.
    let round = Round::new(&callback);
    let url = rp
        .authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    let (answer, _) = browser.authorize(&url, &callback, &user).await;
    let other = Round {
        verifier: pkce_pair().0,
        ..Round::new(&callback)
    };
    let mixed = Outgoing {
        pkce_verifier: &other.verifier,
        ..round.out()
    };
    assert_eq!(
        rp.redeem(configured, &answer.code(), mixed).await,
        Err(UpstreamFailure::UpstreamError("invalid_grant".into()))
    );
}

#[tokio::test]
async fn google_stand_in_round_trips_and_discovery_is_cached() {
    let google = StandIn::start(Shape::Google).await;
    let rp = relying_party();
    let (round, result) = round_trip(&rp, &google, UpstreamKind::Google).await;
    let asserted = result.expect("redeemed");
    assert_eq!(
        asserted,
        Asserted {
            subject: "110169484474386276334".into(),
            email: Some("ada@upstream.example".into()),
            email_verified: true,
            name: Some("Ada Lovelace".into()),
        }
    );
    let q = &google.authorize_queries()[0];
    assert_eq!(q["code_challenge"], round.challenge());
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["nonce"], round.nonce);
    // client_secret_basic, and nothing secret in the form but the code and verifier.
    let (authorization, form) = &google.token_requests()[0];
    assert!(
        authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic ")),
        "{authorization:?}"
    );
    assert!(!form.contains_key("client_secret"));
    assert_eq!(form["code_verifier"], round.verifier);
    assert_eq!(google.hits("/v1/userinfo"), 1, "userinfo asked");

    // A second round trip uses the cached discovery document and keys.
    let (_, again) = round_trip(&rp, &google, UpstreamKind::Google).await;
    again.expect("redeemed again");
    assert_eq!(google.hits("/.well-known/openid-configuration"), 1);
    assert_eq!(google.hits(google.jwks_path()), 1);

    // The upstream rotates its key: the unknown kid refreshes the key set once.
    google.rotate_key("standin-2");
    let (_, rotated) = round_trip(&rp, &google, UpstreamKind::Google).await;
    rotated.expect("redeemed with the new key");
    assert_eq!(google.hits(google.jwks_path()), 2);

    // An unverified email is reported as such.
    google.set_user(StandInUser {
        email_verified: false,
        ..StandInUser::default()
    });
    let (_, unverified) = round_trip(&rp, &google, UpstreamKind::Google).await;
    assert!(!unverified.expect("redeemed").email_verified);
}

#[tokio::test]
async fn microsoft_stand_in_keys_identities_by_tenant_and_object() {
    let microsoft = StandIn::start(Shape::Microsoft).await;
    assert!(microsoft.issuer.ends_with("/common/v2.0"));
    let rp = relying_party();
    let (_, result) = round_trip(&rp, &microsoft, UpstreamKind::Microsoft).await;
    let asserted = result.expect("redeemed through the {tenantid} template");
    let user = StandInUser::default();
    assert_eq!(asserted.subject, format!("{}:{}", user.tid, user.oid));
    assert_eq!(asserted.email.as_deref(), Some("ada@upstream.example"));
    assert!(!asserted.email_verified, "Microsoft vouches for no email");

    // A person of another tenant: the template takes that tenant's id.
    let other_tid = "0b4c5d6e-1f2a-4b3c-8d9e-0f1a2b3c4d5e";
    microsoft.set_user(StandInUser {
        tid: other_tid.into(),
        ..StandInUser::default()
    });
    let (_, result) = round_trip(&rp, &microsoft, UpstreamKind::Microsoft).await;
    assert_eq!(
        result.expect("another tenant").subject,
        format!("{other_tid}:{}", user.oid)
    );

    // An iss of another tenant than the token's tid is refused.
    microsoft.set_user(StandInUser::default());
    microsoft.set_knobs(Knobs {
        wrong_iss: true,
        ..Knobs::default()
    });
    let (_, result) = round_trip(&rp, &microsoft, UpstreamKind::Microsoft).await;
    assert!(bad_id_token(result).contains("iss"));
}

#[tokio::test]
async fn github_stand_in_round_trips_through_the_base_url() {
    let github = StandIn::start(Shape::Github).await;
    github.set_user(StandInUser {
        subject: "583231".into(),
        ..StandInUser::default()
    });
    let rp = relying_party();
    let (round, result) = round_trip(&rp, &github, UpstreamKind::Github).await;
    assert_eq!(
        result.expect("redeemed"),
        Asserted {
            subject: "583231".into(),
            email: Some("ada@upstream.example".into()),
            email_verified: true,
            name: Some("Ada Lovelace".into()),
        }
    );
    let q = &github.authorize_queries()[0];
    assert_eq!(q["scope"], "read:user user:email");
    assert_eq!(q["code_challenge"], round.challenge());
    assert_eq!(github.hits("/api/v3/user"), 1);
    assert_eq!(github.hits("/api/v3/user/emails"), 1);

    // No name: the login stands in.
    github.set_user(StandInUser {
        subject: "583231".into(),
        name: None,
        ..StandInUser::default()
    });
    let (_, result) = round_trip(&rp, &github, UpstreamKind::Github).await;
    assert_eq!(result.expect("redeemed").name.as_deref(), Some("ada"));
}

#[tokio::test]
async fn github_without_a_verified_primary_email_is_refused() {
    let github = StandIn::start(Shape::Github).await;
    github.set_user(StandInUser {
        emails: vec![
            GithubEmail {
                email: "ada@upstream.example".into(),
                primary: true,
                verified: false,
            },
            GithubEmail {
                email: "other@upstream.example".into(),
                primary: false,
                verified: true,
            },
        ],
        ..StandInUser::default()
    });
    let (_, result) = round_trip(&relying_party(), &github, UpstreamKind::Github).await;
    assert_eq!(result, Err(UpstreamFailure::NoVerifiedEmail));
}

#[tokio::test]
async fn each_broken_id_token_names_its_check() {
    let google = StandIn::start(Shape::Google).await;
    let rp = relying_party();
    let cases: [(Knobs, &str); 6] = [
        (
            Knobs {
                bad_signature: true,
                ..Knobs::default()
            },
            "signature",
        ),
        (
            Knobs {
                wrong_iss: true,
                ..Knobs::default()
            },
            "iss",
        ),
        (
            Knobs {
                wrong_aud: true,
                ..Knobs::default()
            },
            "aud",
        ),
        (
            Knobs {
                wrong_nonce: true,
                ..Knobs::default()
            },
            "nonce",
        ),
        (
            Knobs {
                expired: true,
                ..Knobs::default()
            },
            "expired",
        ),
        (
            Knobs {
                userinfo_other_sub: true,
                ..Knobs::default()
            },
            "userinfo sub",
        ),
    ];
    for (knobs, check) in cases {
        google.set_knobs(knobs.clone());
        let (_, result) = round_trip(&rp, &google, UpstreamKind::Google).await;
        let named = bad_id_token(result);
        assert!(
            named.contains(check),
            "{knobs:?}: '{named}' should name {check}"
        );
    }
    // The bad signature did not make the relying party hammer the key set:
    // one fetch at discovery, none more (the kid is known).
    assert_eq!(google.hits(google.jwks_path()), 1);
}

#[tokio::test]
async fn a_cancel_at_the_upstream_comes_back_as_access_denied() {
    let google = StandIn::start(Shape::Google).await;
    google.set_knobs(Knobs {
        cancel: true,
        ..Knobs::default()
    });
    let upstream = standin_upstream(&google, UpstreamKind::Google);
    let configured = Configured {
        record: &upstream,
        client_secret: &google.client_secret,
    };
    let round = Round::new(REDIRECT_URI);
    let url = relying_party()
        .authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    let callback = Browser::new().answer_to_client(&url).await;
    assert_eq!(callback.error.as_deref(), Some("access_denied"));
    assert_eq!(callback.state.as_deref(), Some(round.state.as_str()));
    assert_eq!(callback.code, None);
}

#[tokio::test]
async fn a_slow_upstream_fails_as_unreachable_within_the_timeout() {
    let google = StandIn::start(Shape::Google).await;
    let rp = relying_party();
    let upstream = standin_upstream(&google, UpstreamKind::Google);
    let configured = Configured {
        record: &upstream,
        client_secret: &google.client_secret,
    };
    let round = Round::new(REDIRECT_URI);
    let url = rp
        .authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    let code = Browser::new().answer_to_client(&url).await.code();
    google.set_knobs(Knobs {
        slow: true,
        ..Knobs::default()
    });
    let started = Instant::now();
    let result = rp.redeem(configured, &code, round.out()).await;
    assert!(
        started.elapsed() < Duration::from_secs(7),
        "bounded by the outbound timeout: {:?}",
        started.elapsed()
    );
    match result {
        Err(f @ UpstreamFailure::Unreachable(_)) => {
            assert_clean(&f, &[&google.client_secret, &code, &round.verifier])
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn a_down_upstream_fails_as_unreachable() {
    let base = closed_base();
    let rp = relying_party();
    let round = Round::new(REDIRECT_URI);
    for kind in [UpstreamKind::Oidc, UpstreamKind::Google] {
        let upstream = record(kind, &base, "c");
        let configured = Configured {
            record: &upstream,
            client_secret: "s3cret-s3cret",
        };
        let result = rp.authorization_url(configured, round.out()).await;
        assert!(
            matches!(result, Err(UpstreamFailure::Unreachable(_))),
            "{result:?}"
        );
    }
    let microsoft = record(UpstreamKind::Microsoft, &format!("{base}/common/v2.0"), "c");
    let configured = Configured {
        record: &microsoft,
        client_secret: "s3cret-s3cret",
    };
    assert!(matches!(
        rp.redeem(configured, "the-code", round.out()).await,
        Err(UpstreamFailure::Unreachable(_))
    ));
    let github = record(UpstreamKind::Github, &base, "c");
    let configured = Configured {
        record: &github,
        client_secret: "s3cret-s3cret",
    };
    // GitHub's authorization URL needs no request; redeeming does.
    rp.authorization_url(configured, round.out())
        .await
        .expect("authorization URL");
    match rp.redeem(configured, "the-code", round.out()).await {
        Err(f @ UpstreamFailure::Unreachable(_)) => {
            assert_clean(&f, &["s3cret-s3cret", "the-code", &round.verifier])
        }
        other => panic!("expected Unreachable, got {other:?}"),
    }
}

#[tokio::test]
async fn the_outbound_policy_refuses_a_loopback_upstream_when_not_allowed() {
    let google = StandIn::start(Shape::Google).await;
    let upstream = standin_upstream(&google, UpstreamKind::Google);
    let configured = Configured {
        record: &upstream,
        client_secret: &google.client_secret,
    };
    let round = Round::new(REDIRECT_URI);
    // The default policy (https only, no internal address), and http
    // allowed but loopback not.
    for policy in [
        OutboundPolicy::default(),
        OutboundPolicy {
            allow_http: true,
            ..OutboundPolicy::default()
        },
    ] {
        let result = relying_party_with(policy)
            .authorization_url(configured, round.out())
            .await;
        match result {
            Err(UpstreamFailure::Unreachable(reason)) => {
                assert!(reason.contains("refused"), "{reason}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(google.hits("/.well-known/openid-configuration"), 0);

    // Without any transport, nothing is sent either.
    let none = RelyingParty::new(None)
        .authorization_url(configured, round.out())
        .await;
    assert!(matches!(none, Err(UpstreamFailure::Unreachable(_))));
}
