//! What each service is, in one place: the providers (container, local, external), `services
//! up|status|down`, `doctor`, the reaper and the leases all read a service's [`ServiceKind`] and
//! never match on the service themselves. Adding a service is one more file here and one more
//! variant of [`Service`].

mod nats;
mod postgres;
mod redis;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::ServicesError;
use crate::course::Service;

/// One service: how to get a server of it from each provider, how to tell it is ready, and how
/// to give one run a namespace of its own in it.
pub trait ServiceKind: Sync {
    fn service(&self) -> Service;
    /// As people write it: `Postgres`.
    fn title(&self) -> &'static str;
    /// An example for the variable the learner may set, in messages.
    fn example_url(&self) -> &'static str;

    // --- the container provider
    /// The variable that overrides the image, and the image otherwise (the config file's
    /// `<service>_image` sits between the two).
    fn image_var(&self) -> &'static str;
    fn default_image(&self) -> &'static str;
    /// The port the server listens on inside its container.
    fn container_port(&self) -> u16;
    fn container_env(&self) -> Vec<String> {
        Vec::new()
    }
    /// Arguments for the image's entry point, when its default command is not enough.
    fn container_args(&self) -> Option<Vec<String>> {
        None
    }
    /// The admin URL of a server of ours listening on 127.0.0.1:`port`.
    fn admin_url(&self, port: u16) -> String;

    // --- the local provider
    /// The variable that points at the binary (or its folder), and the Debian package with it.
    fn binary_var(&self) -> &'static str;
    fn package(&self) -> &'static str;
    /// The binary the local provider starts, if this machine has one.
    fn local_binary(&self) -> Option<PathBuf>;
    /// The command line of a throwaway server on 127.0.0.1:`port` keeping its files in
    /// `run_dir` (made ready to spawn: user, data folder).
    fn local_command(
        &self,
        bin: &Path,
        run_dir: &Path,
        port: u16,
    ) -> Result<Command, ServicesError>;
    /// A word of the server's command line, so that a recorded pid is only signalled while it
    /// is still one of ours.
    fn process_name(&self) -> &'static str;
    /// `<binary> --version`, first line, for `doctor`.
    fn version(&self, bin: &Path) -> Option<String> {
        let out = Command::new(bin).arg("--version").output().ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().next().map(str::to_owned)
    }

    // --- every provider
    /// Waits until the server answers real requests (not only an open port), and refuses a
    /// server the course cannot use (too old, a feature off) with what is needed.
    fn wait_ready(&self, url: &str, timeout: Duration) -> Result<(), ServicesError>;
    /// How long a local server may take to start; a container gets twice as long.
    fn start_timeout(&self) -> Duration;
    /// A namespace of its own for one run (`run` is unique on this machine, ≤ 40 bytes of
    /// `[a-z0-9_]`): what to pass to the exercise, and what to undo when the run ends.
    fn lease(&self, admin_url: &str, run: &str) -> Result<RunSpace, ServicesError>;
}

/// One run's namespace in one service. Dropping it releases the namespace (drops the run's
/// databases, flushes its Redis database, deletes its streams).
pub struct RunSpace {
    /// Variables for the exercise's tests: the URL, and whatever else names the namespace.
    pub env: Vec<(String, String)>,
    release: Option<Box<dyn FnOnce() + Send + Sync>>,
}

impl RunSpace {
    pub fn new(
        env: Vec<(String, String)>,
        release: impl FnOnce() + Send + Sync + 'static,
    ) -> RunSpace {
        RunSpace {
            env,
            release: Some(Box::new(release)),
        }
    }
}

impl Drop for RunSpace {
    fn drop(&mut self) {
        if let Some(release) = self.release.take() {
            release();
        }
    }
}

/// The description of `service`.
pub fn of(service: Service) -> &'static dyn ServiceKind {
    match service {
        Service::Postgres => &postgres::Postgres,
        Service::Redis => &redis::Redis,
        Service::Nats => &nats::Nats,
    }
}

/// Every service's description, in [`Service::ALL`]'s order.
pub fn all() -> impl Iterator<Item = &'static dyn ServiceKind> {
    Service::ALL.into_iter().map(of)
}

/// Looks for `name` on PATH.
pub(super) fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// A binary named by `var` if set (and present), else found on PATH.
pub(super) fn binary(var: &str, name: &str) -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os(var) {
        let bin = PathBuf::from(bin);
        return bin.is_file().then_some(bin);
    }
    which(name)
}

/// Hides a password in a URL for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden_in_messages() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("redis://h:6379"), "redis://h:6379");
        assert_eq!(redact("nats://app:pw@h:4222"), "nats://app:***@h:4222");
    }

    #[test]
    fn every_service_has_one_description_with_distinct_names() {
        let kinds: Vec<_> = all().collect();
        assert_eq!(kinds.len(), Service::ALL.len());
        for (kind, service) in kinds.iter().zip(Service::ALL) {
            assert_eq!(kind.service(), service, "of() maps {service:?} to itself");
        }
        let mut vars: Vec<&str> = kinds
            .iter()
            .flat_map(|k| [k.image_var(), k.binary_var(), k.service().env_var()])
            .collect();
        let count = vars.len();
        vars.sort_unstable();
        vars.dedup();
        assert_eq!(vars.len(), count, "no two services share a variable");
    }
}
