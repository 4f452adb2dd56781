//! Signing cost: the bare signature of each algorithm beside a whole
//! compact JWS of an ID-token-sized claim set, so that "overhead beyond the
//! cryptography" is a number (issue 5). Run with `cargo bench -p idp-core`.

use criterion::{Criterion, criterion_group, criterion_main};
use idp_core::jose;
use idp_core::jwks::{SigningAlg, SigningKey};
use std::hint::black_box;

fn claims() -> serde_json::Value {
    serde_json::json!({
        "iss": "https://login.example.com/t/acme",
        "sub": "u8Zs1yF0qXkY2m0b3c4d5e",
        "aud": "Xy7Qp2LmN4oR6sT8uV0wYz",
        "exp": 1_800_000_000, "iat": 1_799_996_400, "auth_time": 1_799_996_390,
        "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ",
        "sid": "s8Zs1yF0qXkY2m0b3c4d5e", "azp": "Xy7Qp2LmN4oR6sT8uV0wYz",
    })
}

fn signing(c: &mut Criterion) {
    let claims = claims();
    // The signing input of a typical token, for the bare-signature baseline.
    let input = vec![b'a'; 420];
    for alg in SigningAlg::ALL {
        let Ok((key, _)) = SigningKey::generate(alg) else {
            eprintln!("cannot generate a {} key", alg.as_str());
            continue;
        };
        let mut group = c.benchmark_group(alg.as_str());
        group.bench_function("bare signature", |b| b.iter(|| key.sign(black_box(&input))));
        group.bench_function("ID token (serialize + encode + sign)", |b| {
            b.iter(|| jose::sign(&key, "JWT", black_box(&claims)))
        });
        group.finish();
    }
}

criterion_group!(benches, signing);
criterion_main!(benches);
