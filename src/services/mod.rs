//! Services (Postgres, Redis, NATS) for integration exercises.
//!
//! An exercise lists what it needs in info.toml. Before it runs, the runner takes a [`Lease`]:
//! a namespace of its own in each service (a database, a Redis logical database, a NATS
//! prefix: see [`kinds`], where each service is described once), passed to the tests as
//! variables (DATABASE_URL, REDIS_URL, NATS_URL…) and cleaned up when the lease ends. Nothing
//! leaks between exercises, runs or concurrent runs.
//!
//! Where the servers come from is a [`Provider`]: URLs the learner gives (external), containers
//! through the Docker API (Docker or Podman), or local binaries. `auto` picks, per service, the
//! first that works, in that order — after servers left running by `exercise services up`.

pub mod config;
pub mod container;
pub mod external;
pub mod kinds;
pub mod local;
pub mod nats_wire;
pub mod registry;
pub mod resp;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::course::Service;
pub use config::ServicesConfig;

#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// No provider can supply the service; the message says how to get one.
    #[error("{0}")]
    Unavailable(String),
    /// A provider was chosen but the service did not come up or answer.
    #[error("{0}")]
    Unreachable(String),
}

/// Which provider to use, from `--services` / BACKLINGS_SERVICES.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    clap::ValueEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    #[default]
    Auto,
    Container,
    Local,
    External,
}

impl ProviderKind {
    /// The sources this choice allows, in the order they are tried. This is the one place the
    /// order lives: runs, `services up` and `doctor` all read it.
    pub fn sources(self) -> &'static [Source] {
        match self {
            ProviderKind::Auto => &[
                Source::External,
                Source::ServicesUp,
                Source::Container,
                Source::Local,
            ],
            ProviderKind::Container => &[Source::Container],
            ProviderKind::Local => &[Source::Local],
            ProviderKind::External => &[Source::External],
        }
    }
}

/// Where a running server comes from.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// DATABASE_URL / REDIS_URL / NATS_URL, set by the learner.
    External,
    /// Servers left running by `exercise services up`.
    #[serde(rename = "services up")]
    ServicesUp,
    Container,
    Local,
}

impl Source {
    pub fn name(self) -> &'static str {
        match self {
            Source::External => "external",
            Source::ServicesUp => "services up",
            Source::Container => "container",
            Source::Local => "local",
        }
    }

    /// Whether this source can supply `service` now, by cheap checks only (a variable is set,
    /// a recorded server answers, an engine answers, binaries exist): nothing is started.
    pub fn offers(
        self,
        service: Service,
        course_root: &std::path::Path,
    ) -> Result<bool, ServicesError> {
        Ok(match self {
            Source::External => external::is_configured(service),
            Source::ServicesUp => registry::running(course_root, service)?.is_some(),
            Source::Container => container::engine_available(),
            Source::Local => local::binaries_available(service),
        })
    }

    /// Sources that start servers (what `services up` can use).
    pub fn starts_servers(self) -> bool {
        matches!(self, Source::Container | Source::Local)
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A running server, as the runner needs it: an admin URL (superuser, maintenance database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    /// Who provides it, for messages and `services status`.
    pub source: Source,
}

/// Where servers come from.
pub trait Provider: Send {
    /// Starts `service` (once; later calls return the same endpoint) and waits until it answers.
    fn start(&mut self, service: Service) -> Result<Endpoint, ServicesError>;
    /// Stops everything this provider started (also done on drop).
    fn stop(&mut self);
}

pub struct Services {
    kind: ProviderKind,
    config: ServicesConfig,
    course_root: PathBuf,
    /// Created on first use, so that exercises without services never touch an engine.
    providers: BTreeMap<Source, Box<dyn Provider>>,
    endpoints: BTreeMap<Service, Endpoint>,
    serial: AtomicU64,
}

impl Services {
    /// `kind` is what --services / BACKLINGS_SERVICES said, if anything; else the config file's
    /// choice; else auto.
    pub fn new(course_root: PathBuf, kind: Option<ProviderKind>) -> anyhow::Result<Services> {
        let config = ServicesConfig::load(&course_root)?;
        crate::cleanup::install_signal_handler();
        Ok(Services {
            kind: kind.or(config.provider).unwrap_or_default(),
            config,
            course_root,
            providers: BTreeMap::new(),
            endpoints: BTreeMap::new(),
            serial: AtomicU64::new(0),
        })
    }

    /// The servers for `service`, started or found on first use.
    pub fn endpoint(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        if let Some(e) = self.endpoints.get(&service) {
            return Ok(e.clone());
        }
        let endpoint = self.resolve(service)?;
        self.endpoints.insert(service, endpoint.clone());
        Ok(endpoint)
    }

    fn resolve(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        let sources = self.kind.sources();
        // An explicit choice is tried even when its cheap check fails: its error says why.
        let chosen = match sources {
            [only] => Some(*only),
            _ => {
                let mut first = None;
                for &source in sources {
                    if source.offers(service, &self.course_root)? {
                        first = Some(source);
                        break;
                    }
                }
                first
            }
        };
        match chosen {
            Some(Source::External) => external::External.start(service),
            Some(Source::ServicesUp) => {
                registry::running(&self.course_root, service)?.ok_or_else(|| {
                    ServicesError::Unreachable(
                        "the servers of `exercise services up` stopped answering".into(),
                    )
                })
            }
            Some(source) => self.start_with(source, service),
            None => Err(ServicesError::Unavailable(no_provider_message(service))),
        }
    }

    fn start_with(&mut self, source: Source, service: Service) -> Result<Endpoint, ServicesError> {
        if !self.providers.contains_key(&source) {
            let provider: Box<dyn Provider> = match source {
                Source::Container => Box::new(container::ContainerProvider::new(
                    &self.course_root,
                    &self.config,
                )?),
                _ => Box::new(local::LocalProvider::new()?),
            };
            self.providers.insert(source, provider);
        }
        match self.providers.get_mut(&source) {
            Some(provider) => provider.start(service),
            None => Err(ServicesError::Unavailable(format!("no {source} provider"))),
        }
    }

    /// Starts or finds the servers of `services`, so that runs can then lease namespaces in
    /// them from any thread (see `leaser`).
    pub fn prepare(&mut self, services: &[Service]) -> Result<(), ServicesError> {
        for &service in services {
            self.endpoint(service)?;
        }
        Ok(())
    }

    /// Hands out runs' namespaces in the servers already prepared; shareable between threads,
    /// so that each run takes its lease just before its tests and gives it back right after
    /// (Redis has 15 databases to hand out, however many runs are queued).
    pub fn leaser(&self) -> Leaser<'_> {
        Leaser {
            endpoints: &self.endpoints,
            serial: &self.serial,
        }
    }

    /// Stops whatever was started (containers removed, local servers stopped).
    pub fn shutdown(&mut self) {
        for p in self.providers.values_mut() {
            p.stop();
        }
        self.providers.clear();
        self.endpoints.clear();
    }
}

impl Drop for Services {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Leases in servers already prepared (`Services::prepare`).
pub struct Leaser<'a> {
    endpoints: &'a BTreeMap<Service, Endpoint>,
    serial: &'a AtomicU64,
}

impl Leaser<'_> {
    /// A namespace of its own for one run of `package` in each of `services`.
    pub fn lease(&self, package: &str, services: &[Service]) -> Result<Lease, ServicesError> {
        let mut lease = Lease::default();
        if services.is_empty() {
            return Ok(lease);
        }
        let run = run_name(package, self.serial.fetch_add(1, Ordering::SeqCst));
        for &service in services {
            let endpoint = self.endpoints.get(&service).ok_or_else(|| {
                ServicesError::Unavailable(format!(
                    "{} was not prepared before its runs",
                    kinds::of(service).title()
                ))
            })?;
            let space = kinds::of(service).lease(&endpoint.url, &run)?;
            lease.env.extend(space.env.iter().cloned());
            lease.servers.push(endpoint.url.clone());
            lease.spaces.push(space);
        }
        Ok(lease)
    }
}

/// The services one run holds; dropping it releases each namespace (drops the run's databases,
/// flushes its Redis database, deletes its streams).
#[derive(Default)]
pub struct Lease {
    pub env: Vec<(String, String)>,
    /// The servers' URLs (what a sandbox relays into its network).
    pub servers: Vec<String>,
    spaces: Vec<kinds::RunSpace>,
}

/// Postgres refuses identifiers longer than 63 bytes.
const MAX_IDENT: usize = 63;

/// The longest run name: the support crates name a test's own namespace `<run>_<pid>_<n>` (up
/// to 22 more bytes), and Postgres silently truncates identifiers past 63 bytes, which would
/// make two tests' databases one.
pub const MAX_RUN_NAME: usize = MAX_IDENT - 23;

/// A name for one run of one exercise, unique within this machine, the same in every service
/// (a database, a NATS prefix). The unique part comes first: only the exercise name, there for
/// whoever reads `\l`, is ever cut short. Package names are `[a-z0-9_]` (cargo allows `-` too,
/// which NATS names and unquoted SQL would not like, so it becomes `_`).
pub fn run_name(exercise: &str, serial: u64) -> String {
    let exercise = exercise.replace('-', "_");
    let mut name = format!("bk_{}_{serial}_{exercise}", std::process::id());
    let mut end = name.len().min(MAX_RUN_NAME);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    name
}

/// Creates `dir` traversable by every user (see `crate::fs::create_shared_dir`), as a services
/// error that names it.
pub(crate) fn create_shared_dir(dir: &std::path::Path) -> Result<(), ServicesError> {
    crate::fs::create_shared_dir(dir)
        .map_err(|e| ServicesError::Unavailable(format!("cannot create {}: {e}", dir.display())))
}

/// A free TCP port on the loopback interface (bound, read, released).
pub(crate) fn free_port() -> Result<u16, ServicesError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| ServicesError::Unavailable(format!("no free local port: {e}")))
}

fn no_provider_message(service: Service) -> String {
    let kind = kinds::of(service);
    format!(
        "this exercise needs {name}, and none is available. Any one of these works:\n  \
         1. a container engine: start Docker, or Podman's socket (`systemctl --user start podman.socket` \
         and export DOCKER_HOST); `exercise doctor` checks it\n  \
         2. local binaries: install {package} (e.g. `apt install {package}`)\n  \
         3. a server you run: export {var}={example}",
        name = kind.title(),
        package = kind.package(),
        var = service.env_var(),
        example = kind.example_url(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_order_for_every_choice() {
        assert_eq!(
            ProviderKind::Auto.sources(),
            [
                Source::External,
                Source::ServicesUp,
                Source::Container,
                Source::Local
            ]
        );
        for kind in [
            ProviderKind::Container,
            ProviderKind::Local,
            ProviderKind::External,
        ] {
            assert_eq!(kind.sources().len(), 1, "{kind:?} is one source");
        }
        let startable: Vec<Source> = ProviderKind::Auto
            .sources()
            .iter()
            .copied()
            .filter(|s| s.starts_servers())
            .collect();
        assert_eq!(startable, [Source::Container, Source::Local]);
    }

    #[test]
    fn the_missing_service_message_names_every_way() {
        for service in Service::ALL {
            let text = no_provider_message(service);
            for way in [
                "1. a container engine",
                "2. local binaries",
                "3. a server you run",
            ] {
                assert!(text.contains(way), "{text}");
            }
            assert!(text.contains(service.env_var()), "{text}");
        }
    }

    #[test]
    fn run_names_fit_postgres_and_stay_unique() {
        let long = "rest_capstone__select_before_insert_duplicate_url_mutant";
        let a = run_name(long, 7);
        let b = run_name(long, 8);
        assert!(a.len() <= MAX_RUN_NAME, "{a}");
        assert!(a.starts_with("bk_"));
        assert_ne!(a, b, "the serial survives truncation");
        // Room for the support crates' per-test suffix `_<pid>_<n>` within 63 bytes.
        assert!(format!("{a}_{}_{}", u32::MAX, u32::MAX).len() <= MAX_IDENT);
        assert!(!run_name("events-basics", 1).contains('-'));
    }
}
