//! The standard Prometheus process metrics (`process_*`, as the official
//! client libraries name them), read from `/proc/self` at scrape time on
//! Linux and written as text after the recorder's output. Elsewhere there
//! is no `/proc`, and they are simply absent.

use std::fmt::Write;

/// Linux reports CPU times in `/proc/self/stat` in USER_HZ, which the kernel
/// fixes at 100 for user space on every architecture we build for.
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of the process's figures. A field is `None` when its source
/// could not be read or parsed; that metric is then left out.
#[derive(Debug, Default, PartialEq)]
pub struct ProcessFigures {
    /// VmRSS, bytes.
    pub resident_bytes: Option<u64>,
    /// VmSize, bytes.
    pub virtual_bytes: Option<u64>,
    /// utime + stime, seconds.
    pub cpu_seconds: Option<f64>,
    /// Entries of `/proc/self/fd`.
    pub open_fds: Option<u64>,
    /// Soft limit on open files.
    pub max_fds: Option<u64>,
    /// Start time, seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

impl ProcessFigures {
    /// Reads `/proc/self` (Linux only; all `None` elsewhere).
    pub fn read() -> Self {
        if !cfg!(target_os = "linux") {
            return Self::default();
        }
        let text = |p: &str| std::fs::read_to_string(p).ok();
        let status = text("/proc/self/status");
        let stat = text("/proc/self/stat").and_then(|s| parse_stat(&s));
        let boot_time = text("/proc/stat").and_then(|s| parse_boot_time(&s));
        Self {
            resident_bytes: status.as_deref().and_then(|s| status_kib(s, "VmRSS:")),
            virtual_bytes: status.as_deref().and_then(|s| status_kib(s, "VmSize:")),
            cpu_seconds: stat.map(|s| (s.utime + s.stime) as f64 / TICKS_PER_SECOND),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as u64),
            max_fds: text("/proc/self/limits").and_then(|s| parse_max_open_files(&s)),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(s, boot)| boot as f64 + s.start_ticks as f64 / TICKS_PER_SECOND),
        }
    }

    /// Appends the figures in the Prometheus text format.
    pub fn write_to(&self, out: &mut String) {
        let mut metric = |name: &str, kind: &str, help: &str, value: Option<f64>| {
            if let Some(v) = value {
                let _ = write!(
                    out,
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n\n"
                );
            }
        };
        metric(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
            self.resident_bytes.map(|v| v as f64),
        );
        metric(
            "process_virtual_memory_bytes",
            "gauge",
            "Virtual memory size in bytes.",
            self.virtual_bytes.map(|v| v as f64),
        );
        metric(
            "process_cpu_seconds_total",
            "counter",
            "Total user and system CPU time spent in seconds.",
            self.cpu_seconds,
        );
        metric(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
            self.open_fds.map(|v| v as f64),
        );
        metric(
            "process_max_fds",
            "gauge",
            "Maximum number of open file descriptors.",
            self.max_fds.map(|v| v as f64),
        );
        metric(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since unix epoch in seconds.",
            self.start_time_seconds,
        );
    }
}

/// The fields of `/proc/self/stat` we use (proc(5)).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
}

/// Parses `/proc/self/stat`. The command name (field 2) is in parentheses
/// and may hold spaces or `)`, so fields are counted after the last `)`:
/// state is field 3, utime 14, stime 15, starttime 22.
fn parse_stat(s: &str) -> Option<Stat> {
    let after = &s[s.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse().ok();
    Some(Stat {
        utime: field(14)?,
        stime: field(15)?,
        start_ticks: field(22)?,
    })
}

/// `btime` of `/proc/stat`: boot time, seconds since the epoch.
fn parse_boot_time(s: &str) -> Option<u64> {
    s.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// A `kB` line of `/proc/self/status`, in bytes.
fn status_kib(s: &str, key: &str) -> Option<u64> {
    let value = s.lines().find_map(|l| l.strip_prefix(key))?;
    let kib: u64 = value.split_whitespace().next()?.parse().ok()?;
    Some(kib * 1024)
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn parse_max_open_files(s: &str) -> Option<u64> {
    let line = s.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_a_tricky_command_name() {
        let stat = "4242 (idp (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 \
                    9 0 123456 1000000 500 18446744073709551615";
        assert_eq!(
            parse_stat(stat),
            Some(Stat {
                utime: 250,
                stime: 50,
                start_ticks: 123456
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn parses_status_limits_and_boot_time() {
        let status = "Name:\tidp-server\nVmSize:\t  123456 kB\nVmRSS:\t    8000 kB\n";
        assert_eq!(status_kib(status, "VmRSS:"), Some(8000 * 1024));
        assert_eq!(status_kib(status, "VmSize:"), Some(123456 * 1024));
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_max_open_files(limits), Some(1024));
        assert_eq!(
            parse_boot_time("cpu 1 2\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
    }

    #[test]
    fn writes_only_what_was_read() {
        let mut out = String::new();
        ProcessFigures {
            open_fds: Some(7),
            ..ProcessFigures::default()
        }
        .write_to(&mut out);
        assert_eq!(
            out,
            "# HELP process_open_fds Number of open file descriptors.\n\
             # TYPE process_open_fds gauge\nprocess_open_fds 7\n\n"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn reads_this_process() {
        let f = ProcessFigures::read();
        assert!(f.resident_bytes.is_some_and(|b| b > 0), "{f:?}");
        assert!(f.open_fds.is_some_and(|n| n >= 3), "{f:?}");
        assert!(f.start_time_seconds.is_some_and(|s| s > 1.5e9), "{f:?}");
        assert!(f.max_fds.is_some() && f.cpu_seconds.is_some(), "{f:?}");
    }
}
