//! Kubernetes manifests for a service, generated from typed structs (`k8s`) and written as
//! YAML: a Deployment, a Service, a PodDisruptionBudget and a HorizontalPodAutoscaler. The
//! tests read the YAML back, as `kubectl apply` would, and check what breaks real rollouts.

pub mod k8s;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use k8s::*;

/// What to deploy: one service, its image and its operating numbers.
#[derive(Debug, Clone)]
pub struct AppSpec {
    /// The name of every object, and the `app.kubernetes.io/name` label of its pods.
    pub name: String,
    /// `registry.example/shop`: the image without a tag.
    pub image_repository: String,
    /// `sha256:` and 64 hex digits: the image's content digest, as the registry reports it.
    pub image_digest: String,
    pub replicas: u32,
    /// The port the service listens on inside its container.
    pub port: u16,
    /// How long the service needs after SIGTERM to finish its in-flight requests.
    pub drain_seconds: u32,
    /// Pods that must stay up during voluntary disruptions (node drains, upgrades).
    pub min_available: u32,
    pub max_replicas: u32,
    /// `250m`: the CPU each pod is guaranteed (and what utilization is measured against).
    pub cpu_request: String,
    /// `256Mi`.
    pub memory_limit: String,
    /// The unprivileged user the image's process runs as.
    pub user_id: u32,
}

/// The service behind the manifests: `/livez` says the process works, `/readyz` that it
/// can serve (its dependencies answer), `/orders` is the API.
pub struct Health {
    pub dependencies_up: AtomicBool,
}

pub fn app(health: Arc<Health>) -> Router {
    Router::new()
        .route("/livez", get(|| async { "alive" }))
        .route(
            "/readyz",
            get(|State(h): State<Arc<Health>>| async move {
                if h.dependencies_up.load(Ordering::SeqCst) {
                    (StatusCode::OK, "ready")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "dependencies down")
                }
            }),
        )
        .route("/orders", get(|| async { "[]" }))
        .with_state(health)
}

pub struct Manifests {
    pub deployment: Deployment,
    pub service: Service,
    pub pdb: PodDisruptionBudget,
    pub hpa: HorizontalPodAutoscaler,
}

/// The manifests as one YAML stream, documents separated by `---`, ready for
/// `kubectl apply -f -`.
pub fn render(m: &Manifests) -> Result<String, serde_saphyr::ser::Error> {
    Ok([
        serde_saphyr::to_string(&m.deployment)?,
        serde_saphyr::to_string(&m.service)?,
        serde_saphyr::to_string(&m.pdb)?,
        serde_saphyr::to_string(&m.hpa)?,
    ]
    .join("---\n"))
}

/// The four objects for `spec`. Build them from the `k8s` types; README.md lists what each
/// must get right.
pub fn manifests(spec: &AppSpec) -> Manifests {
    todo!(
        "build the Deployment, Service, PodDisruptionBudget and HPA for {}",
        spec.name
    )
}
