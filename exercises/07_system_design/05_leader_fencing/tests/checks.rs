use std::sync::Arc;
use std::time::Duration;

use backlings_support::within;
use backlings_support_kv::kv;
use leader_fencing::*;
use tokio::sync::Barrier;

const LEASE: Duration = Duration::from_millis(300);

/// The election `name` as seen by one node (its own connection), its keys deleted first when
/// `fresh`.
async fn election(name: &str, fresh: bool) -> Election {
    if fresh {
        kv::forget(&[
            &format!("leader:{name}:lock"),
            &format!("leader:{name}:token"),
            &format!("leader:{name}:fence"),
        ])
        .await;
    }
    Election::new(kv::connection().await, name, LEASE)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_many_candidates_at_once_exactly_one_leads() {
    election("crowd", true).await;
    let candidates = 20;
    let barrier = Arc::new(Barrier::new(candidates));
    let tasks: Vec<_> = (0..candidates)
        .map(|i| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                let e = election("crowd", false).await;
                barrier.wait().await;
                e.try_acquire(&format!("node-{i}")).await.unwrap()
            })
        })
        .collect();
    let mut leaders = Vec::new();
    for task in tasks {
        if let Some(lease) = within(Duration::from_secs(10), "a candidate", task)
            .await
            .unwrap()
        {
            leaders.push(lease);
        }
    }
    assert_eq!(
        leaders.len(),
        1,
        "20 schedulers tried at the same instant: {leaders:?}. Two leaders run every job twice; \
         taking the lock must be one atomic command (SET NX)"
    );
}

#[tokio::test]
async fn a_leader_keeps_leading_by_renewing_and_loses_it_by_not() {
    let (a, b) = (
        election("renew", true).await,
        election("renew", false).await,
    );
    let lease = a.try_acquire("a").await.unwrap().expect("a leads");
    for _ in 0..4 {
        tokio::time::sleep(LEASE / 3).await;
        assert!(a.renew(&lease).await.unwrap(), "a renews in time");
        assert_eq!(b.try_acquire("b").await.unwrap(), None, "b must wait");
    }
    assert_eq!(
        a.try_acquire("a").await.unwrap().map(|l| l.token),
        Some(lease.token),
        "asking again as the leader is renewing: same token"
    );
    tokio::time::sleep(LEASE + Duration::from_millis(100)).await;
    let next = b
        .try_acquire("b")
        .await
        .unwrap()
        .expect("a's lease ended: b leads");
    assert!(
        next.token > lease.token,
        "every new leader has a larger token: {} after {}",
        next.token,
        lease.token
    );
    assert!(
        !a.renew(&lease).await.unwrap(),
        "a paused past its lease and b leads now: a's renewal must fail, not extend b's lease"
    );
    a.release(&lease).await.unwrap();
    assert!(
        b.renew(&next).await.unwrap(),
        "a's late release must not end b's leadership: release only what you hold"
    );
}

#[tokio::test]
async fn a_paused_ex_leaders_write_is_fenced_off() {
    let (a, b) = (
        election("fence", true).await,
        election("fence", false).await,
    );
    kv::forget(&["job:fence"]).await;
    let store = FencedStore::new(kv::connection().await, "job:fence");
    let old = a.try_acquire("a").await.unwrap().expect("a leads");
    assert!(store.write(old.token, "a: step 1").await.unwrap());
    assert!(
        store.write(old.token, "a: step 2").await.unwrap(),
        "a leader writes as often as it needs with its token"
    );
    // a stops for longer than its lease (a GC pause, a VM migration, a slow disk)…
    tokio::time::sleep(LEASE + Duration::from_millis(100)).await;
    let new = b.try_acquire("b").await.unwrap().expect("b leads");
    assert!(store.write(new.token, "b: step 1").await.unwrap());
    // …and wakes up still believing it leads.
    assert!(
        !store.write(old.token, "a: step 3").await.unwrap(),
        "a's lease ended while it was paused and b has written since: a's write carries an \
         older token and must be refused. A lease alone cannot stop a writer that does not \
         know it lost it; the resource checking the token can"
    );
    assert_eq!(store.read().await.unwrap().as_deref(), Some("b: step 1"));
}

#[tokio::test]
async fn tokens_grow_across_every_change_of_leader() {
    let nodes = [
        election("tokens", true).await,
        election("tokens", false).await,
        election("tokens", false).await,
    ];
    let mut tokens = Vec::new();
    for round in 0..6 {
        let lease = nodes[round % 3]
            .try_acquire(&format!("node-{}", round % 3))
            .await
            .unwrap()
            .expect("free");
        tokens.push(lease.token);
        nodes[round % 3].release(&lease).await.unwrap();
    }
    assert!(
        tokens.windows(2).all(|w| w[1] > w[0]),
        "every leadership has a larger token than the one before: {tokens:?}"
    );
}
