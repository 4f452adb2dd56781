//! Exit statuses: what a script can tell from `$?` (README "Command line",
//! and the end of `idp-server --help`). [`status`] is the one place an error
//! becomes a status, including every error of the administration service.

use super::CliError;
use crate::backend::OpenError;
use idp_core::AdminError;

/// How a command ended. The values are a contract: scripts test them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Done.
    Success = 0,
    /// Failed for any reason below not named (storage failure, I/O, an
    /// unready server for `health`, a server that could not start).
    Failure = 1,
    /// The command line, a value given or a setting is invalid, or names
    /// what this build cannot do (clap's usage errors exit 2 as well).
    Usage = 2,
    /// The tenant, client, user or session named does not exist.
    NotFound = 3,
    /// What is to be created already exists, the object's state does not
    /// allow the change (approving an active tenant), or the tenant's tier
    /// allows no more of it.
    Conflict = 4,
    /// The database cannot be opened or does not answer for now; retrying
    /// later may succeed.
    Unavailable = 5,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

/// The table shown at the end of `idp-server --help`.
pub const HELP: &str = "\
Exit status:
  0  success
  1  failure (storage, I/O; `health`: the server is not ready; `serve`: it could not start)
  2  usage: an invalid argument, value or setting
  3  not found: no such tenant, client, user or session
  4  conflict: it already exists, its state does not allow the change, or a tier limit is reached
  5  database unavailable: it cannot be opened or does not answer";

/// The exit status for a failed administration command.
pub fn status(error: &CliError) -> Exit {
    match error {
        CliError::Config(_) | CliError::Invalid(_) => Exit::Usage,
        CliError::Open(OpenError::Unsupported(_)) => Exit::Usage,
        CliError::Open(OpenError::Unavailable(_)) => Exit::Unavailable,
        CliError::NotFound(_) => Exit::NotFound,
        CliError::Conflict(_) => Exit::Conflict,
        CliError::Failed(_) => Exit::Failure,
        CliError::Admin(e) => match e {
            AdminError::NotFound { .. } => Exit::NotFound,
            AdminError::Invalid(_) => Exit::Usage,
            AdminError::Conflict { .. }
            | AdminError::WrongState { .. }
            | AdminError::LimitExceeded { .. } => Exit::Conflict,
            AdminError::Unavailable(_) => Exit::Unavailable,
            // The CLI runs with the operator's full rights; a refusal is a
            // failure like any other the operator cannot fix by retrying.
            AdminError::Forbidden { .. } | AdminError::Internal(_) => Exit::Failure,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use idp_core::admin::ObjectKind;

    #[test]
    fn help_lists_every_status_once() {
        for exit in [
            Exit::Success,
            Exit::Failure,
            Exit::Usage,
            Exit::NotFound,
            Exit::Conflict,
            Exit::Unavailable,
        ] {
            let line = format!("\n  {}  ", exit.code());
            assert_eq!(HELP.matches(&line).count(), 1, "{exit:?}");
        }
    }

    #[test]
    fn admin_errors_map_by_kind() {
        let cases = [
            (
                AdminError::not_found(ObjectKind::Tenant, "acme"),
                Exit::NotFound,
            ),
            (AdminError::invalid("slug", "bad"), Exit::Usage),
            (AdminError::conflict("user 'a@b.c'"), Exit::Conflict),
            (
                AdminError::WrongState {
                    what: "tenant 'acme' is active".into(),
                },
                Exit::Conflict,
            ),
            (
                AdminError::LimitExceeded {
                    limit: idp_core::tier::Limit::Users,
                    allowed: 3,
                    usage: 3,
                },
                Exit::Conflict,
            ),
            (AdminError::Unavailable("gone".into()), Exit::Unavailable),
            (
                AdminError::Forbidden {
                    reason: "read-only".into(),
                },
                Exit::Failure,
            ),
            (AdminError::Internal("rng".into()), Exit::Failure),
        ];
        for (error, want) in cases {
            assert_eq!(status(&CliError::Admin(error)), want);
        }
    }
}
