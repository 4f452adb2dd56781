//! `idp-server platform settings [--signup MODE] [--json]`: shows the
//! platform's settings, or changes them (audited as the CLI's OS user), as
//! the admin API's `/api/v1/platform/settings` does.

use super::{CliError, operator, print_object};
use crate::backend::Backend;
use idp_core::Provider;
use idp_core::admin::PlatformSettingsUpdate;
use idp_core::signup::SignupMode;

/// Platform commands.
#[derive(clap::Subcommand, Debug)]
pub enum PlatformCommand {
    /// Show the platform's settings; with --signup, change who may sign up
    /// at /signup first. With --json, prints {"signup", "updated_at"}.
    Settings {
        /// Who may sign an organisation up: closed, approval (an operator
        /// approves each, the default) or open.
        #[arg(long, value_name = "MODE", value_parser = parse_mode)]
        signup: Option<SignupMode>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

fn parse_mode(text: &str) -> Result<SignupMode, String> {
    SignupMode::parse(text).ok_or_else(|| SignupMode::invalid(text))
}

pub(super) async fn run<S: Backend>(
    provider: &Provider<S>,
    command: PlatformCommand,
) -> Result<(), CliError> {
    let admin = provider.admin();
    let PlatformCommand::Settings { signup, json } = command;
    let settings = match signup {
        Some(mode) => {
            admin
                .update_platform_settings(
                    &operator(),
                    PlatformSettingsUpdate { signup: Some(mode) },
                )
                .await?
        }
        None => admin.platform_settings().await?,
    };
    print_object(
        json,
        &crate::api::representation::platform_settings(&settings),
    );
    Ok(())
}
