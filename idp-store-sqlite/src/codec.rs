//! How record fields become columns and back.
//!
//! Hashes are 32-byte BLOBs, enums their wire names, lists JSON arrays of
//! strings. A value that does not decode (wrong hash length, unknown enum
//! name, bad JSON) is a conversion error naming the value, which the store
//! reports as [`StoreError::Backend`](idp_core::store::StoreError::Backend):
//! never a panic.

use idp_core::crypto::secret::SecretHash;
use idp_core::jwks::SigningAlg;
use idp_core::store::{GrantType, SubjectType, TokenEndpointAuthMethod};
use idp_core::tenant::state::TenantState;
use idp_core::upstream::UpstreamKind;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ValueRef};

/// A [`SecretHash`] column.
pub(crate) struct Hash(pub SecretHash);

impl FromSql for Hash {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let bytes = value.as_blob()?;
        SecretHash::from_slice(bytes)
            .map(Hash)
            .ok_or(FromSqlError::InvalidBlobSize {
                expected_size: 32,
                blob_size: bytes.len(),
            })
    }
}

/// A [`SigningAlg`] column.
pub(crate) struct Alg(pub SigningAlg);

impl FromSql for Alg {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        SigningAlg::parse(name)
            .map(Alg)
            .ok_or_else(|| unknown("signing algorithm", name))
    }
}

/// A [`TenantState`] column.
pub(crate) struct State(pub TenantState);

impl FromSql for State {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        TenantState::parse(name)
            .map(State)
            .ok_or_else(|| unknown("tenant state", name))
    }
}

/// A [`TokenEndpointAuthMethod`] column.
pub(crate) struct AuthMethod(pub TokenEndpointAuthMethod);

impl FromSql for AuthMethod {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        TokenEndpointAuthMethod::parse(name)
            .map(AuthMethod)
            .ok_or_else(|| unknown("token endpoint auth method", name))
    }
}

/// A [`SubjectType`] column.
pub(crate) struct Subject(pub SubjectType);

impl FromSql for Subject {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        SubjectType::parse(name)
            .map(Subject)
            .ok_or_else(|| unknown("subject type", name))
    }
}

/// An [`UpstreamKind`] column.
pub(crate) struct Kind(pub UpstreamKind);

impl FromSql for Kind {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let name = value.as_str()?;
        UpstreamKind::parse(name)
            .map(Kind)
            .ok_or_else(|| unknown("upstream kind", name))
    }
}

/// A JSON array of strings.
pub(crate) struct StringList(pub Vec<String>);

impl FromSql for StringList {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        serde_json::from_str(text)
            .map(StringList)
            .map_err(|e| FromSqlError::Other(format!("invalid JSON list {text:?}: {e}").into()))
    }
}

/// A JSON array of grant type names.
pub(crate) struct GrantTypes(pub Vec<GrantType>);

impl FromSql for GrantTypes {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let StringList(names) = StringList::column_result(value)?;
        names
            .iter()
            .map(|n| GrantType::parse(n).ok_or_else(|| unknown("grant type", n)))
            .collect::<Result<_, _>>()
            .map(GrantTypes)
    }
}

/// Encodes strings as a JSON array.
pub(crate) fn json_list<'a>(items: impl IntoIterator<Item = &'a str>) -> rusqlite::Result<String> {
    let items: Vec<&str> = items.into_iter().collect();
    serde_json::to_string(&items).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn unknown(what: &str, name: &str) -> FromSqlError {
    FromSqlError::Other(format!("unknown {what} {name:?} in the database").into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn bad_values_are_errors_not_panics() -> TestResult {
        let conn = Connection::open_in_memory()?;
        let short = conn.query_row("SELECT x'0102'", [], |r| r.get::<_, Hash>(0));
        assert!(short.is_err());
        let alg = conn.query_row("SELECT 'HS256'", [], |r| r.get::<_, Alg>(0));
        let message = alg.err().ok_or("HS256 decoded")?.to_string();
        assert!(
            message.contains("unknown signing algorithm \"HS256\""),
            "{message}"
        );
        let method = conn.query_row("SELECT 'tls'", [], |r| r.get::<_, AuthMethod>(0));
        assert!(method.is_err());
        let grants = conn.query_row("SELECT '[\"implicit\"]'", [], |r| r.get::<_, GrantTypes>(0));
        assert!(grants.is_err());
        let list = conn.query_row("SELECT 'not json'", [], |r| r.get::<_, StringList>(0));
        assert!(list.is_err());
        Ok(())
    }

    #[test]
    fn lists_round_trip() -> TestResult {
        let conn = Connection::open_in_memory()?;
        let json = json_list(["https://a/cb", "x\"y"])?;
        let StringList(back) = conn.query_row("SELECT ?1", [&json], |r| r.get(0))?;
        assert_eq!(back, ["https://a/cb", "x\"y"]);
        let json = json_list(
            [GrantType::AuthorizationCode, GrantType::DeviceCode].map(GrantType::as_str),
        )?;
        let GrantTypes(back) = conn.query_row("SELECT ?1", [&json], |r| r.get(0))?;
        assert_eq!(back, [GrantType::AuthorizationCode, GrantType::DeviceCode]);
        Ok(())
    }
}
