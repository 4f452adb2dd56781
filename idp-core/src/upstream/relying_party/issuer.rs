//! Which `iss` an upstream's ID tokens must carry (OIDC Core §3.1.3.7
//! step 2: exactly the issuer of the discovery document).
//!
//! Microsoft's multi-tenant endpoints are the exception: the discovery
//! document of `…/common/v2.0`, `…/organizations/v2.0` (and, depending on
//! the account, `…/consumers/v2.0`) names the issuer
//! `https://login.microsoftonline.com/{tenantid}/v2.0`, a literal template,
//! and each token's `iss` names the tenant the person belongs to. Such a
//! token is accepted when its `iss` is exactly the template with the
//! token's own `tid` claim put in, so a token of one tenant can never pass
//! as another's; identities are then keyed by `tid` and `oid`
//! ([`microsoft_subject`]), never by the email.

use crate::upstream::UpstreamKind;

/// The placeholder in Microsoft's multi-tenant issuer.
pub(crate) const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// Microsoft's multi-tenant path segments (the first segment of the
/// issuer's path).
const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];

/// What `iss` must be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum IssuerRule {
    /// One of these, exactly (Google's tokens may say `accounts.google.com`
    /// without the scheme, as Google documents).
    Exact(Vec<String>),
    /// Microsoft's multi-tenant template: `iss` must equal it with the
    /// token's `tid` in place of `{tenantid}`.
    Template(String),
}

/// Whether `issuer` is one of Microsoft's multi-tenant issuers: its path
/// starts with `common`, `organizations` or `consumers`.
pub(crate) fn is_multi_tenant(issuer: &str) -> bool {
    url::Url::parse(issuer)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next().map(str::to_owned))
        })
        .is_some_and(|first| MULTI_TENANT.contains(&first.as_str()))
}

/// `scheme://host:port` of a URL, if it has one.
fn origin(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

impl IssuerRule {
    /// The rule for an upstream of `kind` configured with `configured`,
    /// whose discovery document says `discovered`; `Err` with the reason
    /// when the document may not be trusted for that issuer.
    pub(crate) fn for_discovery(
        kind: UpstreamKind,
        configured: &str,
        discovered: &str,
    ) -> Result<Self, String> {
        let trim = |s: &str| s.trim_end_matches('/').to_owned();
        if trim(configured) == trim(discovered) {
            let mut accepted = vec![discovered.to_owned()];
            if kind == UpstreamKind::Google && discovered == "https://accounts.google.com" {
                accepted.push("accounts.google.com".to_owned());
            }
            return Ok(Self::Exact(accepted));
        }
        let same_origin = origin(configured).is_some() && origin(configured) == origin(discovered);
        if kind == UpstreamKind::Microsoft && is_multi_tenant(configured) && same_origin {
            return Ok(if discovered.contains(TENANT_PLACEHOLDER) {
                Self::Template(discovered.to_owned())
            } else {
                // `consumers` names its one tenant outright.
                Self::Exact(vec![discovered.to_owned()])
            });
        }
        Err(format!(
            "the discovery document names another issuer ({discovered})"
        ))
    }

    /// Checks a token's `iss` (and, for the template, its `tid`); the
    /// failed check's name otherwise.
    pub(crate) fn check(&self, iss: &str, tid: Option<&str>) -> Result<(), &'static str> {
        match self {
            Self::Exact(accepted) if accepted.iter().any(|a| a == iss) => Ok(()),
            Self::Exact(_) => Err("wrong iss"),
            Self::Template(template) => {
                let tid = tid.ok_or("no tid claim for the tenant issuer rule")?;
                if !is_tenant_id(tid) {
                    return Err("tid is not a tenant id");
                }
                if template.replace(TENANT_PLACEHOLDER, tid) == iss {
                    Ok(())
                } else {
                    Err("wrong iss for the token's tid")
                }
            }
        }
    }
}

/// A tenant id as Microsoft issues them: a GUID (hex digits and hyphens),
/// so that a `tid` cannot smuggle path characters into the issuer.
fn is_tenant_id(tid: &str) -> bool {
    !tid.is_empty() && tid.len() <= 64 && tid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// The stable key of a Microsoft identity: `{tid}:{oid}` (the object id is
/// unique within its tenant and never reassigned; the email is mutable).
pub(crate) fn microsoft_subject(
    tid: Option<&str>,
    oid: Option<&str>,
) -> Result<String, &'static str> {
    match (tid, oid) {
        (Some(t), Some(o)) if !t.is_empty() && !o.is_empty() => Ok(format!("{t}:{o}")),
        _ => Err("no tid and oid claims"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";
    const TID: &str = "9b1f3c2a-6f0e-4d2b-9c41-1a2b3c4d5e6f";

    fn ms(configured: &str, discovered: &str) -> Result<IssuerRule, String> {
        IssuerRule::for_discovery(UpstreamKind::Microsoft, configured, discovered)
    }

    #[test]
    fn multi_tenant_issuers_take_the_template() {
        for tenant in ["common", "organizations"] {
            let configured = format!("https://login.microsoftonline.com/{tenant}/v2.0");
            assert_eq!(
                ms(&configured, TEMPLATE),
                Ok(IssuerRule::Template(TEMPLATE.into()))
            );
        }
    }

    #[test]
    fn the_template_accepts_only_the_tokens_own_tenant() {
        let rule = IssuerRule::Template(TEMPLATE.into());
        let iss = format!("https://login.microsoftonline.com/{TID}/v2.0");
        assert_eq!(rule.check(&iss, Some(TID)), Ok(()));
        // Another tenant's tid with this iss, or this tid with another iss.
        assert!(
            rule.check(&iss, Some("00000000-0000-0000-0000-000000000001"))
                .is_err()
        );
        assert!(
            rule.check(
                "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
                Some(TID)
            )
            .is_err()
        );
        // No tid, a tid that is not a GUID, the template itself.
        assert!(rule.check(&iss, None).is_err());
        assert!(
            rule.check("https://login.microsoftonline.com/x/../v2.0", Some("x/.."))
                .is_err()
        );
        assert!(rule.check(TEMPLATE, Some(TID)).is_err());
        // Exact: no prefix, suffix or case games.
        assert!(rule.check(&format!("{iss}/"), Some(TID)).is_err());
        assert!(rule.check(&iss.to_uppercase(), Some(TID)).is_err());
    }

    #[test]
    fn single_tenant_issuers_follow_the_normal_rule() {
        let issuer = format!("https://login.microsoftonline.com/{TID}/v2.0");
        let rule = ms(&issuer, &issuer).expect("single tenant");
        assert_eq!(rule, IssuerRule::Exact(vec![issuer.clone()]));
        assert_eq!(rule.check(&issuer, Some(TID)), Ok(()));
        assert!(
            rule.check(
                "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0",
                Some("00000000-0000-0000-0000-000000000001")
            )
            .is_err()
        );
        // A single tenant's document naming the template, or another tenant: refused.
        assert!(ms(&issuer, TEMPLATE).is_err());
        assert!(ms(&issuer, "https://login.microsoftonline.com/other/v2.0").is_err());
    }

    #[test]
    fn the_template_is_only_trusted_from_the_same_origin_and_for_microsoft() {
        assert!(
            ms(
                "https://login.microsoftonline.com/common/v2.0",
                "https://evil.example/{tenantid}/v2.0"
            )
            .is_err()
        );
        assert!(
            IssuerRule::for_discovery(
                UpstreamKind::Oidc,
                "https://login.microsoftonline.com/common/v2.0",
                TEMPLATE
            )
            .is_err()
        );
    }

    #[test]
    fn google_accepts_its_schemeless_issuer() {
        let rule = IssuerRule::for_discovery(
            UpstreamKind::Google,
            "https://accounts.google.com",
            "https://accounts.google.com",
        )
        .expect("google");
        assert_eq!(rule.check("accounts.google.com", None), Ok(()));
        assert_eq!(rule.check("https://accounts.google.com", None), Ok(()));
        assert!(
            rule.check("https://accounts.google.com.evil", None)
                .is_err()
        );
    }

    #[test]
    fn microsoft_identities_are_keyed_by_tenant_and_object() {
        assert_eq!(
            microsoft_subject(Some(TID), Some("o1")),
            Ok(format!("{TID}:o1"))
        );
        assert!(microsoft_subject(Some(TID), None).is_err());
        assert!(microsoft_subject(None, Some("o1")).is_err());
    }
}
