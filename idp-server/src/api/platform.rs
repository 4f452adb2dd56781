//! `/api/v1/platform/settings`: the platform's own settings (today, who
//! may sign up at `/signup`). A platform operation: a key limited to
//! tenants may neither read nor change them.

use super::body::{self, BodyKind};
use super::problem::Problem;
use super::representation::platform_settings as representation;
use super::{Call, Reply, etag};
use crate::backend::Backend;
use idp_core::admin::PlatformSettingsUpdate;
use idp_core::signup::SignupMode;

/// `GET /platform/settings`.
pub(super) async fn get<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let s = c.admin.platform_settings().await?;
    Ok(Reply::ok(representation(&s)))
}

/// `PATCH /platform/settings` `{signup?}` (merge patch).
pub(super) async fn update<S: Backend>(c: &Call<'_, S>) -> Result<Reply, Problem> {
    let mut f = body::object(c.req, BodyKind::MergePatch)?;
    let signup = f.opt_string("signup");
    let signup = match signup.as_deref().map(|v| (v, SignupMode::parse(v))) {
        None => None,
        Some((_, Some(mode))) => Some(mode),
        Some((v, None)) => {
            f.invalid("signup", SignupMode::invalid(v));
            None
        }
    };
    f.finish()?;
    let current = c.admin.platform_settings().await?;
    etag::check_if_match(c.req, &etag::of(&representation(&current)))?;
    let s = c
        .admin
        .update_platform_settings(&c.ctx, PlatformSettingsUpdate { signup })
        .await?;
    Ok(Reply::ok(representation(&s)))
}
