//! The `claims` request parameter (OIDC Core §5.5): a relying party asks for
//! individual claims, at userinfo or in the ID token, beyond what its scopes
//! release. Only claims this provider holds are kept; `essential` is honoured
//! by releasing the claim when the user has it (it never makes the request
//! fail, §5.5.1). A requested claim counts, for consent, as its scope
//! (`name` as `profile`, `email` as `email`), so the user sees it asked for.

use crate::error::OAuthError;
use crate::scope::Scopes;
use crate::store::UserRecord;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Claims this provider can release, with the scope that also releases them.
const KNOWN: [(&str, &str); 5] = [
    ("name", "profile"),
    ("preferred_username", "profile"),
    ("updated_at", "profile"),
    ("email", "email"),
    ("email_verified", "email"),
];

/// The requested claims, by where they go.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    /// Claims asked for at the userinfo endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo: Vec<String>,
    /// Claims asked for in the ID token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token: Vec<String>,
}

fn known_names(member: Option<&Value>) -> Result<Vec<String>, OAuthError> {
    match member {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(m)) => Ok(m
            .keys()
            .filter(|k| KNOWN.iter().any(|(n, _)| n == k))
            .cloned()
            .collect()),
        Some(_) => Err(OAuthError::invalid_request(
            "claims: userinfo and id_token must be JSON objects",
        )),
    }
}

impl ClaimsRequest {
    /// check_claims: parses the parameter; malformed JSON is `invalid_request`.
    pub fn parse(raw: &str) -> Result<Option<Self>, OAuthError> {
        let value: Value = serde_json::from_str(raw)
            .map_err(|_| OAuthError::invalid_request("claims is not a JSON object"))?;
        let Value::Object(obj) = value else {
            return Err(OAuthError::invalid_request("claims is not a JSON object"));
        };
        let request = Self {
            userinfo: known_names(obj.get("userinfo"))?,
            id_token: known_names(obj.get("id_token"))?,
        };
        Ok((!request.is_empty()).then_some(request))
    }

    /// Whether nothing usable was asked for.
    pub fn is_empty(&self) -> bool {
        self.userinfo.is_empty() && self.id_token.is_empty()
    }

    /// The scopes whose consent covers these claims.
    pub fn implied_scopes(&self) -> Scopes {
        let names: Vec<&str> = self
            .userinfo
            .iter()
            .chain(&self.id_token)
            .filter_map(|c| KNOWN.iter().find(|(n, _)| n == c).map(|(_, s)| *s))
            .collect();
        Scopes::from_stored(&names.join(" "))
    }

    /// Stored form.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form; anything unreadable is no request.
    pub fn from_json(s: Option<&str>) -> Option<Self> {
        s.and_then(|s| serde_json::from_str(s).ok())
    }
}

/// The values of `names` the user has.
pub fn values_of(user: &UserRecord, names: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    for name in names {
        let value = match name.as_str() {
            "name" => user.name.clone().map(Value::String),
            "preferred_username" => Some(Value::String(user.email.clone())),
            "updated_at" => Some(Value::from(user.updated_at)),
            "email" => Some(Value::String(user.email.clone())),
            "email_verified" => Some(Value::Bool(user.email_verified)),
            _ => None,
        };
        if let Some(v) = value {
            out.insert(name.clone(), v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_known_claims_and_refuses_malformed_requests() -> Result<(), OAuthError> {
        let r = ClaimsRequest::parse(
            r#"{"userinfo":{"name":{"essential":true},"nickname":null},"id_token":{"email":null}}"#,
        )?
        .unwrap_or_default();
        assert_eq!(r.userinfo, vec!["name"]);
        assert_eq!(r.id_token, vec!["email"]);
        assert_eq!(r.implied_scopes().to_param(), "profile email");
        assert_eq!(ClaimsRequest::from_json(Some(&r.to_json())), Some(r));
        assert_eq!(
            ClaimsRequest::parse(r#"{"userinfo":{"nickname":null}}"#)?,
            None
        );
        assert!(ClaimsRequest::parse("not json").is_err());
        assert!(ClaimsRequest::parse(r#"{"userinfo":[]}"#).is_err());
        Ok(())
    }
}
