//! The manifests read back from YAML, as `kubectl apply` reads them, for two services with
//! different numbers (so that nothing can be hard-coded), and checked for what breaks real
//! rollouts. The probes are asked of the running app.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use backlings_support_http::http::get;
use k8s_manifests::{AppSpec, Health, app, manifests, render};
use serde_json::Value;

const DIGEST: &str = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn shop() -> AppSpec {
    AppSpec {
        name: "shop".into(),
        image_repository: "registry.example/shop".into(),
        image_digest: DIGEST.into(),
        replicas: 3,
        port: 8080,
        drain_seconds: 20,
        min_available: 2,
        max_replicas: 10,
        cpu_request: "250m".into(),
        memory_limit: "256Mi".into(),
        user_id: 10_001,
    }
}

fn billing() -> AppSpec {
    AppSpec {
        name: "billing".into(),
        image_repository: "registry.example/team/billing".into(),
        image_digest: DIGEST.replace("9f86", "0b1e"),
        replicas: 4,
        port: 9000,
        drain_seconds: 45,
        min_available: 3,
        max_replicas: 12,
        cpu_request: "500m".into(),
        memory_limit: "512Mi".into(),
        user_id: 20_002,
    }
}

/// Every document of the rendered YAML, by kind.
fn objects(spec: &AppSpec) -> BTreeMap<String, Value> {
    let yaml = render(&manifests(spec)).expect("the manifests serialise");
    let mut out = BTreeMap::new();
    for doc in yaml.split("\n---\n").filter(|d| !d.trim().is_empty()) {
        let value: Value =
            serde_saphyr::from_str(doc).unwrap_or_else(|e| panic!("not YAML ({e}):\n{doc}"));
        let kind = value["kind"]
            .as_str()
            .expect("every object has a kind")
            .to_owned();
        assert!(
            out.insert(kind.clone(), value).is_none(),
            "two objects of kind {kind}"
        );
    }
    out
}

fn pod_labels(o: &BTreeMap<String, Value>) -> &Value {
    &o["Deployment"]["spec"]["template"]["metadata"]["labels"]
}

fn container(o: &BTreeMap<String, Value>) -> &Value {
    &o["Deployment"]["spec"]["template"]["spec"]["containers"][0]
}

/// A port as a probe or a Service names it (a number, or a container port's name), resolved.
fn resolve_port(container: &Value, port: &Value) -> u64 {
    if let Some(n) = port.as_u64() {
        return n;
    }
    let name = port.as_str().expect("a port is a number or a name");
    container["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|p| p["name"] == name)
        .and_then(|p| p["containerPort"].as_u64())
        .unwrap_or_else(|| panic!("no container port is named {name:?}"))
}

/// Whether a selector (non-empty) selects pods with these labels.
fn selects(selector: &Value, labels: &Value) -> bool {
    let Some(wanted) = selector.as_object() else {
        return false;
    };
    !wanted.is_empty() && wanted.iter().all(|(k, v)| &labels[k] == v)
}

/// `maxSurge`/`maxUnavailable` as pods: an integer, or a percentage of the replicas (rounded
/// up for the surge and down for unavailability, as Kubernetes does).
fn pods(value: &Value, replicas: u64, round_up: bool) -> u64 {
    if let Some(n) = value.as_u64() {
        return n;
    }
    let percent: u64 = value
        .as_str()
        .and_then(|s| s.strip_suffix('%'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{value} is neither a count nor a percentage"));
    let scaled = replicas * percent;
    if round_up {
        scaled.div_ceil(100)
    } else {
        scaled / 100
    }
}

#[test]
fn there_are_the_four_objects_with_their_versions_and_names() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let kinds: Vec<(&str, &str)> = o
            .iter()
            .map(|(k, v)| (k.as_str(), v["apiVersion"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(
            kinds,
            [
                ("Deployment", "apps/v1"),
                ("HorizontalPodAutoscaler", "autoscaling/v2"),
                ("PodDisruptionBudget", "policy/v1"),
                ("Service", "v1"),
            ]
        );
        for v in o.values() {
            assert_eq!(v["metadata"]["name"], spec.name.as_str());
        }
        assert_eq!(o["Deployment"]["spec"]["replicas"], spec.replicas);
    }
}

#[test]
fn every_selector_finds_its_own_pods_and_no_other_apps() {
    let (shop, billing) = (objects(&shop()), objects(&billing()));
    for o in [&shop, &billing] {
        let labels = pod_labels(o);
        assert!(
            selects(&o["Deployment"]["spec"]["selector"]["matchLabels"], labels),
            "the Deployment's selector does not select its own pods: a Deployment whose selector misses its template is rejected by the API server"
        );
        assert!(
            selects(&o["Service"]["spec"]["selector"], labels),
            "the Service's selector does not select the pods: it has no endpoints, every request fails"
        );
        assert!(
            selects(
                &o["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
                labels
            ),
            "the budget's selector does not select the pods: it protects nothing"
        );
    }
    assert!(
        !selects(&shop["Service"]["spec"]["selector"], pod_labels(&billing)),
        "shop's Service also selects billing's pods: labels must name the app"
    );
}

#[tokio::test]
async fn the_probes_ask_routes_the_app_serves_and_only_readiness_asks_the_dependencies() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let c = container(&o);
        let mut paths = Vec::new();
        for probe in ["livenessProbe", "readinessProbe"] {
            let get = &c[probe]["httpGet"];
            assert_eq!(
                resolve_port(c, &get["port"]),
                u64::from(spec.port),
                "the {probe} asks another port than the one the service listens on"
            );
            paths.push(
                get["path"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{probe} has no path"))
                    .to_owned(),
            );
        }
        let (liveness, readiness) = (&paths[0], &paths[1]);
        let up = app(Arc::new(Health {
            dependencies_up: AtomicBool::new(true),
        }));
        for path in [liveness, readiness] {
            assert_eq!(
                get(&up, path).await.status,
                200,
                "{path} does not answer 200 on a healthy app"
            );
        }
        let down = app(Arc::new(Health {
            dependencies_up: AtomicBool::new(false),
        }));
        assert_eq!(
            get(&down, liveness).await.status,
            200,
            "with the database down the liveness probe ({liveness}) fails: every pod is restarted, which fixes nothing"
        );
        assert_eq!(
            get(&down, readiness).await.status,
            503,
            "with the database down the readiness probe ({readiness}) still passes: traffic keeps coming to pods that cannot serve it"
        );
    }
}

#[test]
fn the_service_sends_its_traffic_to_the_container_port() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let port = &o["Service"]["spec"]["ports"][0];
        assert_eq!(
            resolve_port(container(&o), &port["targetPort"]),
            u64::from(spec.port)
        );
    }
}

#[test]
fn the_grace_period_outlasts_the_drain() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let grace = o["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
            .as_u64()
            .expect("terminationGracePeriodSeconds is set");
        assert!(
            grace > u64::from(spec.drain_seconds),
            "{}: SIGKILL comes {grace} s after SIGTERM, before the {} s drain is over",
            spec.name,
            spec.drain_seconds
        );
    }
}

#[test]
fn the_pods_run_as_their_unprivileged_user() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let pod = &o["Deployment"]["spec"]["template"]["spec"]["securityContext"];
        assert_eq!(
            pod["runAsNonRoot"], true,
            "runAsNonRoot: the kubelet refuses to start a root process"
        );
        assert_eq!(pod["runAsUser"], spec.user_id);
        let c = &container(&o)["securityContext"];
        assert_eq!(c["allowPrivilegeEscalation"], false);
        assert_eq!(c["readOnlyRootFilesystem"], true);
    }
}

#[test]
fn the_image_is_pinned_by_its_digest() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        assert_eq!(
            container(&o)["image"],
            format!("{}@{}", spec.image_repository, spec.image_digest),
            "a tag can be moved to other content; a digest cannot"
        );
    }
}

#[test]
fn a_rollout_keeps_the_capacity_the_budget_promises_and_makes_progress() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let strategy = &o["Deployment"]["spec"]["strategy"];
        assert_eq!(strategy["type"], "RollingUpdate");
        let replicas = u64::from(spec.replicas);
        let unavailable = pods(
            &strategy["rollingUpdate"]["maxUnavailable"],
            replicas,
            false,
        );
        let surge = pods(&strategy["rollingUpdate"]["maxSurge"], replicas, true);
        assert!(
            replicas.saturating_sub(unavailable) >= u64::from(spec.min_available),
            "{}: a rollout may take {unavailable} of {replicas} pods down, below the {} the budget promises",
            spec.name,
            spec.min_available
        );
        assert!(
            surge + unavailable >= 1,
            "{}: with no surge and nothing unavailable, a rollout can never replace a pod",
            spec.name
        );
    }
}

#[test]
fn the_autoscaler_scales_this_deployment_on_cpu_it_can_measure() {
    for spec in [shop(), billing()] {
        let o = objects(&spec);
        let hpa = &o["HorizontalPodAutoscaler"]["spec"];
        assert_eq!(hpa["scaleTargetRef"]["apiVersion"], "apps/v1");
        assert_eq!(hpa["scaleTargetRef"]["kind"], "Deployment");
        assert_eq!(hpa["scaleTargetRef"]["name"], spec.name.as_str());
        let min = hpa["minReplicas"].as_u64().expect("minReplicas");
        assert!(
            min >= u64::from(spec.replicas),
            "the autoscaler would scale below the Deployment's replicas"
        );
        assert!(
            min > u64::from(spec.min_available),
            "at {min} pods a budget of {} allows no eviction: node drains hang",
            spec.min_available
        );
        assert_eq!(hpa["maxReplicas"], spec.max_replicas);
        let metric = &hpa["metrics"][0];
        assert_eq!(metric["type"], "Resource");
        assert_eq!(metric["resource"]["name"], "cpu");
        assert_eq!(metric["resource"]["target"]["type"], "Utilization");
        assert_eq!(
            container(&o)["resources"]["requests"]["cpu"],
            spec.cpu_request.as_str(),
            "CPU utilization is measured against the request: without one the autoscaler cannot scale"
        );
        assert_eq!(
            container(&o)["resources"]["limits"]["memory"],
            spec.memory_limit.as_str()
        );
    }
}
