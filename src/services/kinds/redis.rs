//! Redis: a run's namespace is a logical database of its own (1–15; 0 is left to the learner's
//! own experiments), flushed before and after the run.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use super::{RunSpace, ServiceKind, binary, redact};
use crate::course::Service;
use crate::services::{ServicesError, resp};

/// The oldest Redis the course runs on: its exercises use `EXPIRE … NX` (Redis 7.0).
pub const MIN_REDIS: (u32, u32) = (7, 0);

/// The logical databases free for runs of this process.
static FREE_DBS: LazyLock<Mutex<BTreeSet<u8>>> = LazyLock::new(|| Mutex::new((1..=15).collect()));

pub struct Redis;

impl ServiceKind for Redis {
    fn service(&self) -> Service {
        Service::Redis
    }
    fn title(&self) -> &'static str {
        "Redis"
    }
    fn example_url(&self) -> &'static str {
        "redis://127.0.0.1:6379"
    }
    fn image_var(&self) -> &'static str {
        "BACKLINGS_REDIS_IMAGE"
    }
    fn default_image(&self) -> &'static str {
        "redis:7-alpine"
    }
    fn container_port(&self) -> u16 {
        6379
    }
    fn admin_url(&self, port: u16) -> String {
        format!("redis://127.0.0.1:{port}")
    }
    fn binary_var(&self) -> &'static str {
        "BACKLINGS_REDIS_SERVER"
    }
    fn package(&self) -> &'static str {
        "redis-server"
    }
    fn local_binary(&self) -> Option<PathBuf> {
        binary(self.binary_var(), "redis-server")
    }
    fn local_command(
        &self,
        bin: &Path,
        run_dir: &Path,
        port: u16,
    ) -> Result<Command, ServicesError> {
        let mut cmd = Command::new(bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "no",
        ])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(run_dir);
        Ok(cmd)
    }
    fn process_name(&self) -> &'static str {
        "redis-server"
    }

    fn wait_ready(&self, url: &str, timeout: Duration) -> Result<(), ServicesError> {
        let deadline = Instant::now() + timeout;
        loop {
            let attempt = resp::Connection::open(url, Duration::from_secs(2)).and_then(|mut c| {
                c.command(&["PING"])
                    .and_then(|_| c.command(&["INFO", "server"]))
            });
            match attempt {
                Ok(info) => return check_version(url, &info),
                Err(e) if Instant::now() >= deadline => {
                    return Err(ServicesError::Unreachable(format!(
                        "Redis at {} did not answer within {timeout:?}: {e}",
                        redact(url)
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    fn start_timeout(&self) -> Duration {
        Duration::from_secs(15)
    }

    fn lease(&self, admin_url: &str, _run: &str) -> Result<RunSpace, ServicesError> {
        let db = FREE_DBS
            .lock()
            .ok()
            .and_then(|mut free| free.pop_first())
            .ok_or_else(|| {
                ServicesError::Unavailable("all 15 Redis databases are in use by other runs".into())
            })?;
        let url = with_db(admin_url, db);
        let give_back = move || {
            if let Ok(mut free) = FREE_DBS.lock() {
                free.insert(db);
            }
        };
        if let Err(e) = flush(&url) {
            give_back();
            return Err(e);
        }
        let env = vec![(Service::Redis.env_var().to_owned(), url.clone())];
        Ok(RunSpace::new(env, move || {
            let _ = flush(&url);
            give_back();
        }))
    }
}

/// Refuses a server older than MIN_REDIS, from its `INFO server` text, with what is needed.
fn check_version(url: &str, info: &str) -> Result<(), ServicesError> {
    let Some(version) = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(str::trim)
    else {
        // Not Redis itself (a compatible server that does not say): let the tests decide.
        return Ok(());
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found >= MIN_REDIS {
        return Ok(());
    }
    Err(ServicesError::Unavailable(format!(
        "Redis at {} is version {version}; the course needs Redis {}.{} or newer (its exercises use EXPIRE … NX). Install a newer redis-server, or use the container provider (`--services container`)",
        redact(url),
        MIN_REDIS.0,
        MIN_REDIS.1
    )))
}

/// `redis://host:port[/n]` → `redis://host:port/<db>`.
fn with_db(url: &str, db: u8) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let base = match url[scheme_end..].find('/') {
        Some(slash) => &url[..scheme_end + slash],
        None => url,
    };
    format!("{base}/{db}")
}

fn flush(url: &str) -> Result<(), ServicesError> {
    let mut conn = resp::Connection::open(url, Duration::from_secs(3))
        .map_err(|e| ServicesError::Unreachable(format!("Redis at {}: {e}", redact(url))))?;
    conn.command(&["FLUSHDB"]).map(|_| ()).map_err(|e| {
        ServicesError::Unreachable(format!("Redis at {}: FLUSHDB failed: {e}", redact(url)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_rewritten() {
        assert_eq!(with_db("redis://h:6379", 3), "redis://h:6379/3");
        assert_eq!(with_db("redis://h:6379/0", 3), "redis://h:6379/3");
    }

    #[test]
    fn redis_older_than_7_is_refused_with_what_is_needed() {
        let info = |v: &str| format!("# Server\r\nredis_version:{v}\r\nredis_mode:standalone\r\n");
        assert!(check_version("redis://h:1", &info("7.0.15")).is_ok());
        assert!(check_version("redis://h:1", &info("7.2.4")).is_ok());
        let err = check_version("redis://h:1", &info("6.2.14"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("6.2.14") && err.contains("7.0 or newer"),
            "{err}"
        );
        assert!(check_version("redis://h:1", "# Server\r\n").is_ok());
    }
}
