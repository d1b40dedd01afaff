//! NATS with JetStream: a run's namespace is a prefix. NATS has no cheap per-run database: a
//! server of ours could have an account per run, but a learner's own server (NATS_URL) could
//! not, so every provider works one way. The run gets BACKLINGS_NATS_PREFIX; the support crate
//! puts every subject, stream and bucket a test uses under it (and under a per-test prefix
//! within it), and when the run ends every stream named after it is deleted (KV buckets and
//! object stores are streams too: `KV_<bucket>`, `OBJ_<bucket>`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{RunSpace, ServiceKind, binary, redact};
use crate::course::Service;
use crate::services::ServicesError;
use crate::services::nats_wire::Connection;

/// The variable naming a run's namespace.
pub const PREFIX_VAR: &str = "BACKLINGS_NATS_PREFIX";
/// The oldest server the course runs on: Debian's is 2.9, and the exercises' client offers only
/// the JetStream settings 2.9 implements (async-nats without its `server_2_10`… features).
pub const MIN_NATS: (u32, u32) = (2, 9);

pub struct Nats;

impl ServiceKind for Nats {
    fn service(&self) -> Service {
        Service::Nats
    }
    fn title(&self) -> &'static str {
        "NATS"
    }
    fn example_url(&self) -> &'static str {
        "nats://127.0.0.1:4222"
    }
    fn image_var(&self) -> &'static str {
        "BACKLINGS_NATS_IMAGE"
    }
    fn default_image(&self) -> &'static str {
        "nats:2.10-alpine"
    }
    fn container_port(&self) -> u16 {
        4222
    }
    fn container_args(&self) -> Option<Vec<String>> {
        // The image's entry point is the server; JetStream is off unless asked for.
        Some(
            ["--jetstream", "--store_dir", "/tmp/nats"]
                .map(str::to_owned)
                .to_vec(),
        )
    }
    fn admin_url(&self, port: u16) -> String {
        format!("nats://127.0.0.1:{port}")
    }
    fn binary_var(&self) -> &'static str {
        "BACKLINGS_NATS_SERVER"
    }
    fn package(&self) -> &'static str {
        "nats-server"
    }
    fn local_binary(&self) -> Option<PathBuf> {
        let debian = PathBuf::from("/usr/sbin/nats-server");
        match binary(self.binary_var(), "nats-server") {
            Some(bin) => Some(bin),
            // Debian installs it in /usr/sbin, which is not on every user's PATH.
            None if std::env::var_os(self.binary_var()).is_none() && debian.is_file() => {
                Some(debian)
            }
            None => None,
        }
    }
    fn local_command(
        &self,
        bin: &Path,
        run_dir: &Path,
        port: u16,
    ) -> Result<Command, ServicesError> {
        let mut cmd = Command::new(bin);
        cmd.args(["--addr", "127.0.0.1", "--port", &port.to_string()])
            .arg("--jetstream")
            .arg("--store_dir")
            .arg(run_dir.join("nats"));
        Ok(cmd)
    }
    fn process_name(&self) -> &'static str {
        "nats-server"
    }

    /// Connected, JetStream on and answering, and a server new enough.
    fn wait_ready(&self, url: &str, timeout: Duration) -> Result<(), ServicesError> {
        let deadline = Instant::now() + timeout;
        loop {
            let attempt = Connection::open(url, Duration::from_secs(2)).and_then(|mut c| {
                if !c.info.jetstream {
                    return Ok(Err(c.info.version.clone()));
                }
                c.js_request("$JS.API.INFO", &serde_json::json!({}))
                    .map(|_| Ok(c.info.version.clone()))
            });
            match attempt {
                Ok(Ok(version)) => return check_version(url, &version),
                Ok(Err(version)) => {
                    return Err(ServicesError::Unavailable(format!(
                        "NATS at {} (version {version}) runs without JetStream, which the exercises need: start it with `nats-server --jetstream`",
                        redact(url)
                    )));
                }
                Err(e) if Instant::now() >= deadline => {
                    return Err(ServicesError::Unreachable(format!(
                        "NATS at {} did not answer within {timeout:?}: {e}",
                        redact(url)
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(25)),
            }
        }
    }
    fn start_timeout(&self) -> Duration {
        Duration::from_secs(15)
    }

    fn lease(&self, admin_url: &str, run: &str) -> Result<RunSpace, ServicesError> {
        let env = vec![
            (Service::Nats.env_var().to_owned(), admin_url.to_owned()),
            (PREFIX_VAR.to_owned(), run.to_owned()),
        ];
        let (url, run) = (admin_url.to_owned(), run.to_owned());
        Ok(RunSpace::new(env, move || {
            let _ = delete_streams_of(&url, &run);
        }))
    }
}

/// Whether a stream belongs to the run `prefix` (its own, a KV bucket's, an object store's).
pub fn belongs_to(stream: &str, prefix: &str) -> bool {
    let bare = stream
        .strip_prefix("KV_")
        .or_else(|| stream.strip_prefix("OBJ_"))
        .unwrap_or(stream);
    [stream, bare].iter().any(|s| {
        s.strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('_'))
    })
}

/// Deletes every stream of the run `prefix`; returns how many.
pub fn delete_streams_of(url: &str, prefix: &str) -> Result<usize, String> {
    let mut conn = Connection::open(url, Duration::from_secs(3))?;
    let mut deleted = 0;
    for name in conn.stream_names()? {
        if belongs_to(&name, prefix) {
            conn.delete_stream(&name)?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

fn check_version(url: &str, version: &str) -> Result<(), ServicesError> {
    let mut parts = version
        .trim_start_matches('v')
        .split('.')
        .map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found >= MIN_NATS {
        return Ok(());
    }
    Err(ServicesError::Unavailable(format!(
        "NATS at {} is version {version}; the course needs nats-server {}.{} or newer with JetStream",
        redact(url),
        MIN_NATS.0,
        MIN_NATS.1
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_owns_the_streams_named_after_it_and_no_other_runs() {
        let run = "bk_41_3_orders";
        for own in [
            "bk_41_3_orders",
            "bk_41_3_orders_7_ORDERS",
            "KV_bk_41_3_orders_7_carts",
            "OBJ_bk_41_3_orders_2_files",
        ] {
            assert!(belongs_to(own, run), "{own}");
        }
        for other in [
            "bk_41_31_orders_1_ORDERS",
            "bk_41_3_orders2_1_X",
            "ORDERS",
            "KV_carts",
            "xbk_41_3_orders",
        ] {
            assert!(!belongs_to(other, run), "{other}");
        }
    }

    #[test]
    fn old_servers_are_refused_with_what_is_needed() {
        assert!(check_version("nats://h:1", "2.9.10").is_ok());
        assert!(check_version("nats://h:1", "2.10.24").is_ok());
        let err = check_version("nats://h:1", "2.8.4")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("2.8.4") && err.contains("2.9 or newer"),
            "{err}"
        );
    }
}
