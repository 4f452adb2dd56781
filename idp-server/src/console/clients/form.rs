//! The client form, shared by "new client" and a client's edit form: the
//! values as typed (so a refused form comes back as it was sent), the JSON
//! the admin API takes (`POST .../clients`, `PATCH .../clients/{id}`), and
//! each refusal placed next to the field it names.

use crate::console::api::Refused;
use idp_core::wire::Params;
use serde_json::{Value, json};

/// The grant types the form offers: `(API name, label, id suffix)`.
const GRANTS: [(&str, &str, &str); 4] = [
    (
        "authorization_code",
        "Authorization code (sign users in)",
        "authorization_code",
    ),
    ("refresh_token", "Refresh token", "refresh_token"),
    (
        "client_credentials",
        "Client credentials (a service acting as itself)",
        "client_credentials",
    ),
    (
        "urn:ietf:params:oauth:grant-type:device_code",
        "Device code (TVs, command-line tools)",
        "device_code",
    ),
];

/// The fields beside which a refusal is shown; any other goes on top.
const FIELDS: [&str; 10] = [
    "name",
    "public",
    "redirect_uris",
    "grant_types",
    "post_logout_redirect_uris",
    "frontchannel_logout_uri",
    "backchannel_logout_uri",
    "allowed_origins",
    "allowed_scopes",
    "audiences",
];

/// One grant type's checkbox.
pub(crate) struct Grant {
    pub(crate) value: &'static str,
    pub(crate) label: &'static str,
    pub(crate) id: String,
    pub(crate) checked: bool,
}

/// A client's registration as the form shows it: lists one item a line.
#[derive(Default)]
pub(crate) struct ClientForm {
    pub(crate) name: String,
    pub(crate) public: bool,
    pub(crate) redirect_uris: String,
    pub(crate) grant_types: Vec<String>,
    pub(crate) post_logout_redirect_uris: String,
    pub(crate) frontchannel_logout_uri: String,
    pub(crate) backchannel_logout_uri: String,
    pub(crate) allowed_origins: String,
    pub(crate) allowed_scopes: String,
    pub(crate) audiences: String,
    /// `(field, reason)` of a refused form, placed by [`place`].
    errors: Vec<(String, String)>,
    /// What the refusal said that names no field of the form.
    pub(crate) summary: Option<String>,
}

impl ClientForm {
    /// The empty form of a new client: confidential, signing users in.
    pub(crate) fn new_client() -> Self {
        Self {
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            ..Self::default()
        }
    }

    /// The form of a registered client (the API's representation).
    pub(crate) fn of_client(client: &Value) -> Self {
        let lines = |name: &str| {
            client[name]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default()
        };
        let text = |name: &str| client[name].as_str().unwrap_or_default().to_owned();
        Self {
            name: text("name"),
            public: client["public"].as_bool().unwrap_or(false),
            redirect_uris: lines("redirect_uris"),
            grant_types: client["grant_types"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            post_logout_redirect_uris: lines("post_logout_redirect_uris"),
            frontchannel_logout_uri: text("frontchannel_logout_uri"),
            backchannel_logout_uri: text("backchannel_logout_uri"),
            allowed_origins: lines("allowed_origins"),
            allowed_scopes: lines("allowed_scopes"),
            audiences: lines("audiences"),
            errors: Vec::new(),
            summary: None,
        }
    }

    /// The form as posted.
    pub(crate) fn posted(form: &Params) -> Self {
        let one = |name: &str| {
            form.pairs()
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            name: one("name"),
            public: one("public") == "true",
            redirect_uris: one("redirect_uris"),
            grant_types: form
                .pairs()
                .iter()
                .filter(|(k, _)| k == "grant_types")
                .map(|(_, v)| v.clone())
                .collect(),
            post_logout_redirect_uris: one("post_logout_redirect_uris"),
            frontchannel_logout_uri: one("frontchannel_logout_uri"),
            backchannel_logout_uri: one("backchannel_logout_uri"),
            allowed_origins: one("allowed_origins"),
            allowed_scopes: one("allowed_scopes"),
            audiences: one("audiences"),
            errors: Vec::new(),
            summary: None,
        }
    }

    /// The body of `POST .../clients`.
    pub(crate) fn create_body(&self) -> Value {
        let mut body = self.patch_body();
        body["public"] = json!(self.public);
        for name in ["frontchannel_logout_uri", "backchannel_logout_uri"] {
            if body[name].is_null()
                && let Some(object) = body.as_object_mut()
            {
                object.remove(name);
            }
        }
        body
    }

    /// The body of `PATCH .../clients/{id}`: every field of the form (an
    /// empty logout URI removes it).
    pub(crate) fn patch_body(&self) -> Value {
        let uri = |s: &str| {
            if s.is_empty() { Value::Null } else { json!(s) }
        };
        json!({
            "name": self.name,
            "redirect_uris": items(&self.redirect_uris),
            "grant_types": self.grant_types,
            "post_logout_redirect_uris": items(&self.post_logout_redirect_uris),
            "frontchannel_logout_uri": uri(&self.frontchannel_logout_uri),
            "backchannel_logout_uri": uri(&self.backchannel_logout_uri),
            "allowed_origins": items(&self.allowed_origins),
            "allowed_scopes": items(&self.allowed_scopes),
            "audiences": items(&self.audiences),
        })
    }

    /// The form with the API's refusal: each reason beside its field, the
    /// rest (and a 409's detail) on top.
    pub(crate) fn refused(mut self, r: &Refused) -> Self {
        self.errors = r
            .fields
            .iter()
            .map(|(field, reason)| (place(field, reason).to_owned(), reason.clone()))
            .collect();
        let others: Vec<String> = self
            .errors
            .iter()
            .filter(|(f, _)| !FIELDS.contains(&f.as_str()))
            .map(|(f, reason)| format!("{f}: {reason}"))
            .collect();
        self.summary = Some(if self.errors.is_empty() {
            r.detail.clone()
        } else if others.is_empty() {
            "Some fields need attention: see below.".to_owned()
        } else {
            others.join("; ")
        });
        self
    }

    /// The reason given for `field`, if any.
    pub(crate) fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, r)| r.as_str())
    }

    /// The grant types' checkboxes.
    pub(crate) fn grants(&self) -> Vec<Grant> {
        GRANTS
            .iter()
            .map(|(value, label, id)| Grant {
                value,
                label,
                id: format!("grant_types-{id}"),
                checked: self.grant_types.iter().any(|g| g == value),
            })
            .collect()
    }
}

/// The items of a one-a-line (or space-separated) list; URIs, origins,
/// scopes and audiences hold no spaces.
fn items(text: &str) -> Vec<&str> {
    text.split_whitespace().collect()
}

/// The form field a refusal belongs beside. The API names a few fields
/// otherwise than the form (the rules of registration name the scopes
/// `scopes` and the method `auth_method`, and check post-logout URIs as
/// redirect URIs, saying so in the reason).
fn place<'a>(field: &'a str, reason: &str) -> &'a str {
    match field {
        "scopes" => "allowed_scopes",
        "auth_method" | "require_pkce" => "public",
        "redirect_uris" if reason.starts_with("post_logout_redirect_uri") => {
            "post_logout_redirect_uris"
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    #[test]
    fn a_posted_form_becomes_the_api_body() {
        let form = Params::parse(
            b"name=Web&public=true&redirect_uris=https%3A%2F%2Fa.example%2Fcb%0D%0A%0D%0Ahttps%3A%2F%2Fb.example%2Fcb&grant_types=authorization_code&grant_types=refresh_token&frontchannel_logout_uri=",
        );
        let body = ClientForm::posted(&form).create_body();
        assert_eq!(body["public"], true);
        assert_eq!(
            body["redirect_uris"],
            json!(["https://a.example/cb", "https://b.example/cb"])
        );
        assert_eq!(
            body["grant_types"],
            json!(["authorization_code", "refresh_token"])
        );
        assert!(body.get("frontchannel_logout_uri").is_none(), "{body}");
        let patch = ClientForm::posted(&form).patch_body();
        assert!(patch["frontchannel_logout_uri"].is_null());
        assert!(patch.get("public").is_none(), "the type cannot change");
    }

    #[test]
    fn refusals_sit_beside_their_fields() {
        let refused = Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            detail: "invalid".into(),
            fields: vec![
                (
                    "redirect_uris".into(),
                    "post_logout_redirect_uri 'x'".into(),
                ),
                ("scopes".into(), "'a b' is not a valid scope".into()),
                ("jwks".into(), "bad".into()),
            ],
        };
        let form = ClientForm::new_client().refused(&refused);
        assert!(form.error("redirect_uris").is_none());
        assert!(form.error("post_logout_redirect_uris").is_some());
        assert!(form.error("allowed_scopes").is_some());
        assert_eq!(form.summary.as_deref(), Some("jwks: bad"));
    }
}
