//! A simulated set of pods on a clock that the rollout drives: pods start, become ready (or
//! crash, or hang) as their version's plan says, and stop. The cluster records what a user
//! would feel — the fewest ready pods and the most pods at any moment — so that a test can
//! check a rollout's promises afterwards. Given; nothing to change here.

use std::collections::HashMap;

/// A release of the service, e.g. `Version(2)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Version(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PodState {
    /// Started, readiness probe not passed yet.
    Starting,
    /// Passes its readiness probe: serves traffic.
    Ready,
    /// Crashed (CrashLoopBackOff): will never be ready.
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pod {
    pub id: PodId,
    pub version: Version,
    pub state: PodState,
}

/// How a version's pods behave once started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Ready after this many ticks.
    ReadyAfter(u32),
    /// Crashes on its first tick.
    Crashes,
    /// Never passes its readiness probe, never crashes either.
    Hangs,
    /// The first `ready` pods of the version become ready after one tick; every later one
    /// crashes (a release that fails only under load, or on some nodes).
    CrashesAfter { ready: usize },
}

/// Ticks after which the cluster stops the world: a rollout that has not finished by then
/// never will.
pub const GIVE_UP_AFTER: u64 = 10_000;

pub struct Cluster {
    pods: Vec<(Pod, u32)>,
    plans: HashMap<Version, Plan>,
    started: HashMap<Version, usize>,
    next_id: u32,
    now: u64,
    fewest_ready: usize,
    most_pods: usize,
}

impl Cluster {
    /// `replicas` ready pods of `version`; `plans` says how each version's new pods behave
    /// (a version without a plan is ready after one tick).
    pub fn new(replicas: usize, version: Version, plans: &[(Version, Plan)]) -> Cluster {
        let mut cluster = Cluster {
            pods: Vec::new(),
            plans: plans.iter().copied().collect(),
            started: HashMap::new(),
            next_id: 0,
            now: 0,
            fewest_ready: replicas,
            most_pods: replicas,
        };
        for _ in 0..replicas {
            let id = cluster.new_id();
            cluster.pods.push((
                Pod {
                    id,
                    version,
                    state: PodState::Ready,
                },
                0,
            ));
        }
        cluster
    }

    fn new_id(&mut self) -> PodId {
        self.next_id += 1;
        PodId(self.next_id)
    }

    pub fn pods(&self) -> Vec<Pod> {
        self.pods.iter().map(|(p, _)| *p).collect()
    }

    /// Pods of `version` in `state`.
    pub fn count(&self, version: Version, state: PodState) -> usize {
        self.pods
            .iter()
            .filter(|(p, _)| p.version == version && p.state == state)
            .count()
    }

    /// Ready pods of any version: what serves traffic.
    pub fn ready(&self) -> usize {
        self.pods
            .iter()
            .filter(|(p, _)| p.state == PodState::Ready)
            .count()
    }

    /// Starts a pod of `version` (it is `Starting`).
    pub fn start(&mut self, version: Version) -> PodId {
        let id = self.new_id();
        let nth = self.started.entry(version).or_default();
        *nth += 1;
        // The age field of a pod doomed by `CrashesAfter` starts at u32::MAX as a mark.
        let doomed =
            matches!(self.plans.get(&version), Some(Plan::CrashesAfter { ready }) if *nth > *ready);
        self.pods.push((
            Pod {
                id,
                version,
                state: PodState::Starting,
            },
            if doomed { u32::MAX } else { 0 },
        ));
        self.most_pods = self.most_pods.max(self.pods.len());
        id
    }

    /// Stops a pod: it serves no more traffic from now on.
    pub fn stop(&mut self, id: PodId) {
        self.pods.retain(|(p, _)| p.id != id);
        self.fewest_ready = self.fewest_ready.min(self.ready());
    }

    /// One unit of time passes: starting pods progress as their version's plan says.
    pub fn tick(&mut self) {
        self.now += 1;
        assert!(
            self.now <= GIVE_UP_AFTER,
            "the rollout is still going after {GIVE_UP_AFTER} ticks: it never ends"
        );
        for (pod, age) in &mut self.pods {
            if pod.state != PodState::Starting {
                continue;
            }
            if *age == u32::MAX {
                pod.state = PodState::Failed;
                continue;
            }
            *age += 1;
            match self
                .plans
                .get(&pod.version)
                .copied()
                .unwrap_or(Plan::ReadyAfter(1))
            {
                Plan::ReadyAfter(n) if *age >= n => pod.state = PodState::Ready,
                Plan::CrashesAfter { .. } => pod.state = PodState::Ready,
                Plan::Crashes => pod.state = PodState::Failed,
                _ => {}
            }
        }
        self.fewest_ready = self.fewest_ready.min(self.ready());
    }

    /// Ticks since the cluster was made.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// The fewest ready pods at any moment so far (after every stop and every tick).
    pub fn fewest_ready(&self) -> usize {
        self.fewest_ready
    }

    /// The most pods (of any state) at any moment so far.
    pub fn most_pods(&self) -> usize {
        self.most_pods
    }
}
