//! Services (Postgres, Redis) for integration exercises.
//!
//! An exercise lists what it needs in info.toml. Before it runs, the runner takes a [`Lease`]:
//! a database of its own (created from a template) and a Redis logical database of its own,
//! passed to the tests as DATABASE_URL and REDIS_URL and cleaned up when the lease ends. Nothing
//! leaks between exercises, runs or concurrent runs.
//!
//! Where the servers come from is a [`Provider`]: URLs the learner gives (external), containers
//! through the Docker API (Docker or Podman), or local binaries. `auto` picks, per service, the
//! first that works, in that order — after servers left running by `exercise services up`.

pub mod clients;
pub mod config;
pub mod container;
pub mod external;
pub mod local;
pub mod registry;
pub mod resp;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

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
    /// DATABASE_URL / REDIS_URL, set by the learner.
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

/// Redis logical databases handed out to runs; 0 is left to the learner's own experiments.
const REDIS_DBS: std::ops::RangeInclusive<u8> = 1..=15;

pub struct Services {
    kind: ProviderKind,
    config: ServicesConfig,
    course_root: PathBuf,
    /// Created on first use, so that exercises without services never touch an engine.
    providers: BTreeMap<Source, Box<dyn Provider>>,
    endpoints: BTreeMap<Service, Endpoint>,
    redis_dbs: RedisPool,
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
            redis_dbs: Arc::new(Mutex::new(REDIS_DBS.collect())),
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

    /// Everything one run of `package` needs: its own database and Redis namespace.
    pub fn lease(&mut self, package: &str, services: &[Service]) -> Result<Lease, ServicesError> {
        let mut lease = Lease::default();
        for &service in services {
            let endpoint = self.endpoint(service)?;
            match service {
                Service::Postgres => {
                    let serial = self.serial.fetch_add(1, Ordering::SeqCst);
                    let db = clients::run_database_name(package, serial);
                    clients::create_database(&endpoint.url, &db)?;
                    lease.env.push((
                        service.env_var().to_owned(),
                        clients::with_database(&endpoint.url, &db),
                    ));
                    lease.postgres = Some((endpoint.url.clone(), db));
                }
                Service::Redis => {
                    let db = self
                        .redis_dbs
                        .lock()
                        .ok()
                        .and_then(|mut free| free.pop_first())
                        .ok_or_else(|| {
                            ServicesError::Unavailable(
                                "all 15 Redis databases are in use by other runs".into(),
                            )
                        })?;
                    let url = clients::with_redis_db(&endpoint.url, db);
                    lease.redis = Some((url.clone(), db, Arc::clone(&self.redis_dbs)));
                    clients::flush_redis_db(&url)?;
                    lease.env.push((service.env_var().to_owned(), url));
                }
            }
        }
        Ok(lease)
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

/// The free Redis logical databases, shared by the leases that hand them back.
type RedisPool = Arc<Mutex<BTreeSet<u8>>>;

/// The services one run holds; dropping it drops the run's databases and flushes its Redis db.
#[derive(Default)]
pub struct Lease {
    pub env: Vec<(String, String)>,
    /// (admin URL, run database)
    postgres: Option<(String, String)>,
    /// (URL with the db index, db index, pool to return it to)
    redis: Option<(String, u8, RedisPool)>,
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some((admin, db)) = self.postgres.take() {
            clients::drop_databases(&admin, &db);
        }
        if let Some((url, db, pool)) = self.redis.take() {
            let _ = clients::flush_redis_db(&url);
            if let Ok(mut free) = pool.lock() {
                free.insert(db);
            }
        }
    }
}

/// A free TCP port on the loopback interface (bound, read, released).
pub(crate) fn free_port() -> Result<u16, ServicesError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| ServicesError::Unavailable(format!("no free local port: {e}")))
}

fn no_provider_message(service: Service) -> String {
    let (name, var, example, bin) = match service {
        Service::Postgres => (
            "Postgres",
            "DATABASE_URL",
            "postgres://user:password@127.0.0.1:5432/postgres",
            "postgresql (initdb, postgres)",
        ),
        Service::Redis => (
            "Redis",
            "REDIS_URL",
            "redis://127.0.0.1:6379",
            "redis-server",
        ),
    };
    format!(
        "this exercise needs {name}, and none is available. Any one of these works:\n  \
         1. a container engine: start Docker, or Podman's socket (`systemctl --user start podman.socket` \
         and export DOCKER_HOST); `exercise doctor` checks it\n  \
         2. local binaries: install {bin} (e.g. `apt install postgresql redis-server`)\n  \
         3. a server you run: export {var}={example}"
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
        for service in [Service::Postgres, Service::Redis] {
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
}
