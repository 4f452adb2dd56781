//! See [`super`].

/// Whether a user may unlink one of their `linked` identities: never the
/// last way to sign in (a password counts as one).
pub fn may_unlink(has_password: bool, linked: usize) -> bool {
    linked > 1 || (linked == 1 && has_password)
}

#[cfg(test)]
mod tests {
    use super::may_unlink;

    #[test]
    fn the_last_way_to_sign_in_stays() {
        assert!(!may_unlink(false, 1));
        assert!(!may_unlink(false, 0));
        assert!(may_unlink(true, 1));
        assert!(may_unlink(false, 2));
    }
}
