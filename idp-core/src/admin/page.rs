//! Cursor pagination for every list of the admin service.
//!
//! A page is read with the store's keyset query (`WHERE key > ? ORDER BY
//! key LIMIT ?`), so a page costs the same on the first and the millionth
//! row and nothing loads a whole table. The cursor is opaque to callers:
//! base64url of `{list}:{last key}`. It names its list, so a cursor of the
//! users list given to the clients list is refused instead of silently
//! skipping rows. It is not a secret and not signed: a forged cursor only
//! moves the starting point of a list the caller may read anyway.

use super::error::AdminError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Items per page when the caller does not say.
pub const DEFAULT_LIMIT: usize = 50;
/// The most items a page may hold.
pub const MAX_LIMIT: usize = 200;

/// Which list a cursor belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum List {
    Tenants,
    Clients,
    Users,
    Roles,
    ApiKeys,
    AuditEvents,
    Tiers,
    Upstreams,
}

impl List {
    /// The cursor that continues this list after `key`.
    pub(crate) fn cursor(self, key: &str) -> String {
        encode(self, key)
    }

    fn tag(self) -> &'static str {
        match self {
            Self::Tenants => "tenants",
            Self::Clients => "clients",
            Self::Users => "users",
            Self::Roles => "roles",
            Self::ApiKeys => "api_keys",
            Self::AuditEvents => "audit_events",
            Self::Tiers => "tiers",
            Self::Upstreams => "upstreams",
        }
    }
}

/// What page of a list to read: after `cursor` (from the previous page's
/// [`Page::next_cursor`]; `None` for the first page), at most `limit` items.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    /// Where to continue; `None` starts at the beginning.
    pub cursor: Option<String>,
    /// How many items at most; `None` is [`DEFAULT_LIMIT`].
    pub limit: Option<usize>,
}

impl PageRequest {
    /// The first page, with the default limit.
    pub fn first() -> Self {
        Self::default()
    }

    /// The first page with at most `limit` items.
    pub fn limit(limit: usize) -> Self {
        Self {
            cursor: None,
            limit: Some(limit),
        }
    }

    /// The page after `cursor`.
    pub fn after(cursor: impl Into<String>, limit: Option<usize>) -> Self {
        Self {
            cursor: Some(cursor.into()),
            limit,
        }
    }

    /// The checked limit and the key to start after.
    pub(crate) fn resolve(&self, list: List) -> Result<(usize, Option<String>), AdminError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AdminError::invalid(
                "limit",
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) => Some(decode(list, c).ok_or_else(|| {
                AdminError::invalid("cursor", "cursor is not one this list returned")
            })?),
        };
        Ok((limit, after))
    }
}

/// One page of a list.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// The cursor of the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows read from the store: the
    /// extra row only says there is a next page.
    pub(crate) fn from_rows(
        list: List,
        mut rows: Vec<T>,
        limit: usize,
        key: impl Fn(&T) -> &str,
    ) -> Self {
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| encode(list, key(last)))
        } else {
            None
        };
        Self {
            items: rows,
            next_cursor,
        }
    }

    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

fn encode(list: List, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{key}", list.tag()))
}

fn decode(list: List, cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let key = text.strip_prefix(list.tag())?.strip_prefix(':')?;
    (!key.is_empty()).then(|| key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_within_its_list_only() -> Result<(), AdminError> {
        let page = Page::from_rows(List::Users, vec!["a", "b", "c"], 2, |s| s);
        assert_eq!(page.items, ["a", "b"]);
        let cursor = page
            .next_cursor
            .ok_or(AdminError::Internal("no cursor".into()))?;
        let (limit, after) = PageRequest::after(cursor.clone(), Some(2)).resolve(List::Users)?;
        assert_eq!((limit, after.as_deref()), (2, Some("b")));
        assert!(
            PageRequest::after(cursor, None)
                .resolve(List::Clients)
                .is_err()
        );
        assert!(
            PageRequest::after("%%%", None)
                .resolve(List::Users)
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn the_last_page_has_no_cursor_and_limits_are_bounded() {
        let page = Page::from_rows(List::Tenants, vec!["a", "b"], 2, |s| s);
        assert!(page.next_cursor.is_none());
        assert!(PageRequest::limit(0).resolve(List::Tenants).is_err());
        assert!(
            PageRequest::limit(MAX_LIMIT + 1)
                .resolve(List::Tenants)
                .is_err()
        );
        assert!(PageRequest::limit(MAX_LIMIT).resolve(List::Tenants).is_ok());
        assert!(matches!(
            PageRequest::first().resolve(List::Tenants),
            Ok((DEFAULT_LIMIT, None))
        ));
    }
}
