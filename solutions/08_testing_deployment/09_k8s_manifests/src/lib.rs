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

/// Extra time past the drain before the kubelet sends SIGKILL.
const GRACE_MARGIN_SECONDS: u32 = 10;

pub fn manifests(spec: &AppSpec) -> Manifests {
    // One set of labels, used by the pods and by every selector that must find them.
    let labels = Labels::from([("app.kubernetes.io/name".to_owned(), spec.name.clone())]);
    let meta = ObjectMeta {
        name: spec.name.clone(),
        labels: labels.clone(),
    };
    let http = || PortRef::Name("http".to_owned());
    let probe = |path: &str| Probe {
        http_get: HttpGet {
            path: path.to_owned(),
            port: http(),
        },
        period_seconds: 5,
        failure_threshold: 3,
    };
    let container = Container {
        name: spec.name.clone(),
        image: format!("{}@{}", spec.image_repository, spec.image_digest),
        ports: vec![ContainerPort {
            name: "http".to_owned(),
            container_port: spec.port,
        }],
        resources: Resources {
            requests: [
                ("cpu".to_owned(), spec.cpu_request.clone()),
                ("memory".to_owned(), spec.memory_limit.clone()),
            ]
            .into(),
            limits: [("memory".to_owned(), spec.memory_limit.clone())].into(),
        },
        liveness_probe: Some(probe("/livez")),
        readiness_probe: Some(probe("/readyz")),
        security_context: Some(SecurityContext {
            allow_privilege_escalation: false,
            read_only_root_filesystem: true,
        }),
    };
    let deployment = Deployment {
        api_version: "apps/v1",
        kind: "Deployment",
        metadata: meta.clone(),
        spec: DeploymentSpec {
            replicas: spec.replicas,
            selector: LabelSelector {
                match_labels: labels.clone(),
            },
            // A new pod is up and ready before an old one goes: capacity never drops.
            strategy: Strategy {
                kind: "RollingUpdate",
                rolling_update: RollingUpdate {
                    max_surge: IntOrPercent::Int(1),
                    max_unavailable: IntOrPercent::Int(0),
                },
            },
            template: PodTemplate {
                metadata: ObjectMeta {
                    name: spec.name.clone(),
                    labels: labels.clone(),
                },
                spec: PodSpec {
                    termination_grace_period_seconds: spec.drain_seconds + GRACE_MARGIN_SECONDS,
                    security_context: Some(PodSecurityContext {
                        run_as_non_root: true,
                        run_as_user: spec.user_id,
                    }),
                    containers: vec![container],
                },
            },
        },
    };
    let service = Service {
        api_version: "v1",
        kind: "Service",
        metadata: meta.clone(),
        spec: ServiceSpec {
            selector: labels.clone(),
            ports: vec![ServicePort {
                name: "http".to_owned(),
                port: 80,
                target_port: http(),
            }],
        },
    };
    let pdb = PodDisruptionBudget {
        api_version: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: meta.clone(),
        spec: PdbSpec {
            min_available: spec.min_available,
            selector: LabelSelector {
                match_labels: labels,
            },
        },
    };
    let hpa = HorizontalPodAutoscaler {
        api_version: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: meta,
        spec: HpaSpec {
            scale_target_ref: ScaleTargetRef {
                api_version: "apps/v1",
                kind: "Deployment",
                name: spec.name.clone(),
            },
            // Never below the Deployment's own count, and always one pod more than the
            // budget keeps, so that a node can still be drained at the minimum.
            min_replicas: spec.replicas.max(spec.min_available + 1),
            max_replicas: spec.max_replicas,
            metrics: vec![Metric {
                kind: "Resource",
                resource: ResourceMetric {
                    name: "cpu".to_owned(),
                    target: MetricTarget {
                        kind: "Utilization",
                        average_utilization: 70,
                    },
                },
            }],
        },
    };
    Manifests {
        deployment,
        service,
        pdb,
        hpa,
    }
}
