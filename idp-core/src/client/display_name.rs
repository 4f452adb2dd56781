//! Client names as people see them on the login, consent, device and
//! logout pages, where a name chosen by whoever registered the client must
//! not pass for another application (RFC 7591 §5, RFC 9700 §4.1: a
//! consent screen that misleads the user is an attack).
//!
//! On the way in ([`check`]): at most [`MAX_CLIENT_NAME_CHARS`] characters,
//! and no character that hides or reorders text: C0 and C1 controls (NUL
//! included), the bidirectional embeddings, overrides and isolates
//! (U+202A–U+202E, U+2066–U+2069), the directional marks (U+200E, U+200F,
//! U+061C), zero-width and invisible characters (U+200B–U+200D,
//! U+2060–U+2064, U+FEFF) and the line and paragraph separators (U+2028,
//! U+2029).
//!
//! On the way out ([`shown`]): names stored before these rules lose those
//! characters and are cut to the same length with an ellipsis. Pages also
//! isolate the name (`<bdi>`), so what remains cannot reorder the text
//! around it.

/// The longest client name accepted, in characters (Unicode scalar values).
pub const MAX_CLIENT_NAME_CHARS: usize = 100;

/// A character that may not appear in text shown to people (see the
/// module documentation for the list and why).
pub fn is_hidden_or_reordering(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{200B}'..='\u{200D}'
                | '\u{2060}'..='\u{2064}'
                | '\u{FEFF}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Checks a name that will be displayed (`client_name` and its `#lang`
/// variants, the CLI's `--name`); `field` names it in the message.
pub fn check(field: &str, name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length > MAX_CLIENT_NAME_CHARS {
        return Err(format!(
            "{field} must be at most {MAX_CLIENT_NAME_CHARS} characters (it has {length})"
        ));
    }
    if let Some(c) = name.chars().find(|c| is_hidden_or_reordering(*c)) {
        return Err(format!(
            "{field} must not contain control, invisible or bidirectional formatting characters (found U+{:04X})",
            u32::from(c)
        ));
    }
    Ok(())
}

/// `name` as a page may show it: without hidden or reordering characters,
/// at most [`MAX_CLIENT_NAME_CHARS`] characters (a longer one ends in `…`).
pub fn shown(name: &str) -> String {
    let visible: Vec<char> = name
        .chars()
        .filter(|c| !is_hidden_or_reordering(*c))
        .collect();
    if visible.len() <= MAX_CLIENT_NAME_CHARS {
        return visible.into_iter().collect();
    }
    let mut cut: String = visible[..MAX_CLIENT_NAME_CHARS - 1].iter().collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_long_names_and_hidden_characters() {
        assert!(check("client_name", "Example App").is_ok());
        assert!(check("client_name", "Ünïcödé 日本語 app").is_ok());
        assert!(check("client_name", &"x".repeat(MAX_CLIENT_NAME_CHARS)).is_ok());
        assert!(check("client_name", &"x".repeat(MAX_CLIENT_NAME_CHARS + 1)).is_err());
        for bad in [
            "a\0b",
            "a\u{7}b",
            "a\u{85}b",
            "a\u{202E}b",
            "a\u{2067}b",
            "a\u{200F}b",
            "a\u{61C}b",
            "a\u{200B}b",
            "a\u{2060}b",
            "a\u{FEFF}b",
            "a\nb",
        ] {
            let e = check("client_name", bad).err().unwrap_or_default();
            assert!(
                e.starts_with("client_name must not contain"),
                "{bad:?}: {e}"
            );
        }
    }

    #[test]
    fn shows_stored_names_cut_and_cleaned() {
        assert_eq!(shown("Example"), "Example");
        assert_eq!(shown("Evil\u{202E}ppA"), "EvilppA");
        let long = shown(&"y".repeat(5000));
        assert_eq!(long.chars().count(), MAX_CLIENT_NAME_CHARS);
        assert!(long.ends_with('…'));
    }
}
