//! Upstream identity providers of a tenant (GitHub, Google, Microsoft or
//! any OpenID Provider, [`crate::upstream`]): create, read, list, change,
//! delete; and the identities linked to a user through them: list, unlink.
//!
//! The client secret is sealed with the tenant's data key
//! ([`crate::upstream::secret`]) before it reaches the store, is never
//! returned ([`UpstreamInfo`] has no field for it) and an audit event only
//! says that it changed. Creates are held to the tenant's tier
//! ([`crate::tier::Limit::Upstreams`]).

use super::Admin;
use super::error::{AdminError, ObjectKind, Problems};
use super::page::{List, Page, PageRequest};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::clock::UnixTime;
use crate::ids::{UpstreamId, UserId};
use crate::outbound::OutboundPolicy;
use crate::store::{AdminChange, Applied, Store, UpstreamRecord};
use crate::tenant::TenantContext;
use crate::upstream::UpstreamKind;

/// The longest upstream name, in characters.
const MAX_NAME: usize = 64;
/// The longest client id and client secret, in bytes.
const MAX_CREDENTIAL: usize = 1024;

/// An upstream to create.
#[derive(Clone)]
pub struct NewUpstream {
    /// What kind.
    pub kind: UpstreamKind,
    /// The name the login page shows ("Continue with {name}").
    pub name: String,
    /// The issuer (required for `oidc`), or GitHub Enterprise Server's
    /// base URL; `None`: the kind's default.
    pub issuer: Option<String>,
    /// The client id registered at the upstream.
    pub client_id: String,
    /// The client secret registered at the upstream; sealed at once.
    pub client_secret: String,
    /// Whether a first sign-in creates a user (default on).
    pub signup: bool,
    /// Whether a first sign-in with a verified email links to the user
    /// with that email (default off).
    pub auto_link: bool,
}

impl NewUpstream {
    /// An upstream with the defaults: sign-up on, automatic linking off,
    /// the kind's default issuer.
    pub fn new(
        kind: UpstreamKind,
        name: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            name: name.into(),
            issuer: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            signup: true,
            auto_link: false,
        }
    }
}

impl std::fmt::Debug for NewUpstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUpstream")
            .field("kind", &self.kind)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("signup", &self.signup)
            .field("auto_link", &self.auto_link)
            .finish()
    }
}

/// A change to an upstream: each `Some` field replaces the stored value
/// (`issuer: Some(None)` returns to the kind's default). The kind never
/// changes.
#[derive(Clone, Default)]
pub struct UpstreamUpdate {
    /// Display name.
    pub name: Option<String>,
    /// Issuer or base URL.
    pub issuer: Option<Option<String>>,
    /// Client id.
    pub client_id: Option<String>,
    /// Client secret; sealed again.
    pub client_secret: Option<String>,
    /// Sign-up through the upstream.
    pub signup: Option<bool>,
    /// Automatic linking by verified email.
    pub auto_link: Option<bool>,
}

impl std::fmt::Debug for UpstreamUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamUpdate")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("signup", &self.signup)
            .field("auto_link", &self.auto_link)
            .finish()
    }
}

/// An upstream as administrators see it: everything but the secret, and
/// the callback URL to register at the upstream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpstreamInfo {
    /// Its id; never changes.
    pub id: UpstreamId,
    /// What kind.
    pub kind: UpstreamKind,
    /// Display name.
    pub name: String,
    /// The issuer or base URL set; `None`: the kind's default.
    pub issuer: Option<String>,
    /// The client id.
    pub client_id: String,
    /// Whether a first sign-in creates a user.
    pub signup: bool,
    /// Whether a first sign-in links by verified email.
    pub auto_link: bool,
    /// `{issuer}/upstream/{id}/callback`: the redirect URI to register.
    pub callback_url: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
}

/// An identity linked to a user, as administrators see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// The upstream.
    pub upstream_id: UpstreamId,
    /// The upstream's name.
    pub upstream_name: String,
    /// The upstream's kind.
    pub kind: UpstreamKind,
    /// The upstream's key for the person.
    pub subject: String,
    /// The email the upstream reported at the last sign-in.
    pub email: Option<String>,
    /// When it was linked.
    pub created_at: UnixTime,
    /// When it last signed in.
    pub last_used_at: UnixTime,
}

/// Reads an upstream kind as the API and the CLI spell it.
pub fn parse_kind(kind: &str) -> Result<UpstreamKind, AdminError> {
    UpstreamKind::parse(kind).ok_or_else(|| {
        AdminError::invalid(
            "kind",
            format!("kind must be one of oidc, github, google, microsoft, not '{kind}'"),
        )
    })
}

fn check_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if name.trim().is_empty() || len > MAX_NAME {
        return Err(format!("name must be 1 to {MAX_NAME} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err("name must not contain control characters".into());
    }
    Ok(())
}

/// A client id or secret: present, bounded, printable. The reason never
/// repeats the value.
fn check_credential(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.len() > MAX_CREDENTIAL {
        return Err(format!("{field} must be at most {MAX_CREDENTIAL} bytes"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("{field} must not contain control characters"));
    }
    Ok(())
}

/// The issuer rule: `oidc` needs one; any given is an absolute URL the
/// provider may request (https, http only where the outbound policy
/// allows it, no credentials, no internal address unless allowed) with no
/// query or fragment (an issuer identifier has neither, OIDC Discovery
/// 1.0 §3 and RFC 8414 §2).
fn check_issuer(
    policy: &OutboundPolicy,
    kind: UpstreamKind,
    issuer: Option<&str>,
) -> Result<(), String> {
    let Some(issuer) = issuer else {
        return match kind.default_issuer() {
            Some(_) => Ok(()),
            None => Err(format!(
                "issuer is required for an upstream of kind '{}'",
                kind.as_str()
            )),
        };
    };
    let url = policy
        .check_str(issuer)
        .map_err(|refusal| format!("issuer '{issuer}' {refusal}"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "issuer '{issuer}' must not have a query or a fragment"
        ));
    }
    Ok(())
}

/// An empty issuer is none (the kind's default).
fn clean_issuer(issuer: Option<String>) -> Option<String> {
    issuer
        .map(|i| i.trim().to_owned())
        .filter(|i| !i.is_empty())
}

impl<S: Store> Admin<S> {
    /// Creates an upstream in the tenant `slug`, its secret sealed.
    pub async fn create_upstream(
        &self,
        ctx: &AuditContext,
        slug: &str,
        new: NewUpstream,
    ) -> Result<UpstreamInfo, AdminError> {
        let issuer = clean_issuer(new.issuer);
        let mut problems = Problems::default();
        problems.check("name", check_name(&new.name));
        problems.check(
            "issuer",
            check_issuer(&self.config.outbound, new.kind, issuer.as_deref()),
        );
        problems.check("client_id", check_credential("client_id", &new.client_id));
        problems.check(
            "client_secret",
            check_credential("client_secret", &new.client_secret),
        );
        problems.finish()?;
        let tenant = self.tenant(slug).await?;
        let id = UpstreamId::generate();
        let now = self.clock.now();
        let record = UpstreamRecord {
            sealed_client_secret: self.seal_secret(&tenant, &id, &new.client_secret)?,
            id,
            kind: new.kind,
            name: new.name,
            issuer,
            client_id: new.client_id,
            signup: new.signup,
            auto_link: new.auto_link,
            created_at: now,
            updated_at: now,
        };
        let changes = Changes::none()
            .set("kind", record.kind.as_str())
            .set("name", &record.name)
            .set("issuer", &record.issuer)
            .set("client_id", &record.client_id)
            .secret("client_secret")
            .set("signup", record.signup)
            .set("auto_link", record.auto_link);
        let event = ctx.event(
            AuditAction::UpstreamCreate,
            Some(&tenant),
            Target::new("upstream", record.id.as_str()),
            changes,
            now,
        );
        let change = AdminChange::CreateUpstream {
            tenant: &tenant.record.id,
            upstream: &record,
        };
        crate::tier::apply_within_limit(
            &*self.store,
            (&tenant.record.id, &tenant.record.slug),
            crate::tier::Limit::Upstreams,
            change,
            &event,
            now,
            format!("upstream '{}'", record.id),
        )
        .await?;
        Ok(self.info(slug, &record))
    }

    /// The upstream `id` of the tenant `slug`.
    pub async fn get_upstream(&self, slug: &str, id: &str) -> Result<UpstreamInfo, AdminError> {
        let tenant = self.tenant(slug).await?;
        let record = self.upstream_record(&tenant, id).await?;
        Ok(self.info(slug, &record))
    }

    /// A page of the tenant's upstreams, by id.
    pub async fn list_upstreams(
        &self,
        slug: &str,
        page: &PageRequest,
    ) -> Result<Page<UpstreamInfo>, AdminError> {
        let (limit, after) = page.resolve(List::Upstreams)?;
        let tenant = self.tenant(slug).await?;
        let after = after.map(UpstreamId::new);
        let rows = self
            .store
            .upstreams_page(&tenant.record.id, after.as_ref(), limit + 1)
            .await?;
        let page = Page::from_rows(List::Upstreams, rows, limit, |u| u.id.as_str());
        Ok(page.map(|r| self.info(slug, &r)))
    }

    /// Changes the upstream `id` (its kind never changes), checked by the
    /// rules of creation; a new secret is sealed again.
    pub async fn update_upstream(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
        update: UpstreamUpdate,
    ) -> Result<UpstreamInfo, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut record = self.upstream_record(&tenant, id).await?;
        let UpstreamUpdate {
            name,
            issuer,
            client_id,
            client_secret,
            signup,
            auto_link,
        } = update;
        let issuer = issuer.map(clean_issuer);
        let mut problems = Problems::default();
        if let Some(name) = &name {
            problems.check("name", check_name(name));
        }
        if let Some(issuer) = &issuer {
            problems.check(
                "issuer",
                check_issuer(&self.config.outbound, record.kind, issuer.as_deref()),
            );
        }
        if let Some(client_id) = &client_id {
            problems.check("client_id", check_credential("client_id", client_id));
        }
        if let Some(secret) = &client_secret {
            problems.check("client_secret", check_credential("client_secret", secret));
        }
        problems.finish()?;
        let mut changes = Changes::none()
            .set_some("name", name.as_ref())
            .set_some("issuer", issuer.as_ref())
            .set_some("client_id", client_id.as_ref())
            .set_some("signup", signup)
            .set_some("auto_link", auto_link);
        if let Some(secret) = &client_secret {
            record.sealed_client_secret = self.seal_secret(&tenant, &record.id, secret)?;
            changes = changes.secret("client_secret");
        }
        if let Some(v) = name {
            record.name = v;
        }
        if let Some(v) = issuer {
            record.issuer = v;
        }
        if let Some(v) = client_id {
            record.client_id = v;
        }
        if let Some(v) = signup {
            record.signup = v;
        }
        if let Some(v) = auto_link {
            record.auto_link = v;
        }
        let now = self.clock.now();
        record.updated_at = now;
        let event = ctx.event(
            AuditAction::UpstreamUpdate,
            Some(&tenant),
            Target::new("upstream", record.id.as_str()),
            changes,
            now,
        );
        let change = AdminChange::UpdateUpstream {
            tenant: &tenant.record.id,
            upstream: &record,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Upstream, id));
        }
        Ok(self.info(slug, &record))
    }

    /// Deletes the upstream `id`, the identities linked through it and its
    /// round trips in flight (they fail as an unknown upstream).
    pub async fn delete_upstream(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let id = UpstreamId::new(id);
        if !crate::upstream::password_login::allowed(&tenant.record) {
            // An upstream-only tenant keeps one upstream at least: nobody
            // could sign in otherwise.
            let left = self
                .store
                .upstreams_page(&tenant.record.id, None, 2)
                .await?;
            if matches!(left.as_slice(), [only] if only.id == id) {
                return Err(AdminError::WrongState {
                    what: format!(
                        "upstream '{id}' is the last way to sign in to tenant '{slug}', which has password login off; add another upstream or turn password login on first"
                    ),
                });
            }
        }
        let event = ctx.event(
            AuditAction::UpstreamDelete,
            Some(&tenant),
            Target::new("upstream", id.as_str()),
            Changes::none(),
            self.clock.now(),
        );
        let change = AdminChange::DeleteUpstream {
            tenant: &tenant.record.id,
            upstream: &id,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Upstream, id.as_str()));
        }
        Ok(())
    }

    /// The identities linked to the user `user_id`, by upstream then subject.
    pub async fn user_identities(
        &self,
        slug: &str,
        user_id: &str,
    ) -> Result<Vec<LinkedIdentity>, AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        let linked = self
            .store
            .identities_of_user(&tenant.record.id, &user.id)
            .await?;
        let mut upstreams: Vec<UpstreamRecord> = Vec::new();
        let mut out = Vec::with_capacity(linked.len());
        for identity in linked {
            if !upstreams.iter().any(|u| u.id == identity.upstream_id) {
                // Deleted meanwhile: its identities went with it.
                let Some(u) = self
                    .store
                    .upstream(&tenant.record.id, &identity.upstream_id)
                    .await?
                else {
                    continue;
                };
                upstreams.push(u);
            }
            let Some(upstream) = upstreams.iter().find(|u| u.id == identity.upstream_id) else {
                continue;
            };
            out.push(LinkedIdentity {
                upstream_name: upstream.name.clone(),
                kind: upstream.kind,
                upstream_id: identity.upstream_id,
                subject: identity.subject,
                email: identity.email,
                created_at: identity.created_at,
                last_used_at: identity.last_used_at,
            });
        }
        Ok(out)
    }

    /// Unlinks the identity (`upstream_id`, `subject`) from the user
    /// `user_id`, never the last way they can sign in
    /// ([`crate::upstream::linking::may_unlink`]): refused with
    /// [`AdminError::WrongState`] when they have no password and no other
    /// linked identity.
    pub async fn unlink_identity(
        &self,
        ctx: &AuditContext,
        slug: &str,
        user_id: &str,
        upstream_id: &str,
        subject: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        let linked = self
            .store
            .identities_of_user(&tenant.record.id, &user.id)
            .await?;
        let missing = || {
            AdminError::not_found(
                ObjectKind::LinkedIdentity,
                format!("{upstream_id}/{subject}"),
            )
        };
        if !linked
            .iter()
            .any(|i| i.upstream_id.as_str() == upstream_id && i.subject == subject)
        {
            return Err(missing());
        }
        // A password counts only where the tenant allows password login.
        let has_password =
            crate::upstream::password_login::counts(&tenant.record, user.password_hash.is_some());
        if !crate::upstream::linking::may_unlink(has_password, linked.len()) {
            return Err(last_way_to_sign_in(&user.id));
        }
        let upstream = UpstreamId::new(upstream_id);
        let event = ctx.event(
            AuditAction::UserIdentityUnlink,
            Some(&tenant),
            Target::new("user", user.id.as_str()),
            Changes::none()
                .set("upstream", upstream_id)
                .set("subject", subject),
            self.clock.now(),
        );
        let change = AdminChange::UnlinkIdentity {
            tenant: &tenant.record.id,
            user: &user.id,
            upstream: &upstream,
            subject,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(missing());
        }
        Ok(())
    }

    /// At each start with `PLATFORM_{GITHUB,GOOGLE,MICROSOFT}_CLIENT_ID`
    /// and `_SECRET`: creates the platform tenant's upstream of `kind` (as
    /// `system`) unless it has one of that kind already, so operators sign
    /// in to `/admin` with it. Sign-up is off (operators are made by
    /// operators) and automatic linking on (an existing operator, such as
    /// the owner, is found by the verified email the upstream asserts).
    /// `Some` with the new upstream (its callback URL to register) when it
    /// was created; `None` when one existed.
    pub async fn ensure_platform_upstream(
        &self,
        kind: UpstreamKind,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Option<UpstreamInfo>, AdminError> {
        let slug = crate::platform::PLATFORM_SLUG;
        self.ensure_platform().await?;
        let mut page = PageRequest::limit(super::MAX_LIMIT);
        loop {
            let found = self.list_upstreams(slug, &page).await?;
            if found.items.iter().any(|u| u.kind == kind) {
                return Ok(None);
            }
            match found.next_cursor {
                Some(cursor) => page = PageRequest::after(cursor, Some(super::MAX_LIMIT)),
                None => break,
            }
        }
        let name = match kind {
            UpstreamKind::Oidc => "OpenID Provider",
            UpstreamKind::Github => "GitHub",
            UpstreamKind::Google => "Google",
            UpstreamKind::Microsoft => "Microsoft",
        };
        let mut new = NewUpstream::new(kind, name, client_id, client_secret);
        new.signup = false;
        new.auto_link = true;
        let ctx = AuditContext::system("platform-upstreams");
        self.create_upstream(&ctx, slug, new).await.map(Some)
    }

    /// The stored upstream `id`, or `NotFound`.
    async fn upstream_record(
        &self,
        tenant: &TenantContext,
        id: &str,
    ) -> Result<UpstreamRecord, AdminError> {
        self.store
            .upstream(&tenant.record.id, &UpstreamId::new(id))
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Upstream, id))
    }

    /// Seals `secret` with the tenant's data key for the upstream `id`.
    fn seal_secret(
        &self,
        tenant: &TenantContext,
        id: &UpstreamId,
        secret: &str,
    ) -> Result<Vec<u8>, AdminError> {
        let record = &tenant.record;
        let key = self
            .config
            .master_key
            .unwrap(&record.wrapped_data_key, record.id.as_str())
            .map_err(|e| AdminError::Internal(format!("tenant {}: {e}", record.slug)))?;
        crate::upstream::secret::seal(&key, &record.id, id, secret)
            .map_err(|e| AdminError::Internal(format!("sealing an upstream secret: {e}")))
    }

    /// What administrators see of `record`.
    fn info(&self, slug: &str, record: &UpstreamRecord) -> UpstreamInfo {
        UpstreamInfo {
            id: record.id.clone(),
            kind: record.kind,
            name: record.name.clone(),
            issuer: record.issuer.clone(),
            client_id: record.client_id.clone(),
            signup: record.signup,
            auto_link: record.auto_link,
            // As `Provider::upstream_callback_url` says it.
            callback_url: format!(
                "{}/t/{slug}/upstream/{}/callback",
                self.config.base_url, record.id
            ),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// The refusal of unlinking the last way to sign in.
fn last_way_to_sign_in(user: &UserId) -> AdminError {
    AdminError::WrongState {
        what: format!(
            "never the last way to sign in: user '{user}' has no password (or the tenant has password login off) and no other linked identity; link another identity first"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_credentials_are_bounded() {
        assert!(check_name("GitHub").is_ok());
        assert!(check_name(&"é".repeat(MAX_NAME)).is_ok());
        assert!(check_name(&"é".repeat(MAX_NAME + 1)).is_err());
        assert!(check_name(" ").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_credential("client_secret", "").is_err());
        let long = "x".repeat(MAX_CREDENTIAL + 1);
        let refused = check_credential("client_secret", &long)
            .err()
            .unwrap_or_default();
        assert!(refused.contains("at most") && !refused.contains("xxx"));
    }

    #[test]
    fn the_issuer_rule() {
        let strict = OutboundPolicy::default();
        let oidc = UpstreamKind::Oidc;
        assert!(check_issuer(&strict, oidc, None).is_err());
        assert!(check_issuer(&strict, UpstreamKind::Github, None).is_ok());
        assert!(check_issuer(&strict, oidc, Some("https://id.example.com")).is_ok());
        assert!(check_issuer(&strict, oidc, Some("http://id.example.com")).is_err());
        assert!(check_issuer(&strict, oidc, Some("https://127.0.0.1")).is_err());
        assert!(check_issuer(&strict, oidc, Some("https://id.example.com/?a=b")).is_err());
        assert!(check_issuer(&strict, oidc, Some("id.example.com")).is_err());
        let lax = OutboundPolicy {
            allow_http: true,
            ..OutboundPolicy::default()
        };
        assert!(check_issuer(&lax, oidc, Some("http://id.example.com")).is_ok());
        assert_eq!(clean_issuer(Some(" ".into())), None);
        assert!(parse_kind("saml").is_err());
        assert_eq!(parse_kind("github").ok(), Some(UpstreamKind::Github));
    }
}
