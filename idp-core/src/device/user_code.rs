//! User codes (RFC 8628 §6.1): eight letters from a 20-consonant alphabet
//! without vowels (no words) and without look-alikes, shown as `WDJB-MJHT`.
//! 20^8 ≈ 2^34.6 codes; guessing is held off by the attempt limit
//! ([`super::guard`]) and the code's short life, as §5.1 requires.

use crate::crypto::random;

const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const LEN: usize = 8;

/// A fresh code in its stored form (no dash).
pub fn generate() -> String {
    random::from_alphabet(ALPHABET, LEN)
}

/// The form shown to people: `WDJB-MJHT`.
pub fn display(code: &str) -> String {
    if code.len() == LEN {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// What the user typed, in stored form: case, dashes and spaces do not
/// matter. `None` if it cannot be a code at all.
pub fn normalize(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed_loosely() {
        let code = generate();
        assert_eq!(code.len(), 8);
        assert_eq!(normalize(&display(&code)), Some(code.clone()));
        assert_eq!(
            normalize(&display(&code).to_lowercase()),
            Some(code.clone())
        );
        assert_eq!(normalize("wdjb mjht"), Some("WDJBMJHT".into()));
        assert_eq!(normalize("WDJB-MJH"), None);
        assert_eq!(normalize("AEIO-UAEI"), None);
        assert_ne!(generate(), generate());
    }
}
