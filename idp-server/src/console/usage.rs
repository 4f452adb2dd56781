//! An organisation's usage (users, clients, API keys against its tier's
//! limits) as the console shows it. Counting every user of a large
//! organisation takes tens of milliseconds (1M users: about 35 ms on
//! SQLite, BENCHMARKS.md), more than a whole page may, so each process
//! keeps an organisation's answer for a minute. A change the console makes
//! in an organisation forgets its entry at once ([`Console::send`]); a
//! change made elsewhere (the API, the CLI, another instance) shows within
//! the minute. Only an operator who may see the organisation reads the
//! entry; at most [`MAX_ENTRIES`] are kept.

use super::Console;
use super::api::{Refused, encode};
use crate::backend::Backend;
use http::StatusCode;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an organisation's counts are shown without counting again.
const FRESH: Duration = Duration::from_secs(60);
/// Organisations remembered at most (all are forgotten beyond).
const MAX_ENTRIES: usize = 1024;

/// The counts each organisation had, and when they were read.
#[derive(Default)]
pub struct UsageCache {
    entries: Mutex<HashMap<String, (Instant, Value)>>,
}

impl UsageCache {
    fn fresh(&self, slug: &str) -> Option<Value> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(slug)
            .filter(|(at, _)| at.elapsed() < FRESH)
            .map(|(_, v)| v.clone())
    }

    fn keep(&self, slug: &str, usage: &Value) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(slug.to_owned(), (Instant::now(), usage.clone()));
        }
    }

    /// Forgets the organisation `slug`'s counts (it just changed).
    pub(crate) fn forget(&self, slug: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(slug);
        }
    }
}

impl<S: Backend> Console<'_, S> {
    /// `GET /api/v1/tenants/{slug}/usage`, or its answer of the last
    /// minute.
    pub(crate) async fn usage(&self, slug: &str) -> Result<Value, Refused> {
        if !self.may_read(slug) {
            return Err(Refused {
                status: StatusCode::NOT_FOUND,
                detail: "no such tenant".to_owned(),
                fields: Vec::new(),
            });
        }
        let cache = &self.app.console_usage;
        if let Some(usage) = cache.fresh(slug) {
            return Ok(usage);
        }
        let usage = self
            .get(&format!("/api/v1/tenants/{}/usage", encode(slug)))
            .await?;
        cache.keep(slug, &usage);
        Ok(usage)
    }
}
