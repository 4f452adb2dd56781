//! The attempt limit on user-code entry (RFC 8628 §5.1): wrong codes are
//! counted per key (the server passes the client IP and the browser), and a
//! key with too many recent failures is turned away until its window ends.
//! Held in memory: a restart forgets it, which costs an attacker a restart.

use crate::clock::UnixTime;
use std::collections::HashMap;
use std::sync::Mutex;

/// Failures allowed per key and window.
const MAX_FAILURES: u32 = 5;
/// Window length, seconds.
const WINDOW: i64 = 15 * 60;
/// Keys kept before expired windows are swept.
const SWEEP_AT: usize = 10_000;

#[derive(Clone, Copy)]
struct Window {
    start: UnixTime,
    failures: u32,
}

/// Counts failed user-code entries.
#[derive(Default)]
pub struct AttemptGuard {
    windows: Mutex<HashMap<String, Window>>,
}

impl AttemptGuard {
    /// `Err(seconds to wait)` if any key is over its limit.
    pub fn check(&self, keys: &[String], now: UnixTime) -> Result<(), i64> {
        let Ok(map) = self.windows.lock() else {
            return Ok(());
        };
        let wait = keys
            .iter()
            .filter_map(|k| map.get(k))
            .filter(|w| w.start + WINDOW > now && w.failures >= MAX_FAILURES)
            .map(|w| w.start + WINDOW - now)
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Records a failure against every key.
    pub fn fail(&self, keys: &[String], now: UnixTime) {
        let Ok(mut map) = self.windows.lock() else {
            return;
        };
        if map.len() >= SWEEP_AT {
            map.retain(|_, w| w.start + WINDOW > now);
        }
        for k in keys {
            let w = map.entry(k.clone()).or_insert(Window {
                start: now,
                failures: 0,
            });
            if w.start + WINDOW <= now {
                *w = Window {
                    start: now,
                    failures: 0,
                };
            }
            w.failures += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let g = AttemptGuard::default();
        let keys = vec!["ip:1".to_owned(), "browser:a".to_owned()];
        for _ in 0..MAX_FAILURES {
            assert!(g.check(&keys, 100).is_ok());
            g.fail(&keys, 100);
        }
        assert_eq!(g.check(&keys, 100), Err(WINDOW));
        assert_eq!(g.check(&["ip:1".to_owned()], 160), Err(WINDOW - 60));
        assert!(g.check(&["ip:2".to_owned()], 100).is_ok());
        assert!(g.check(&keys, 100 + WINDOW).is_ok());
    }
}
