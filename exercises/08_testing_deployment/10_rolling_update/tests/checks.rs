//! Rollouts over the simulated cluster, checked by what the cluster recorded: the fewest ready
//! pods and the most pods at any moment, and where every pod ended up. Each scenario runs
//! under several policies, because a rule that holds for one surge can break for another.

use rolling_update::{Cluster, Outcome, Plan, PodState, Policy, Reason, Version, roll_out};

const OLD: Version = Version(1);
const NEW: Version = Version(2);

fn policy(replicas: usize, max_surge: usize, max_unavailable: usize) -> Policy {
    Policy {
        replicas,
        max_surge,
        max_unavailable,
        progress_deadline: 10,
    }
}

/// The policies every scenario runs under: surge only, unavailability only, both, a big surge.
fn policies() -> Vec<Policy> {
    vec![
        policy(3, 1, 0),
        policy(4, 0, 1),
        policy(6, 2, 1),
        policy(5, 3, 0),
    ]
}

/// Every pod of `version`, ready, and exactly `replicas` of them.
fn assert_all(cluster: &Cluster, version: Version, p: &Policy) {
    let pods = cluster.pods();
    assert_eq!(pods.len(), p.replicas, "{p:?}: {pods:?}");
    assert!(
        pods.iter()
            .all(|pod| pod.version == version && pod.state == PodState::Ready),
        "{p:?}: every pod should be a ready {version:?}: {pods:?}"
    );
}

/// The limits held at every moment of the rollout.
fn assert_within_limits(cluster: &Cluster, p: &Policy) {
    assert!(
        cluster.fewest_ready() >= p.replicas - p.max_unavailable,
        "{p:?}: only {} pods were ready at one moment",
        cluster.fewest_ready()
    );
    assert!(
        cluster.most_pods() <= p.replicas + p.max_surge,
        "{p:?}: {} pods ran at one moment",
        cluster.most_pods()
    );
}

#[test]
fn a_good_release_replaces_every_pod_within_the_limits() {
    for p in policies() {
        let mut cluster = Cluster::new(p.replicas, OLD, &[(NEW, Plan::ReadyAfter(2))]);
        assert_eq!(
            roll_out(&mut cluster, OLD, NEW, &p),
            Outcome::Complete,
            "{p:?}"
        );
        assert_all(&cluster, NEW, &p);
        assert_within_limits(&cluster, &p);
    }
}

#[test]
fn slow_pods_that_keep_coming_up_are_progress_not_a_stuck_rollout() {
    // Each pod needs 4 ticks; the whole rollout needs far more than the deadline.
    let p = Policy {
        progress_deadline: 5,
        ..policy(6, 1, 0)
    };
    let mut cluster = Cluster::new(p.replicas, OLD, &[(NEW, Plan::ReadyAfter(4))]);
    assert_eq!(roll_out(&mut cluster, OLD, NEW, &p), Outcome::Complete);
    assert!(cluster.now() > 5 * 2, "took {} ticks", cluster.now());
    assert_all(&cluster, NEW, &p);
}

#[test]
fn a_crashing_release_is_rolled_back_at_once() {
    for p in policies() {
        let p = Policy {
            progress_deadline: 50,
            ..p
        };
        let mut cluster = Cluster::new(p.replicas, OLD, &[(NEW, Plan::Crashes)]);
        assert_eq!(
            roll_out(&mut cluster, OLD, NEW, &p),
            Outcome::RolledBack(Reason::Crashed),
            "{p:?}"
        );
        assert!(
            cluster.now() <= 5,
            "{p:?}: a crash was noticed only after {} ticks",
            cluster.now()
        );
        assert_all(&cluster, OLD, &p);
        assert_within_limits(&cluster, &p);
    }
}

#[test]
fn a_release_that_never_gets_ready_is_rolled_back_at_the_deadline() {
    for p in policies() {
        let mut cluster = Cluster::new(p.replicas, OLD, &[(NEW, Plan::Hangs)]);
        assert_eq!(
            roll_out(&mut cluster, OLD, NEW, &p),
            Outcome::RolledBack(Reason::NoProgress),
            "{p:?}"
        );
        assert!(
            (10..=15).contains(&cluster.now()),
            "{p:?}: gave up after {} ticks, the deadline is 10",
            cluster.now()
        );
        assert_all(&cluster, OLD, &p);
        assert_within_limits(&cluster, &p);
    }
}

#[test]
fn a_release_that_fails_halfway_is_rolled_back_without_dropping_capacity() {
    // The first two new pods come up and serve; the third crashes.
    for p in [policy(4, 1, 1), policy(6, 2, 1), policy(5, 2, 0)] {
        let mut cluster = Cluster::new(p.replicas, OLD, &[(NEW, Plan::CrashesAfter { ready: 2 })]);
        assert_eq!(
            roll_out(&mut cluster, OLD, NEW, &p),
            Outcome::RolledBack(Reason::Crashed),
            "{p:?}"
        );
        assert_all(&cluster, OLD, &p);
        assert_within_limits(&cluster, &p);
    }
}
