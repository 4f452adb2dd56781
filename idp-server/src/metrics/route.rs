//! The bounded labels of `sso_http_request_duration_seconds`: which route
//! template a request matched, its method and its status class.
//!
//! A label never carries what the client sent: paths become one of the
//! templates below (the tenant slug, interaction id and client id are
//! replaced by placeholders), anything unknown — including every 404 — is
//! `other`, and methods outside the usual six are `other`. The number of
//! series is therefore at most routes × 7 × 5, whatever the traffic.

use idp_core::endpoint::{Endpoint, Located};
use metrics::Histogram;
use std::sync::OnceLock;

/// A route template: the platform endpoints, and one per endpoint of the
/// tenant endpoint table (`idp_core::endpoint`), whose templates are the labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// `GET /health`.
    Health,
    /// `GET /health/live`.
    HealthLive,
    /// `GET /health/ready`.
    HealthReady,
    /// `GET /metrics`.
    Metrics,
    /// A tenant's endpoint.
    Tenant(Endpoint),
    /// Anything else, and every 404.
    Other,
}

/// The platform routes before the tenant ones.
const PLATFORM: [Route; 4] = [
    Route::Health,
    Route::HealthLive,
    Route::HealthReady,
    Route::Metrics,
];

impl Route {
    /// How many templates there are.
    pub const COUNT: usize = PLATFORM.len() + Endpoint::ALL.len() + 1;

    /// Every template, in label order.
    pub const ALL: [Route; Self::COUNT] = {
        let mut all = [Route::Other; Self::COUNT];
        let mut i = 0;
        while i < PLATFORM.len() {
            all[i] = PLATFORM[i];
            i += 1;
        }
        let mut j = 0;
        while j < Endpoint::ALL.len() {
            all[PLATFORM.len() + j] = Route::Tenant(Endpoint::ALL[j]);
            j += 1;
        }
        all
    };

    /// The position of this route in [`Route::ALL`].
    pub fn index(self) -> usize {
        match self {
            Self::Health => 0,
            Self::HealthLive => 1,
            Self::HealthReady => 2,
            Self::Metrics => 3,
            Self::Tenant(e) => PLATFORM.len() + e as usize,
            Self::Other => Self::COUNT - 1,
        }
    }

    /// The `route` label (and log field) value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Health => "/health",
            Self::HealthLive => "/health/live",
            Self::HealthReady => "/health/ready",
            Self::Metrics => "/metrics",
            Self::Tenant(e) => e.template(),
            Self::Other => "other",
        }
    }

    /// The template `path` matches and the tenant slug in it, by the
    /// endpoint table (platform endpoints at the root, tenant endpoints
    /// under BASE_URL's path `base_path`). The slug is for logs only,
    /// never for a label.
    pub fn classify<'a>(base_path: &str, path: &'a str) -> (Route, Option<&'a str>) {
        match path {
            "/health" => (Self::Health, None),
            "/health/live" => (Self::HealthLive, None),
            "/health/ready" => (Self::HealthReady, None),
            "/metrics" => (Self::Metrics, None),
            _ => match Located::parse(base_path, path) {
                Some(l) => (Self::Tenant(l.endpoint), Some(l.slug)),
                None => (Self::Other, None),
            },
        }
    }
}

/// The `method` label: the six methods this server's endpoints use, or `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodLabel {
    /// GET.
    Get,
    /// POST.
    Post,
    /// HEAD.
    Head,
    /// OPTIONS.
    Options,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
    /// Any other method, including extension methods a client made up.
    Other,
}

impl MethodLabel {
    const COUNT: usize = 7;

    /// Classifies a request method.
    pub fn of(method: &http::Method) -> Self {
        match *method {
            http::Method::GET => Self::Get,
            http::Method::POST => Self::Post,
            http::Method::HEAD => Self::Head,
            http::Method::OPTIONS => Self::Options,
            http::Method::PUT => Self::Put,
            http::Method::DELETE => Self::Delete,
            _ => Self::Other,
        }
    }

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Head => "HEAD",
            Self::Options => "OPTIONS",
            Self::Put => "PUT",
            Self::Delete => "DELETE",
            Self::Other => "other",
        }
    }
}

/// The `status` label values, by class.
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// The index in [`STATUS_CLASSES`] of a response status (anything above
/// 599, which `http` allows, counts as a server error).
fn status_class_index(status: http::StatusCode) -> usize {
    usize::from(status.as_u16() / 100).clamp(1, 5) - 1
}

/// The `status` label: the class of the response status.
pub fn status_class(status: http::StatusCode) -> &'static str {
    STATUS_CLASSES[status_class_index(status)]
}

/// Histogram handles, one per (route, method, status class), registered on
/// first use: afterwards a request records its latency without building a
/// key, hashing labels or allocating.
static HANDLES: [OnceLock<Histogram>; SERIES] = [const { OnceLock::new() }; SERIES];

/// The most series the histogram can have.
const SERIES: usize = Route::ALL.len() * MethodLabel::COUNT * STATUS_CLASSES.len();

/// Where the handle of (route, method, status class) lives in [`HANDLES`].
fn slot_index(route: Route, method: MethodLabel, class: usize) -> usize {
    (route.index() * MethodLabel::COUNT + method as usize) * STATUS_CLASSES.len() + class
}

/// Records one request's latency in `sso_http_request_duration_seconds`.
/// A 404 counts as `other`, whatever path it was for.
pub fn observe(route: Route, method: MethodLabel, status: http::StatusCode, seconds: f64) {
    if !super::installed() {
        return;
    }
    let route = if status == http::StatusCode::NOT_FOUND {
        Route::Other
    } else {
        route
    };
    let class = status_class_index(status);
    let Some(slot) = HANDLES.get(slot_index(route, method, class)) else {
        return;
    };
    slot.get_or_init(|| {
        metrics::histogram!(super::HTTP_REQUEST_DURATION,
            "route" => route.as_str(), "method" => method.as_str(), "status" => STATUS_CLASSES[class])
    })
    .record(seconds);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_every_endpoint_to_its_template() {
        for (path, route) in [
            ("/health", Route::Health),
            ("/health/ready", Route::HealthReady),
            ("/metrics", Route::Metrics),
            ("/t/acme/token", Route::Tenant(Endpoint::Token)),
            ("/t/acme/authorize", Route::Tenant(Endpoint::Authorize)),
            (
                "/t/acme/.well-known/openid-configuration",
                Route::Tenant(Endpoint::Discovery),
            ),
            (
                "/.well-known/oauth-authorization-server/t/acme",
                Route::Tenant(Endpoint::AuthorizationServerMetadata),
            ),
            (
                "/t/acme/register/c-123",
                Route::Tenant(Endpoint::RegistrationManagement),
            ),
            (
                "/t/acme/interaction/SECRET",
                Route::Tenant(Endpoint::Interaction),
            ),
            (
                "/t/acme/interaction/SECRET/login",
                Route::Tenant(Endpoint::InteractionLogin),
            ),
            (
                "/t/acme/interaction/SECRET/consent",
                Route::Tenant(Endpoint::InteractionConsent),
            ),
            (
                "/t/acme/device/decision",
                Route::Tenant(Endpoint::DeviceDecision),
            ),
            (
                "/t/acme/logout/confirm",
                Route::Tenant(Endpoint::LogoutConfirm),
            ),
        ] {
            assert_eq!(
                Route::classify("", path),
                (route, route_slug(route)),
                "{path}"
            );
        }
    }

    fn route_slug(route: Route) -> Option<&'static str> {
        match route {
            Route::Health | Route::HealthLive | Route::HealthReady | Route::Metrics => None,
            _ => Some("acme"),
        }
    }

    #[test]
    fn unknown_paths_are_other() {
        for path in [
            "/",
            "/t/acme",
            "/t/acme/nope",
            "/t/acme/interaction/",
            "/t/acme/interaction/x/evil",
            "/random/Zq81",
            "/idp/t/acme/token",
        ] {
            assert_eq!(Route::classify("", path).0, Route::Other, "{path}");
        }
    }

    #[test]
    fn honours_the_base_path() {
        assert_eq!(
            Route::classify("/idp", "/idp/t/acme/token"),
            (Route::Tenant(Endpoint::Token), Some("acme"))
        );
        assert_eq!(Route::classify("/idp", "/t/acme/token").0, Route::Other);
        assert_eq!(Route::classify("/idp", "/health").0, Route::Health);
    }

    #[test]
    fn templates_carry_no_request_data_and_are_distinct() {
        let labels: Vec<&str> = Route::ALL.iter().map(|r| r.as_str()).collect();
        for (i, l) in labels.iter().enumerate() {
            assert!(!labels[i + 1..].contains(l), "{l} repeated");
            assert!(!l.contains("acme"));
        }
        for (i, r) in Route::ALL.iter().enumerate() {
            assert_eq!(r.index(), i, "{r:?}");
        }
        assert_eq!(
            labels.len(),
            36,
            "the labels of before the endpoint table, /par, the account page's six and upstream login's four"
        );
    }

    #[test]
    fn methods_and_statuses_fall_into_fixed_classes() {
        let custom = http::Method::from_bytes(b"BREW").unwrap_or(http::Method::GET);
        assert_eq!(MethodLabel::of(&custom), MethodLabel::Other);
        assert_eq!(MethodLabel::of(&http::Method::POST).as_str(), "POST");
        assert_eq!(status_class(http::StatusCode::SEE_OTHER), "3xx");
        assert_eq!(status_class(http::StatusCode::TOO_MANY_REQUESTS), "4xx");
        assert_eq!(status_class(http::StatusCode::SERVICE_UNAVAILABLE), "5xx");
        assert_eq!(status_class(http::StatusCode::CONTINUE), "1xx");
        let odd = http::StatusCode::from_u16(999).unwrap_or(http::StatusCode::OK);
        assert_eq!(status_class(odd), "5xx");
    }

    #[test]
    fn every_label_set_has_its_own_handle() {
        let methods = [
            MethodLabel::Get,
            MethodLabel::Post,
            MethodLabel::Head,
            MethodLabel::Options,
            MethodLabel::Put,
            MethodLabel::Delete,
            MethodLabel::Other,
        ];
        let mut seen = std::collections::HashSet::new();
        for route in Route::ALL {
            for method in methods {
                for class in 0..STATUS_CLASSES.len() {
                    let i = slot_index(route, method, class);
                    assert!(i < SERIES && seen.insert(i), "{route:?} {method:?} {class}");
                }
            }
        }
        assert_eq!(seen.len(), SERIES);
    }
}
