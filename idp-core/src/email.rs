//! Email addresses as login names: one canonical form per address, so that
//! two spellings a person cannot tell apart are one account.
//!
//! [`EmailAddress::parse`] is the only way to make one, and every lookup and
//! every uniqueness check goes through it (user creation, sign-in on the
//! login and device pages, the CLI's session commands, the login lockout's
//! account key). The canonical form:
//! 1. the input is trimmed of surrounding white space;
//! 2. control characters (Unicode `Cc`), white space inside, and every
//!    default-ignorable code point (Unicode `Default_Ignorable_Code_Point`:
//!    zero-width space and joiners U+200B–U+200D, word joiner U+2060,
//!    byte-order mark U+FEFF, soft hyphen U+00AD, variation selectors, and
//!    the bidirectional controls U+061C, U+200E/F, U+202A–U+202E,
//!    U+2066–U+2069) are refused, never stripped: an address that looks like
//!    another is an error, not a silent alias;
//! 3. Unicode NFKC (UAX #15) folds compatibility forms: fullwidth `ａ` is `a`,
//!    an NFD `e` + U+0301 is the one `é`;
//! 4. the local part is lowercased (`str::to_lowercase`, as this project has
//!    always stored emails) and normalized again, so the form is stable;
//! 5. the domain goes through IDNA (UTS #46 processing, the WHATWG URL deny
//!    list) to its ASCII form: lowercase, with Punycode `xn--` labels for
//!    internationalized names. ASCII rather than Unicode labels because a
//!    mixed-script domain then shows as `xn--…` instead of imitating a Latin
//!    one, and because it is the form DNS and SMTP use.
//!
//! Not supported: quoted local parts and local parts containing `@`
//! (RFC 5321 §4.1.2 `Quoted-string`), address literals (`user@[192.0.2.1]`),
//! and confusable characters across scripts (UTS #39: Cyrillic `а` is not
//! Latin `a`); those are separate letters to NFKC.

use icu_normalizer::ComposingNormalizerBorrowed;
use std::borrow::Cow;

/// RFC 5321 §4.5.3.1.3 limits a path to 256 octets, so an address to 254.
pub const MAX_LEN: usize = 254;

/// An email address in its canonical form (module docs).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

/// Why a string is not an acceptable email address. The messages are
/// stable: the CLI and tests show them as they are.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Not `local@domain` with one `@` and text on both sides.
    #[error("'{0}' is not an email address")]
    Malformed(String),
    /// A control, invisible or bidirectional-control character, or white space inside.
    #[error("'{shown}' contains an invisible or control character (U+{code:04X})")]
    Invisible {
        /// The input with that character escaped, so that it can be seen.
        shown: String,
        /// The offending code point.
        code: u32,
    },
    /// The domain is not a valid internationalized domain name (UTS #46).
    #[error("'{0}' does not have a valid domain")]
    Domain(String),
    /// Longer than [`MAX_LEN`] bytes once normalized.
    #[error("'{0}' is longer than 254 bytes")]
    TooLong(String),
}

impl EmailError {
    /// The reason without the address, for logs (which must not carry one).
    pub fn reason(&self) -> String {
        match self {
            Self::Malformed(_) => "not an email address".into(),
            Self::Invisible { code, .. } => {
                format!("contains an invisible or control character (U+{code:04X})")
            }
            Self::Domain(_) => "does not have a valid domain".into(),
            Self::TooLong(_) => "longer than 254 bytes".into(),
        }
    }
}

impl EmailAddress {
    /// The canonical form of `input`, or why it is not an address.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if let Some(c) = trimmed.chars().find(|c| is_refused(*c)) {
            return Err(EmailError::Invisible {
                shown: trimmed.escape_debug().to_string(),
                code: u32::from(c),
            });
        }
        let folded = nfkc(trimmed);
        let (local, domain) = match folded.split_once('@') {
            Some((l, d)) if !l.is_empty() && !d.is_empty() && !d.contains('@') => (l, d),
            _ => return Err(EmailError::Malformed(trimmed.to_owned())),
        };
        let local = nfkc(&local.to_lowercase()).into_owned();
        let domain = idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::URL)
            .map_err(|_| EmailError::Domain(trimmed.to_owned()))?;
        // RFC 5321 §4.1.2: a domain is dot-separated labels, none empty.
        if domain.split('.').any(str::is_empty) {
            return Err(EmailError::Domain(trimmed.to_owned()));
        }
        let email = format!("{local}@{domain}");
        // NFKC can turn one character into several that are refused (a
        // compatibility form of a space): check the result too.
        if let Some(c) = email.chars().find(|c| is_refused(*c)) {
            return Err(EmailError::Invisible {
                shown: trimmed.escape_debug().to_string(),
                code: u32::from(c),
            });
        }
        if email.len() > MAX_LEN {
            return Err(EmailError::TooLong(trimmed.to_owned()));
        }
        Ok(Self(email))
    }

    /// The canonical form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The canonical form, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn nfkc(s: &str) -> Cow<'_, str> {
    ComposingNormalizerBorrowed::new_nfkc().normalize(s)
}

/// Control characters, white space, and `Default_Ignorable_Code_Point`
/// (Unicode 16 DerivedCoreProperties.txt), which includes every bidi control.
fn is_refused(c: char) -> bool {
    c.is_control() || c.is_whitespace() || DEFAULT_IGNORABLE.iter().any(|r| r.contains(&c))
}

/// `Default_Ignorable_Code_Point`, as ranges.
const DEFAULT_IGNORABLE: [std::ops::RangeInclusive<char>; 17] = [
    '\u{00AD}'..='\u{00AD}',   // soft hyphen
    '\u{034F}'..='\u{034F}',   // combining grapheme joiner
    '\u{061C}'..='\u{061C}',   // Arabic letter mark (bidi)
    '\u{115F}'..='\u{1160}',   // Hangul fillers
    '\u{17B4}'..='\u{17B5}',   // Khmer inherent vowels
    '\u{180B}'..='\u{180F}',   // Mongolian selectors and vowel separator
    '\u{200B}'..='\u{200F}',   // zero-width space, joiners, LRM, RLM
    '\u{202A}'..='\u{202E}',   // bidi embeddings and overrides
    '\u{2060}'..='\u{206F}',   // word joiner, invisible operators, isolates
    '\u{3164}'..='\u{3164}',   // Hangul filler
    '\u{FE00}'..='\u{FE0F}',   // variation selectors
    '\u{FEFF}'..='\u{FEFF}',   // byte-order mark, zero-width no-break space
    '\u{FFA0}'..='\u{FFA0}',   // halfwidth Hangul filler
    '\u{FFF0}'..='\u{FFF8}',   // unassigned specials
    '\u{1BCA0}'..='\u{1BCA3}', // shorthand format controls
    '\u{1D173}'..='\u{1D17A}', // musical format controls
    '\u{E0000}'..='\u{E0FFF}', // tags, variation selectors supplement
];

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(s: &str) -> String {
        EmailAddress::parse(s).map_or_else(|e| format!("error: {e}"), EmailAddress::into_string)
    }

    #[test]
    fn look_alikes_are_one_address() {
        for input in [
            "alice@example.com",
            " Alice@Example.COM ",
            "\u{FF41}lice@example.com",  // fullwidth a
            "ALICE@\u{FF45}xample.com",  // fullwidth e in the domain
            "alice\u{FF20}example.com",  // fullwidth @
            "\u{1D5BA}lice@example.com", // mathematical sans-serif a
        ] {
            assert_eq!(canonical(input), "alice@example.com", "{input:?}");
        }
        // NFD and NFC spellings of é are one address.
        assert_eq!(
            canonical("ali\u{0065}\u{0301}@example.com"),
            "alié@example.com"
        );
        assert_eq!(canonical("ALI\u{00C9}@example.com"), "alié@example.com");
        // Internationalized domains in their ASCII form.
        assert_eq!(canonical("bob@CAFÉ.example"), "bob@xn--caf-dma.example");
        assert_eq!(
            canonical("bob@xn--caf-dma.example"),
            "bob@xn--caf-dma.example"
        );
    }

    #[test]
    fn invisible_control_and_bidi_characters_are_refused() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{00AD}',
            '\u{202E}',
            '\u{2066}',
            '\u{200E}',
            '\u{061C}',
            '\u{0000}',
            '\u{001B}',
            '\u{007F}',
            '\u{0085}',
            '\u{00A0}',
            '\u{E0041}',
            ' ',
        ] {
            for input in [
                format!("alice@example.com{c}x"),
                format!("al{c}ice@example.com"),
                format!("alice@exa{c}mple.com"),
            ] {
                let got = EmailAddress::parse(&input);
                assert!(
                    matches!(
                        got,
                        Err(EmailError::Invisible { .. }) | Err(EmailError::Domain(_))
                    ),
                    "U+{:04X} in {input:?}: {got:?}",
                    u32::from(c)
                );
            }
        }
        // A trailing zero-width space is not white space: it is refused, not trimmed.
        let err = EmailAddress::parse("alice@example.com\u{200B}");
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err(
                "'alice@example.com\\u{200b}' contains an invisible or control character (U+200B)"
                    .into()
            )
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a b@c",
            "a@b@c",
            "a@b..c",
            "a@.b",
            "a@b.example.",
            "a@[192.0.2.1]",
            "a@b/c",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(matches!(
            EmailAddress::parse(&long),
            Err(EmailError::TooLong(_))
        ));
        assert!(EmailAddress::parse(&format!("{}@example.com", "a".repeat(242))).is_ok());
    }

    #[test]
    fn plain_addresses_keep_their_spelling() {
        for ok in [
            "a@b.example",
            "first.last+tag@sub.example.org",
            "user@localhost",
            "o'brien@example.ie",
            "user_name@host_name.example",
        ] {
            assert_eq!(canonical(ok), ok);
        }
    }

    #[test]
    fn the_canonical_form_is_a_fixed_point() {
        for input in [
            "\u{FF41}lice@example.com",
            "İstanbul@example.com",
            "ǅemal@example.com",
            "K\u{212A}@example.com",
            "ß@STRASSE.example",
            "ﬁ@ﬁ.example",
            "ali\u{0065}\u{0301}@caf\u{0065}\u{0301}.example",
            "Σίσυφος@ΕΛΛΆΔΑ.example",
        ] {
            let once = canonical(input);
            assert!(!once.starts_with("error"), "{input:?}: {once}");
            assert_eq!(canonical(&once), once, "{input:?}");
        }
    }
}
