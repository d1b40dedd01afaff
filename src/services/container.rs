//! The container provider: Postgres and Redis in containers, through the Docker API (Docker, or
//! Podman's Docker-compatible socket), with testcontainers.
//!
//! Ports are mapped explicitly to a free host port: Podman reports port bindings with an empty
//! HostIp, which makes testcontainers' `get_host_port_ipv4` fail with PortNotExposed.
//! Containers are labelled with the tool, the course and the owning process, so containers
//! orphaned by a killed CLI are found and removed at the next start.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use testcontainers::core::{ContainerPort, IntoContainerPort};
use testcontainers::runners::SyncRunner;
use testcontainers::{Container, GenericImage, ImageExt};

use super::config::{POSTGRES_IMAGE_VAR, REDIS_IMAGE_VAR};
use super::{Endpoint, Provider, ServicesConfig, ServicesError, Source, clients, free_port};
use crate::course::Service;
use crate::sys::process_alive;

pub const LABEL_TOOL: &str = "io.backlings.tool";
pub const LABEL_COURSE: &str = "io.backlings.course";
pub const LABEL_PID: &str = "io.backlings.pid";
pub const LABEL_SERVICE: &str = "io.backlings.service";
/// Containers started by `exercise services up` outlive the CLI until `services down`.
pub const LABEL_KEEP: &str = "io.backlings.keep";

fn runtime() -> Option<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .ok()
}

fn docker() -> Option<bollard::Docker> {
    bollard::Docker::connect_with_defaults().ok()
}

pub fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_owned())
}

/// Whether a Docker API answers (DOCKER_HOST or the default socket), checked once per process.
pub fn engine_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| engine_version().is_ok())
}

/// The engine's name and version, e.g. `Podman Engine 4.3.1`.
pub fn engine_version() -> Result<String, String> {
    let docker = docker().ok_or_else(|| format!("cannot use DOCKER_HOST={}", docker_host()))?;
    let rt = runtime().ok_or("cannot start an async runtime")?;
    rt.block_on(async {
        let v = tokio::time::timeout(Duration::from_secs(3), docker.version())
            .await
            .map_err(|_| "the engine did not answer within 3 s".to_owned())?
            .map_err(|e| e.to_string())?;
        let name = v
            .components
            .as_ref()
            .and_then(|c| c.first())
            .map_or_else(|| "Docker Engine".to_owned(), |c| c.name.clone());
        Ok(format!("{name} {}", v.version.unwrap_or_default()))
    })
}

/// Whether `image` is present in the engine (no pull is attempted).
pub fn image_present(image: &str) -> bool {
    let (Some(docker), Some(rt)) = (docker(), runtime()) else {
        return false;
    };
    rt.block_on(docker.inspect_image(image)).is_ok()
}

/// Containers carrying our labels: (id, labels).
pub fn list_labelled(extra: &[(&str, &str)]) -> Vec<(String, HashMap<String, String>)> {
    let (Some(docker), Some(rt)) = (docker(), runtime()) else {
        return Vec::new();
    };
    let mut filters = vec![format!("{LABEL_TOOL}=backlings")];
    filters.extend(extra.iter().map(|(k, v)| format!("{k}={v}")));
    let options = bollard::query_parameters::ListContainersOptions {
        all: true,
        filters: Some(HashMap::from([("label".to_owned(), filters)])),
        ..Default::default()
    };
    rt.block_on(docker.list_containers(Some(options)))
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| Some((c.id?, c.labels.unwrap_or_default())))
        .collect()
}

pub fn remove_containers(ids: &[String]) {
    let (Some(docker), Some(rt)) = (docker(), runtime()) else {
        return;
    };
    let options = bollard::query_parameters::RemoveContainerOptions {
        force: true,
        v: true,
        ..Default::default()
    };
    rt.block_on(async {
        for id in ids {
            let _ = docker.remove_container(id, Some(options.clone())).await;
        }
    });
}

/// Removes containers whose owning CLI is gone (killed with SIGKILL, say). Kept containers
/// (`services up`) are left alone.
pub fn reap_orphans() -> usize {
    let orphans: Vec<String> = list_labelled(&[])
        .into_iter()
        .filter(|(_, labels)| labels.get(LABEL_KEEP).is_none_or(|k| k != "true"))
        .filter(|(_, labels)| {
            labels
                .get(LABEL_PID)
                .and_then(|p| p.parse::<i32>().ok())
                .is_none_or(|pid| !process_alive(pid))
        })
        .map(|(id, _)| id)
        .collect();
    remove_containers(&orphans);
    orphans.len()
}

/// Containers this process started and has not removed yet: the hard exit after Ctrl-C
/// removes them (see crate::cleanup).
static STARTED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn track(id: &str) {
    if let Ok(mut ids) = STARTED.lock() {
        ids.push(id.to_owned());
    }
}

fn untrack(id: &str) {
    if let Ok(mut ids) = STARTED.lock() {
        ids.retain(|c| c != id);
    }
}

/// Registered with crate::cleanup before the first container is created.
fn remove_ours_on_hard_exit() {
    crate::cleanup::register_hook("containers", || {
        let mut ids = STARTED
            .lock()
            .map(|mut v| std::mem::take(&mut *v))
            .unwrap_or_default();
        // Also those still being created when the signal came (not tracked yet): they carry
        // our pid label.
        let pid = std::process::id().to_string();
        ids.extend(
            list_labelled(&[(LABEL_PID, &pid), (LABEL_KEEP, "false")])
                .into_iter()
                .map(|(id, _)| id),
        );
        remove_containers(&ids);
    });
}

pub struct ContainerProvider {
    course: String,
    config: ServicesConfig,
    keep: bool,
    running: BTreeMap<Service, (Container<GenericImage>, Endpoint)>,
}

impl ContainerProvider {
    pub fn new(
        course_root: &Path,
        config: &ServicesConfig,
    ) -> Result<ContainerProvider, ServicesError> {
        Self::with_keep(course_root, config, false)
    }

    pub fn with_keep(
        course_root: &Path,
        config: &ServicesConfig,
        keep: bool,
    ) -> Result<ContainerProvider, ServicesError> {
        if let Err(e) = engine_version() {
            return Err(ServicesError::Unavailable(format!(
                "no container engine answers at DOCKER_HOST={} ({e}). Start Docker, or Podman's socket \
                 (`systemctl --user start podman.socket`, then export DOCKER_HOST), or choose --services local",
                docker_host()
            )));
        }
        reap_orphans();
        Ok(ContainerProvider {
            course: course_root.display().to_string(),
            config: config.clone(),
            keep,
            running: BTreeMap::new(),
        })
    }

    /// Container ids of what is running, for `services up` to record.
    pub fn container_id(&self, service: Service) -> Option<String> {
        self.running.get(&service).map(|(c, _)| c.id().to_owned())
    }
}

fn split_image(image: &str) -> (&str, &str) {
    // The tag is after the last ':' unless that ':' belongs to a registry port (`host:5000/x`).
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    }
}

impl Provider for ContainerProvider {
    fn start(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        if let Some((_, e)) = self.running.get(&service) {
            return Ok(e.clone());
        }
        let (image, var, port) = match service {
            Service::Postgres => (self.config.postgres_image.clone(), POSTGRES_IMAGE_VAR, 5432),
            Service::Redis => (self.config.redis_image.clone(), REDIS_IMAGE_VAR, 6379),
        };
        let (name, tag) = split_image(&image);
        let host_port = free_port()?;
        remove_ours_on_hard_exit();
        let internal: ContainerPort = port.tcp();
        let request = GenericImage::new(name, tag)
            .with_exposed_port(internal)
            .with_mapped_port(host_port, internal)
            .with_label(LABEL_TOOL, "backlings")
            .with_label(LABEL_COURSE, self.course.clone())
            .with_label(LABEL_PID, std::process::id().to_string())
            .with_label(LABEL_SERVICE, service.as_str())
            .with_label(LABEL_KEEP, self.keep.to_string())
            // The official postgres image refuses to start without a password or this.
            .with_env_var("POSTGRES_HOST_AUTH_METHOD", "trust")
            .with_startup_timeout(Duration::from_secs(120));
        let container = request.start().map_err(|e| {
            let text = e.to_string();
            if text.contains("pull") || text.contains("No such image") || text.contains("not found") || text.contains("manifest") {
                ServicesError::Unavailable(format!(
                    "the {} image `{image}` is not available and could not be pulled ({text}). \
                     Set {var} to an image you have (see `docker images`), or choose --services local",
                    service.as_str()
                ))
            } else {
                ServicesError::Unreachable(format!("cannot start the {} container from `{image}`: {text}", service.as_str()))
            }
        })?;
        track(container.id());
        let endpoint = Endpoint {
            url: match service {
                Service::Postgres => format!("postgres://postgres@127.0.0.1:{host_port}/postgres"),
                Service::Redis => format!("redis://127.0.0.1:{host_port}"),
            },
            source: Source::Container,
        };
        let ready = match service {
            Service::Postgres => clients::wait_for_postgres(&endpoint.url, Duration::from_secs(60)),
            Service::Redis => clients::wait_for_redis(&endpoint.url, Duration::from_secs(30)),
        };
        if let Err(e) = ready {
            let id = container.id().to_owned();
            drop(container);
            untrack(&id);
            return Err(e);
        }
        self.running.insert(service, (container, endpoint.clone()));
        Ok(endpoint)
    }

    fn stop(&mut self) {
        for (_, (container, _)) in std::mem::take(&mut self.running) {
            let id = container.id().to_owned();
            if self.keep {
                // `services up`: the container stays until `services down`.
                std::mem::forget(container);
            } else {
                drop(container); // testcontainers removes it
            }
            untrack(&id);
        }
    }
}

impl Drop for ContainerProvider {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn image_names_split_into_name_and_tag() {
        assert_eq!(
            super::split_image("postgres:16-alpine"),
            ("postgres", "16-alpine")
        );
        assert_eq!(super::split_image("local/redis:7"), ("local/redis", "7"));
        assert_eq!(super::split_image("redis"), ("redis", "latest"));
        assert_eq!(super::split_image("reg:5000/pg"), ("reg:5000/pg", "latest"));
    }
}
