//! A rolling update over a simulated cluster (`cluster`): replace every pod of one version by
//! a pod of the next, never with fewer ready pods than the policy allows nor more pods than
//! it can afford, and roll back when the new version crashes or stops making progress.

pub mod cluster;

pub use cluster::{Cluster, Plan, Pod, PodId, PodState, Version};

/// The rollout's limits, as a Deployment's `RollingUpdate` strategy states them.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub replicas: usize,
    /// Pods allowed above `replicas` while rolling.
    pub max_surge: usize,
    /// Ready pods allowed below `replicas` while rolling.
    pub max_unavailable: usize,
    /// Ticks without a new pod becoming ready before the rollout is declared stuck.
    pub progress_deadline: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// A pod of the new version crashed.
    Crashed,
    /// No new pod became ready within the progress deadline.
    NoProgress,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every pod runs the new version and is ready.
    Complete,
    /// The new version failed; every pod runs the old version again and is ready.
    RolledBack(Reason),
}

pub fn roll_out(cluster: &mut Cluster, from: Version, to: Version, policy: &Policy) -> Outcome {
    match converge(cluster, to, policy) {
        Ok(()) => Outcome::Complete,
        Err(reason) => {
            // The old version is known good: rolling back is the same walk the other way,
            // under the same limits.
            if let Err(again) = converge(cluster, from, policy) {
                panic!("the rollback to {from:?} failed too ({again:?})");
            }
            Outcome::RolledBack(reason)
        }
    }
}

/// Replaces every pod that is not a ready pod of `target` by one that is.
fn converge(cluster: &mut Cluster, target: Version, policy: &Policy) -> Result<(), Reason> {
    let floor = policy.replicas.saturating_sub(policy.max_unavailable);
    let ceiling = policy.replicas + policy.max_surge;
    let mut idle = 0;
    loop {
        if cluster.count(target, PodState::Failed) > 0 {
            return Err(Reason::Crashed);
        }
        let others: Vec<Pod> = cluster
            .pods()
            .into_iter()
            .filter(|p| p.version != target)
            .collect();
        let ready_before = cluster.count(target, PodState::Ready);
        if others.is_empty() && ready_before >= policy.replicas {
            return Ok(());
        }
        // Scale down: pods that serve nothing go at once; a ready one only while the rest
        // stay at or above the floor.
        for pod in others.iter().filter(|p| p.state != PodState::Ready) {
            cluster.stop(pod.id);
        }
        for pod in others.iter().filter(|p| p.state == PodState::Ready) {
            if cluster.ready() > floor {
                cluster.stop(pod.id);
            }
        }
        // Scale up within the surge.
        let mut wanted = policy.replicas.saturating_sub(
            cluster
                .pods()
                .iter()
                .filter(|p| p.version == target)
                .count(),
        );
        while wanted > 0 && cluster.pods().len() < ceiling {
            cluster.start(target);
            wanted -= 1;
        }
        cluster.tick();
        // Progress is a pod of the target becoming ready (Kubernetes' progressDeadlineSeconds
        // counts time without progress, not time since the start).
        if cluster.count(target, PodState::Ready) > ready_before {
            idle = 0;
        } else {
            idle += 1;
            if idle >= policy.progress_deadline {
                return Err(Reason::NoProgress);
            }
        }
    }
}
