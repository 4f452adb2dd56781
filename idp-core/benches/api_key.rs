//! API-key verification cost per admin request (issue 16): parsing a key
//! and checking its signature chain, then one authorizer run, for a fresh
//! key (one block) and for a key its holder attenuated twice (three
//! blocks, three signatures), beside a bare Ed25519 verification. Run with
//! `cargo bench -p idp-core --bench api_key`.

use biscuit_auth::KeyPair;
use criterion::{Criterion, criterion_group, criterion_main};
use idp_core::api_key::{
    AccessRequest, ApiKeyVerifier, Operation, Restriction, attenuate, mint::mint,
};
use std::hint::black_box;

const NOW: i64 = 1_800_000_000;

fn api_key(c: &mut Criterion) {
    let root = KeyPair::new();
    let verifier = ApiKeyVerifier::new(root.public());
    let Ok(fresh) = mint(&root, "k1", &Restriction::default()).map(|m| m.key) else {
        eprintln!("cannot mint a key");
        return;
    };
    let tenant = Restriction {
        tenant: Some("acme".into()),
        ..Restriction::default()
    };
    let read_only = Restriction {
        read_only: true,
        expires_at: Some(NOW + 3600),
        ..Restriction::default()
    };
    let Ok(attenuated) = attenuate(&fresh, &tenant).and_then(|k| attenuate(&k, &read_only)) else {
        eprintln!("cannot attenuate a key");
        return;
    };
    let req = AccessRequest {
        operation: Operation::Read,
        tenant: Some("acme"),
        path: "/api/v1/tenants/acme/users",
        now: NOW,
    };
    let mut group = c.benchmark_group("api_key verify");
    for (name, key) in [
        ("fresh key", &fresh),
        ("two attenuation blocks", &attenuated),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                verifier
                    .verify(black_box(key))
                    .map(|k| k.permits(black_box(&req)))
            })
        });
    }
    group.bench_function("authorizer only (fresh key)", |b| {
        let Ok(verified) = verifier.verify(&fresh) else {
            return;
        };
        b.iter(|| verified.permits(black_box(&req)))
    });
    // The baseline of the same run: one bare Ed25519 verification (a
    // fresh key carries one signature, each attenuation block one more).
    group.bench_function("bare Ed25519 verification (aws-lc-rs)", |b| {
        use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let Ok(pair) = Ed25519KeyPair::generate_pkcs8(&rng).and_then(|doc| {
            Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|_| aws_lc_rs::error::Unspecified)
        }) else {
            return;
        };
        let message = [7u8; 128];
        let signature = pair.sign(&message);
        let public = UnparsedPublicKey::new(&ED25519, pair.public_key().as_ref().to_vec());
        b.iter(|| public.verify(black_box(&message), black_box(signature.as_ref())))
    });
    group.finish();
}

criterion_group!(benches, api_key);
criterion_main!(benches);
