//! Results: one [`Report`] per module, made of the outcomes of its checks.

use serde::Serialize;

/// The result of one check or module, as the suite grades them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    /// The rule holds.
    Pass,
    /// Not applicable here, with a reason.
    Skipped,
    /// Allowed, but the suite warns.
    Warning,
    /// The rule is broken.
    Fail,
}

/// One check inside a module.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// The suite's condition class name.
    pub check: &'static str,
    /// Result.
    pub status: Status,
    /// Why, when not a pass.
    pub detail: String,
}

/// One module's result.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The suite's test plan id.
    pub plan: &'static str,
    /// The suite's module id.
    pub module: &'static str,
    /// Every check run.
    pub outcomes: Vec<Outcome>,
}

impl Report {
    /// A module not run, with the reason the suite would also accept.
    pub fn skipped(module: &'static str, reason: &str) -> Self {
        Self {
            plan: "",
            module,
            outcomes: vec![Outcome {
                check: "Skipped",
                status: Status::Skipped,
                detail: reason.to_owned(),
            }],
        }
    }

    /// The module's status: its worst check.
    pub fn status(&self) -> Status {
        self.outcomes
            .iter()
            .map(|o| o.status)
            .max()
            .unwrap_or(Status::Skipped)
    }

    /// The first reason for the module's status, if it is not a pass.
    pub fn reason(&self) -> Option<String> {
        let worst = self.status();
        self.outcomes
            .iter()
            .find(|o| o.status == worst && worst != Status::Pass)
            .map(|o| format!("{}: {}", o.check, o.detail))
    }
}

/// Collects the outcomes of a module's checks.
#[derive(Default)]
pub struct Checks(pub Vec<Outcome>);

impl Checks {
    /// Records a check that passes when `ok`, else has `failure` status.
    pub fn check(
        &mut self,
        check: &'static str,
        ok: bool,
        failure: Status,
        detail: impl Into<String>,
    ) {
        let status = if ok { Status::Pass } else { failure };
        let detail = if ok { String::new() } else { detail.into() };
        self.0.push(Outcome {
            check,
            status,
            detail,
        });
    }
}
