//! The platform's settings: read, and changed by an operator (audited).

use super::Admin;
use super::error::AdminError;
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::signup::SignupMode;
use crate::store::{AdminChange, PlatformSettings, Store};

/// A change to the platform's settings: each `Some` replaces the value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlatformSettingsUpdate {
    /// Who may sign up.
    pub signup: Option<SignupMode>,
}

impl<S: Store> Admin<S> {
    /// The platform's settings: the stored ones, or the defaults
    /// (sign-up by approval) if nobody changed them yet.
    pub async fn platform_settings(&self) -> Result<PlatformSettings, AdminError> {
        Ok(self.store.platform_settings().await?.unwrap_or_default())
    }

    /// Changes the platform's settings; an empty update changes nothing and
    /// records nothing.
    pub async fn update_platform_settings(
        &self,
        ctx: &AuditContext,
        update: PlatformSettingsUpdate,
    ) -> Result<PlatformSettings, AdminError> {
        let mut settings = self.platform_settings().await?;
        let Some(signup) = update.signup else {
            return Ok(settings);
        };
        let now = self.clock.now();
        let changes = Changes::none()
            .set("signup", signup.as_str())
            .set("previous_signup", settings.signup.as_str());
        settings.signup = signup;
        settings.updated_at = Some(now);
        let event = ctx.event_in(
            AuditAction::PlatformSettingsUpdate,
            None,
            Target::new("platform", "settings"),
            changes,
            now,
        );
        let change = AdminChange::UpdatePlatformSettings {
            settings: &settings,
        };
        self.store.apply_audited(change, &event).await?;
        Ok(settings)
    }
}
