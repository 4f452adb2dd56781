//! Minting, attenuating and checking keys, without a store: the record
//! checks are `Admin::authorize_api_key`'s and are tested with a store.

use super::mint::mint;
use super::*;
use biscuit_auth::builder::BlockBuilder;
use biscuit_auth::{Biscuit, KeyPair, UnverifiedBiscuit};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const NOW: UnixTime = 1_800_000_000;

fn req(operation: Operation, tenant: Option<&str>) -> AccessRequest<'_> {
    AccessRequest {
        operation,
        tenant,
        path: "/api/v1/tenants",
        now: NOW,
    }
}

fn key(root: &KeyPair, r: &Restriction) -> Result<String, ApiKeyError> {
    Ok(mint(root, "k1", r)?.key)
}

fn decide(root: &KeyPair, key: &str, req: &AccessRequest) -> Result<(), Denied> {
    ApiKeyVerifier::new(root.public()).verify(key)?.decide(req)
}

/// `key` with a block of Datalog text appended, as the `biscuit` tool does.
fn append_text(key: &str, code: &str) -> Result<String, Box<dyn std::error::Error>> {
    let block = BlockBuilder::new().code(code)?;
    Ok(UnverifiedBiscuit::from_base64(key)?
        .append(block)?
        .to_base64()?)
}

#[test]
fn a_minted_key_is_allowed_everything_it_was_not_restricted_from() -> TestResult {
    let root = KeyPair::new();
    let minted = mint(&root, "k1", &Restriction::default())?;
    let verified = ApiKeyVerifier::new(root.public()).verify(&minted.key)?;
    assert_eq!(verified.key_id(), "k1");
    assert_eq!(verified.revocation_id(), minted.revocation_id);
    assert_eq!(
        verified.revocation_id().len(),
        128,
        "ed25519 signature, hex"
    );
    for op in [Operation::Read, Operation::Write] {
        assert!(verified.permits(&req(op, None)));
        assert!(verified.permits(&req(op, Some("acme"))));
    }
    assert!(!format!("{minted:?}").contains(&minted.key));
    Ok(())
}

#[test]
fn a_tenant_key_cannot_see_other_tenants() -> TestResult {
    let root = KeyPair::new();
    let scoped = Restriction {
        tenant: Some("acme".into()),
        ..Restriction::default()
    };
    let k = key(&root, &scoped)?;
    assert_eq!(
        decide(&root, &k, &req(Operation::Write, Some("acme"))),
        Ok(())
    );
    assert_eq!(
        decide(&root, &k, &req(Operation::Read, Some("other"))),
        Err(Denied::Hidden)
    );
    assert_eq!(
        decide(&root, &k, &req(Operation::Write, Some("other"))),
        Err(Denied::Hidden)
    );
    // Not about one tenant (the tenants list, the audit log): forbidden.
    assert_eq!(
        decide(&root, &k, &req(Operation::Read, None)),
        Err(Denied::Forbidden)
    );
    Ok(())
}

#[test]
fn attenuation_to_another_tenant_hides_it() -> TestResult {
    let root = KeyPair::new();
    let k = key(&root, &Restriction::default())?;
    let narrowed = attenuate(
        &k,
        &Restriction {
            tenant: Some("acme".into()),
            ..Restriction::default()
        },
    )?;
    assert_eq!(
        decide(&root, &narrowed, &req(Operation::Read, Some("acme"))),
        Ok(())
    );
    assert_eq!(
        decide(&root, &narrowed, &req(Operation::Read, Some("globex"))),
        Err(Denied::Hidden)
    );
    // The original key is untouched.
    assert_eq!(
        decide(&root, &k, &req(Operation::Read, Some("globex"))),
        Ok(())
    );
    Ok(())
}

#[test]
fn a_read_only_attenuation_forbids_writes() -> TestResult {
    let root = KeyPair::new();
    let k = key(&root, &Restriction::default())?;
    let ro = attenuate(
        &k,
        &Restriction {
            read_only: true,
            ..Restriction::default()
        },
    )?;
    assert_eq!(
        decide(&root, &ro, &req(Operation::Read, Some("acme"))),
        Ok(())
    );
    assert_eq!(decide(&root, &ro, &req(Operation::Read, None)), Ok(()));
    assert_eq!(
        decide(&root, &ro, &req(Operation::Write, Some("acme"))),
        Err(Denied::Forbidden)
    );
    assert_eq!(
        decide(&root, &ro, &req(Operation::Write, None)),
        Err(Denied::Forbidden)
    );
    Ok(())
}

#[test]
fn expired_keys_are_unauthenticated_whoever_set_the_expiry() -> TestResult {
    let root = KeyPair::new();
    let short = Restriction {
        expires_at: Some(NOW),
        ..Restriction::default()
    };
    let k = key(&root, &short)?;
    let before = AccessRequest {
        now: NOW - 1,
        ..req(Operation::Write, Some("acme"))
    };
    assert_eq!(decide(&root, &k, &before), Ok(()));
    assert_eq!(
        decide(&root, &k, &req(Operation::Read, Some("acme"))),
        Err(Denied::Unauthenticated("expired"))
    );
    let long = key(&root, &Restriction::default())?;
    let attenuated = attenuate(&long, &short)?;
    assert_eq!(decide(&root, &attenuated, &before), Ok(()));
    assert_eq!(
        decide(&root, &attenuated, &req(Operation::Read, None)),
        Err(Denied::Unauthenticated("expired"))
    );
    Ok(())
}

#[test]
fn keys_of_another_root_and_garbage_are_unauthenticated() -> TestResult {
    let root = KeyPair::new();
    let foreign = key(&KeyPair::new(), &Restriction::default())?;
    let verifier = ApiKeyVerifier::new(root.public());
    assert!(matches!(
        verifier.verify(&foreign),
        Err(Denied::Unauthenticated(_))
    ));
    let long = "A".repeat(verify::MAX_KEY_LEN + 1);
    for garbage in ["", "not a key", "eyJhbGciOiJub25lIn0.e30.", long.as_str()] {
        assert!(
            matches!(verifier.verify(garbage), Err(Denied::Unauthenticated(_))),
            "{garbage}"
        );
    }
    // A key with a byte changed.
    let mut k = key(&root, &Restriction::default())?.into_bytes();
    let middle = k.len() / 2;
    k[middle] = if k[middle] == b'A' { b'B' } else { b'A' };
    let k = String::from_utf8(k)?;
    assert!(matches!(
        verifier.verify(&k),
        Err(Denied::Unauthenticated(_))
    ));
    assert!(
        attenuate(
            "not a key",
            &Restriction {
                read_only: true,
                ..Restriction::default()
            }
        )
        .is_err()
    );
    Ok(())
}

#[test]
fn an_attenuating_block_cannot_mint_itself_a_key() -> TestResult {
    let root = KeyPair::new();
    let k = key(&root, &Restriction::default())?;
    let claimed = append_text(&k, "key(\"other\");")?;
    let verified = ApiKeyVerifier::new(root.public()).verify(&claimed)?;
    assert_eq!(verified.key_id(), "k1");
    // A token of this root with no key fact in its authority block is
    // nobody's, whatever a later block claims.
    let keyless = Biscuit::builder()
        .code("check if operation(\"read\")")?
        .build(&root)?
        .to_base64()?;
    let claimed = append_text(&keyless, "key(\"k1\");")?;
    assert!(matches!(
        ApiKeyVerifier::new(root.public()).verify(&claimed),
        Err(Denied::Unauthenticated(_))
    ));
    Ok(())
}

#[test]
fn datalog_written_attenuations_are_enforced() -> TestResult {
    let root = KeyPair::new();
    let k = key(&root, &Restriction::default())?;
    let ro = append_text(&k, "check if operation(\"read\");")?;
    assert_eq!(decide(&root, &ro, &req(Operation::Read, None)), Ok(()));
    assert_eq!(
        decide(&root, &ro, &req(Operation::Write, None)),
        Err(Denied::Forbidden)
    );
    let old = append_text(&k, "check if time($t), $t < 2020-01-01T00:00:00Z;")?;
    assert_eq!(
        decide(&root, &old, &req(Operation::Read, None)),
        Err(Denied::Unauthenticated("expired"))
    );
    let path = append_text(
        &k,
        "check if path($p), $p.starts_with(\"/api/v1/tenants/acme/\");",
    )?;
    let users = AccessRequest {
        path: "/api/v1/tenants/acme/users",
        ..req(Operation::Read, Some("acme"))
    };
    assert_eq!(decide(&root, &path, &users), Ok(()));
    assert_eq!(
        decide(&root, &path, &req(Operation::Read, Some("acme"))),
        Err(Denied::Hidden)
    );
    // Two blocks: both hold.
    let both = append_text(&ro, "check if tenant(\"acme\");")?;
    assert_eq!(
        decide(&root, &both, &req(Operation::Read, Some("acme"))),
        Ok(())
    );
    assert_eq!(
        decide(&root, &both, &req(Operation::Write, Some("acme"))),
        Err(Denied::Forbidden)
    );
    assert_eq!(
        decide(&root, &both, &req(Operation::Read, Some("globex"))),
        Err(Denied::Hidden)
    );
    Ok(())
}

#[test]
fn a_costly_token_is_cut_short() -> TestResult {
    let root = KeyPair::new();
    let k = key(&root, &Restriction::default())?;
    let facts: String = (0..30).map(|i| format!("n({i});")).collect();
    let hostile = append_text(
        &k,
        &format!("{facts} p($x, $y, $z) <- n($x), n($y), n($z);"),
    )?;
    assert!(matches!(
        decide(&root, &hostile, &req(Operation::Read, None)),
        Err(Denied::Unauthenticated(_))
    ));
    Ok(())
}

#[test]
fn a_restriction_must_restrict_something() {
    assert!(matches!(
        attenuate("x", &Restriction::default()),
        Err(ApiKeyError::Invalid(_))
    ));
}

#[test]
fn verified_keys_cross_threads() {
    fn send_sync<T: Send + Sync + Clone>() {}
    send_sync::<ApiKeyVerifier>();
    send_sync::<VerifiedKey>();
}
