//! The container provider: each service in a container (image, port and arguments from its
//! `kinds` description), through the Docker API (Docker, or Podman's Docker-compatible
//! socket), with bollard: create (pulling the image if it is missing), start, remove.
//!
//! Ports are mapped explicitly to a free port on 127.0.0.1 (Podman reports port bindings with
//! an empty HostIp, so reading back a random mapping is unreliable). Containers are labelled
//! with the tool, the course and the owning process, so containers orphaned by a killed CLI are
//! found and removed at the next start.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use futures_util::StreamExt;

use super::{Endpoint, Provider, ServicesConfig, ServicesError, Source, free_port, kinds};
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
    /// Container id and endpoint of each started service.
    running: BTreeMap<Service, (String, Endpoint)>,
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
        self.running.get(&service).map(|(id, _)| id.clone())
    }
}

fn split_image(image: &str) -> (&str, &str) {
    // The tag is after the last ':' unless that ':' belongs to a registry port (`host:5000/x`).
    match image.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => (name, tag),
        _ => (image, "latest"),
    }
}

enum StartError {
    /// The image is not present and pulling it failed.
    NoImage(String),
    Engine(String),
}

/// Creates the container (pulling its image first when the engine does not have it) and starts
/// it; returns its id.
async fn create_and_start(
    docker: &bollard::Docker,
    image: &str,
    body: ContainerCreateBody,
) -> Result<String, StartError> {
    let engine = |e: bollard::errors::Error| StartError::Engine(e.to_string());
    let created = match docker.create_container(None, body.clone()).await {
        Ok(created) => created,
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => {
            let (from_image, tag) = split_image(image);
            let options = bollard::query_parameters::CreateImageOptions {
                from_image: Some(from_image.to_owned()),
                tag: Some(tag.to_owned()),
                ..Default::default()
            };
            let mut pull = docker.create_image(Some(options), None, None);
            while let Some(progress) = pull.next().await {
                progress.map_err(|e| StartError::NoImage(e.to_string()))?;
            }
            docker.create_container(None, body).await.map_err(engine)?
        }
        Err(e) => return Err(engine(e)),
    };
    docker
        .start_container(&created.id, None)
        .await
        .map_err(engine)?;
    Ok(created.id)
}

impl Provider for ContainerProvider {
    fn start(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        if let Some((_, e)) = self.running.get(&service) {
            return Ok(e.clone());
        }
        let kind = kinds::of(service);
        let image = self.config.image(service).to_owned();
        let (var, port) = (kind.image_var(), kind.container_port());
        let host_port = free_port()?;
        remove_ours_on_hard_exit();
        let labels = HashMap::from([
            (LABEL_TOOL.to_owned(), "backlings".to_owned()),
            (LABEL_COURSE.to_owned(), self.course.clone()),
            (LABEL_PID.to_owned(), std::process::id().to_string()),
            (LABEL_SERVICE.to_owned(), service.as_str().to_owned()),
            (LABEL_KEEP.to_owned(), self.keep.to_string()),
        ]);
        let exposed = format!("{port}/tcp");
        let body = ContainerCreateBody {
            image: Some(image.clone()),
            env: Some(kind.container_env()),
            cmd: kind.container_args(),
            labels: Some(labels),
            exposed_ports: Some(vec![exposed.clone()]),
            host_config: Some(HostConfig {
                port_bindings: Some(HashMap::from([(
                    exposed,
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".to_owned()),
                        host_port: Some(host_port.to_string()),
                    }]),
                )])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let (Some(docker), Some(rt)) = (docker(), runtime()) else {
            return Err(ServicesError::Unavailable(format!(
                "cannot use DOCKER_HOST={}",
                docker_host()
            )));
        };
        let id = rt
            .block_on(create_and_start(&docker, &image, body))
            .map_err(|e| match e {
                StartError::NoImage(text) => ServicesError::Unavailable(format!(
                    "the {} image `{image}` is not available and could not be pulled ({text}). \
                 Set {var} to an image you have (see `docker images`), or choose --services local",
                    service.as_str()
                )),
                StartError::Engine(text) => ServicesError::Unreachable(format!(
                    "cannot start the {} container from `{image}`: {text}",
                    service.as_str()
                )),
            })?;
        track(&id);
        let endpoint = Endpoint {
            url: kind.admin_url(host_port),
            source: Source::Container,
        };
        // A container also has to be created and its filesystem mounted: twice a local start.
        if let Err(e) = kind.wait_ready(&endpoint.url, kind.start_timeout() * 2) {
            remove_containers(std::slice::from_ref(&id));
            untrack(&id);
            return Err(e);
        }
        self.running.insert(service, (id, endpoint.clone()));
        Ok(endpoint)
    }

    fn stop(&mut self) {
        for (_, (id, _)) in std::mem::take(&mut self.running) {
            // `services up` (keep): the container stays until `services down`.
            if !self.keep {
                remove_containers(std::slice::from_ref(&id));
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
