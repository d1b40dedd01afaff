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

/// Moves `cluster` from `from` to `to` within `policy`, or back to `from` if `to` fails.
pub fn roll_out(cluster: &mut Cluster, from: Version, to: Version, policy: &Policy) -> Outcome {
    todo!(
        "roll {} pods from {from:?} to {to:?} within {policy:?}",
        cluster.pods().len()
    )
}
