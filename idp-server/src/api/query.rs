//! Query parameters: `limit` and `cursor` of every list, and the filters
//! some lists take. An unknown parameter is refused (422) rather than
//! ignored, so a misspelt filter never silently returns everything.

use super::problem::Problem;
use idp_core::admin::{FieldError, PageRequest};
use std::collections::HashMap;

/// The query string's parameters, each taken once.
pub struct Query {
    pairs: HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl Query {
    /// Parses `query` (`None`: no query string). A repeated parameter is refused.
    pub fn parse(query: Option<&str>) -> Self {
        let mut pairs = HashMap::new();
        let mut errors = Vec::new();
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            if pairs.insert(k.to_string(), v.to_string()).is_some() {
                errors.push(FieldError {
                    field: k.to_string(),
                    reason: "is given more than once".into(),
                });
            }
        }
        Self { pairs, errors }
    }

    /// The parameter `name`, if given (and not empty).
    pub fn take(&mut self, name: &str) -> Option<String> {
        self.pairs.remove(name).filter(|v| !v.is_empty())
    }

    /// Records an invalid parameter.
    pub fn invalid(&mut self, name: &str, reason: impl Into<String>) {
        self.errors.push(FieldError {
            field: name.to_owned(),
            reason: reason.into(),
        });
    }

    /// `limit` and `cursor`.
    pub fn page(&mut self) -> PageRequest {
        let limit = self.take("limit").and_then(|l| match l.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.invalid("limit", "must be a whole number");
                None
            }
        });
        PageRequest {
            cursor: self.take("cursor"),
            limit,
        }
    }

    /// Done: any parameter not taken is unknown; `Err` (422) if any was
    /// invalid or unknown.
    pub fn finish(mut self) -> Result<(), Problem> {
        let mut unknown: Vec<String> = self.pairs.keys().cloned().collect();
        unknown.sort();
        for name in unknown {
            self.invalid(&name, "is not a parameter of this operation");
        }
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::invalid(self.errors))
        }
    }
}
