//! # conformance
//!
//! A relying party that checks an OpenID Provider against the OpenID
//! Foundation's OP test plans, module by module, with the suite's module ids
//! and pass rules (see `shared/oidf-op-test-plans.md` in the project).
//!
//! Plans: Config OP (`oidcc-discovery-endpoint-verification`), Basic OP
//! (35 modules for static clients) and Form Post OP (the same modules with
//! `response_mode=form_post`). Each module is built from the relying-party
//! parts in [`rp`] and graded with the suite's condition names.

pub mod modules;
pub mod report;
pub mod rp;

pub use report::{Outcome, Report, Status};
pub use rp::target::{StaticClient, Target, TestUser};

/// An OpenID Foundation OP test plan this runner reproduces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    /// `oidcc-config-certification-test-plan`: discovery and keys.
    Config,
    /// `oidcc-basic-certification-test-plan`: the code flow.
    Basic,
    /// `oidcc-formpost-basic-certification-test-plan`: the Basic modules
    /// with `response_mode=form_post`.
    FormPost,
    /// `oidcc-dynamic-certification-test-plan` (response type `code`).
    Dynamic,
    /// `oidcc-rp-initiated-logout-certification-test-plan`.
    RpInitiatedLogout,
    /// `oidcc-frontchannel-rp-initiated-logout-certification-test-plan`.
    FrontChannelLogout,
    /// `oidcc-backchannel-rp-initiated-logout-certification-test-plan`.
    BackChannelLogout,
}

impl Plan {
    /// Every plan, in the order they run.
    pub const ALL: [Plan; 7] = [
        Plan::Config,
        Plan::Basic,
        Plan::FormPost,
        Plan::Dynamic,
        Plan::RpInitiatedLogout,
        Plan::FrontChannelLogout,
        Plan::BackChannelLogout,
    ];

    /// The suite's plan id.
    pub fn id(self) -> &'static str {
        match self {
            Plan::Config => "oidcc-config-certification-test-plan",
            Plan::Basic => "oidcc-basic-certification-test-plan",
            Plan::FormPost => "oidcc-formpost-basic-certification-test-plan",
            Plan::Dynamic => "oidcc-dynamic-certification-test-plan",
            Plan::RpInitiatedLogout => "oidcc-rp-initiated-logout-certification-test-plan",
            Plan::FrontChannelLogout => {
                "oidcc-frontchannel-rp-initiated-logout-certification-test-plan"
            }
            Plan::BackChannelLogout => {
                "oidcc-backchannel-rp-initiated-logout-certification-test-plan"
            }
        }
    }

    /// Parses a plan id or a short name (`config`, `basic`, `formpost`,
    /// `dynamic`, `rp-initiated-logout`, `frontchannel-rp-initiated-logout`,
    /// `backchannel-rp-initiated-logout`).
    pub fn parse(s: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| {
            p.id() == s
                || p.id()
                    .trim_start_matches("oidcc-")
                    .starts_with(&format!("{s}-"))
        })
    }

    /// The plan's module ids.
    pub fn modules(self) -> Vec<&'static str> {
        match self {
            Plan::Config => vec!["oidcc-discovery-endpoint-verification"],
            Plan::Basic | Plan::FormPost => modules::basic::MODULES.to_vec(),
            Plan::Dynamic => modules::dynamic::MODULES.to_vec(),
            Plan::RpInitiatedLogout => modules::logout::MODULES.to_vec(),
            Plan::FrontChannelLogout => modules::channel_logout::FRONT_MODULES.to_vec(),
            Plan::BackChannelLogout => modules::channel_logout::BACK_MODULES.to_vec(),
        }
    }
}

/// Runs module `id` of `plan` against `target`; `root` is an extra trusted CA.
pub async fn run_module(
    plan: Plan,
    id: &'static str,
    target: &Target,
    root: Option<reqwest::Certificate>,
) -> Report {
    let mut report = run_module_inner(plan, id, target, root).await;
    report.plan = plan.id();
    report
}

async fn run_module_inner(
    plan: Plan,
    id: &'static str,
    target: &Target,
    root: Option<reqwest::Certificate>,
) -> Report {
    if plan == Plan::Config {
        let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        if let Some(r) = &root {
            builder = builder.add_root_certificate(r.clone());
        }
        return match builder.build() {
            Ok(http) => modules::discovery::run(&http, &target.issuer).await,
            Err(e) => Report::skipped(id, &format!("no HTTP client: {e}")),
        };
    }
    match rp::op::Op::discover(target.clone(), root).await {
        Ok(op) if plan == Plan::RpInitiatedLogout => modules::logout::run(id, &op).await,
        Ok(mut op)
            if matches!(
                plan,
                Plan::Dynamic | Plan::FrontChannelLogout | Plan::BackChannelLogout
            ) =>
        {
            if let Some((bind, public)) = &target.rp_host {
                match shared_host(bind, public.clone()).await {
                    Ok(h) => op.host = Some(h),
                    Err(e) => return Report::skipped(id, &format!("cannot listen on {bind}: {e}")),
                }
            }
            if plan == Plan::Dynamic {
                modules::dynamic::run(id, &op).await
            } else {
                modules::channel_logout::run(id, &op).await
            }
        }
        Ok(mut op) => {
            if plan == Plan::FormPost {
                op.response_mode = Some("form_post");
                if !op.supports("response_modes_supported", "form_post") {
                    return Report::skipped(id, "response_modes_supported does not list form_post");
                }
            }
            modules::basic::run(id, &op).await
        }
        Err(e) => Report {
            plan: "",
            module: id,
            outcomes: vec![Outcome {
                check: "GetDynamicServerConfiguration",
                status: Status::Fail,
                detail: e,
            }],
        },
    }
}

/// The RP's document host: one per process for a fixed address (modules
/// run concurrently share it), a fresh one for port 0.
async fn shared_host(
    bind: &str,
    public: Option<String>,
) -> std::io::Result<std::sync::Arc<rp::host::Host>> {
    static HOST: tokio::sync::OnceCell<std::sync::Arc<rp::host::Host>> =
        tokio::sync::OnceCell::const_new();
    if bind.ends_with(":0") {
        return Ok(std::sync::Arc::new(
            rp::host::Host::start(bind, public).await?,
        ));
    }
    HOST.get_or_try_init(|| async {
        rp::host::Host::start(bind, public)
            .await
            .map(std::sync::Arc::new)
    })
    .await
    .cloned()
}

/// Runs the modules `runs` (plan, module) concurrently, each with its own
/// browser; reports in the order of `runs`.
pub async fn run_modules(
    runs: &[(Plan, &'static str)],
    target: &Target,
    root: Option<reqwest::Certificate>,
) -> Vec<Report> {
    let mut set = tokio::task::JoinSet::new();
    for (i, (plan, id)) in runs.iter().copied().enumerate() {
        let (target, root) = (target.clone(), root.clone());
        set.spawn(async move { (i, run_module(plan, id, &target, root).await) });
    }
    let mut reports: Vec<(usize, Report)> = Vec::with_capacity(runs.len());
    while let Some(done) = set.join_next().await {
        match done {
            Ok(r) => reports.push(r),
            Err(e) => reports.push((
                usize::MAX,
                Report::skipped("runner", &format!("a module panicked: {e}")),
            )),
        }
    }
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// Every (plan, module) pair.
pub fn all_runs() -> Vec<(Plan, &'static str)> {
    Plan::ALL
        .into_iter()
        .flat_map(|p| p.modules().into_iter().map(move |m| (p, m)))
        .collect()
}
