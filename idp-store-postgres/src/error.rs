//! Driver errors as the port's: one place (db_error), one line each
//! (describe), conflicts named as every store names them.

use idp_core::store::StoreError;
use tokio_postgres::error::SqlState;

/// A driver error as one line (the database's own message when it sent one).
pub(crate) fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

/// Maps a driver error to the port's: uniqueness is a conflict naming the
/// field; a closed connection, a statement that ran out of time, a server
/// shutting down or a deadlock are unavailable (retry may succeed).
pub(crate) fn db_error(e: tokio_postgres::Error) -> StoreError {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::UNIQUE_VIOLATION {
            return conflict(db.table(), db.detail(), db.constraint());
        }
        let transient = [
            SqlState::QUERY_CANCELED,
            SqlState::ADMIN_SHUTDOWN,
            SqlState::CRASH_SHUTDOWN,
            SqlState::CANNOT_CONNECT_NOW,
            SqlState::T_R_DEADLOCK_DETECTED,
            SqlState::T_R_SERIALIZATION_FAILURE,
            SqlState::TOO_MANY_CONNECTIONS,
            SqlState::READ_ONLY_SQL_TRANSACTION,
        ];
        if transient.contains(code) {
            return StoreError::Unavailable(describe(&e));
        }
        return StoreError::Backend(describe(&e));
    }
    if e.is_closed() || std::error::Error::source(&e).is_some() {
        return StoreError::Unavailable(describe(&e));
    }
    StoreError::Backend(describe(&e))
}

/// The conflict a unique violation is about, from its detail
/// (`Key (tenant_id, email)=(…) already exists.`), named as every store
/// names it ([`StoreError::conflict_on`]). Under row-level security the
/// server leaves the detail out (it would show key values): then the
/// constraint's name says which rule it was, for the rules callers tell
/// apart ([`CONSTRAINTS`]).
fn conflict(table: Option<&str>, detail: Option<&str>, constraint: Option<&str>) -> StoreError {
    let table = table.unwrap_or("");
    let from_detail = detail
        .and_then(|d| d.strip_prefix("Key ("))
        .and_then(|d| d.split_once(")="))
        .map(|(columns, _)| columns);
    let columns = from_detail
        .or_else(|| {
            CONSTRAINTS
                .iter()
                .find(|(name, _)| Some(*name) == constraint)
                .map(|(_, columns)| *columns)
        })
        .unwrap_or("");
    StoreError::conflict_on(
        columns
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|column| (table, column)),
    )
}

/// Unique constraints of tables under row-level security, and their
/// columns as the detail would list them.
const CONSTRAINTS: &[(&str, &str)] = &[
    ("users_pkey", "tenant_id, id"),
    ("users_tenant_id_email_key", "tenant_id, email"),
    ("users_by_email_key", "tenant_id, email_key"),
    ("clients_pkey", "tenant_id, id"),
    ("roles_pkey", "tenant_id, name"),
    ("upstreams_pkey", "tenant_id, id"),
    ("linked_identities_pkey", "tenant_id, upstream_id, subject"),
    ("upstream_flights_pkey", "tenant_id, state_hash"),
];

#[cfg(test)]
mod tests {
    use super::conflict;
    use idp_core::store::StoreError;

    fn conflict_field(table: Option<&str>, detail: Option<&str>) -> String {
        match conflict(table, detail, None) {
            StoreError::Conflict(field) => field,
            other => other.to_string(),
        }
    }

    #[test]
    fn conflicts_name_the_field_as_the_sqlite_store_does() {
        let detail = |d: &str| Some(d.to_owned());
        assert_eq!(
            conflict_field(
                Some("users"),
                detail("Key (tenant_id, email)=(t, a@b) already exists.").as_deref()
            ),
            "email"
        );
        assert_eq!(
            conflict_field(
                Some("clients"),
                detail("Key (tenant_id, id)=(t, c) already exists.").as_deref()
            ),
            "client id"
        );
        assert_eq!(
            conflict_field(
                Some("tenants"),
                detail("Key (slug)=(acme) already exists.").as_deref()
            ),
            "slug"
        );
        assert_eq!(conflict_field(None, None), "record");
    }

    #[test]
    fn conflicts_hidden_by_row_level_security_are_named_by_constraint() {
        let field = |table, constraint| match conflict(Some(table), None, Some(constraint)) {
            StoreError::Conflict(field) => field,
            other => other.to_string(),
        };
        assert_eq!(field("users", "users_by_email_key"), "email");
        assert_eq!(field("users", "users_pkey"), "user id");
        assert_eq!(
            field("linked_identities", "linked_identities_pkey"),
            "upstream_id, subject"
        );
        assert_eq!(field("upstreams", "upstreams_pkey"), "upstream id");
        assert_eq!(field("sessions", "sessions_pkey"), "record");
    }
}
