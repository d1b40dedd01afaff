use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use backlings_support::within;
use backlings_support_kv::fault::CutProxy;
use backlings_support_kv::kv;
use distributed_rate_limit::*;
use redis::AsyncCommands;
use tokio::sync::Barrier;

/// Three instances of the service, each with its own connection to the shared Redis.
async fn instances(capacity: u32, per_second: f64) -> Vec<RateLimiter> {
    let mut out = Vec::new();
    for _ in 0..3 {
        out.push(RateLimiter::new(
            kv::connection().await,
            capacity,
            per_second,
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_admit_exactly_the_capacity_of_a_burst() {
    kv::forget(&[&bucket_key("burst")]).await;
    let limiters = Arc::new(instances(50, 0.001).await);
    let requests = 300;
    let barrier = Arc::new(Barrier::new(requests));
    let admitted = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..requests)
        .map(|i| {
            let (limiters, barrier, admitted) = (
                Arc::clone(&limiters),
                Arc::clone(&barrier),
                Arc::clone(&admitted),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                let decision = limiters[i % 3].check("burst").await.unwrap();
                if decision.allowed {
                    admitted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        within(Duration::from_secs(30), "the burst", task)
            .await
            .unwrap();
    }
    assert_eq!(
        admitted.load(Ordering::SeqCst),
        50,
        "300 requests at once through three instances, a bucket of 50: exactly 50 get through. \
         A limit kept per instance would let 150 through; a read and a write as two commands \
         let several instances spend the same token"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_token_is_spent_once_at_every_interleaving() {
    let proxy = CutProxy::in_front_of(&kv::redis_url()).await;
    for n in 0.. {
        let key = format!("last-token-{n}");
        kv::forget(&[&bucket_key(&key)]).await;
        // Instance A's requests go through the proxy, which holds its n-th one back while
        // instance B takes a token in full; then A goes on.
        let a = RateLimiter::new(kv::connection_via(&proxy).await, 1, 0.001);
        let b = RateLimiter::new(kv::connection().await, 1, 0.001);
        proxy.hold_after_round_trips(n);
        let first = {
            let key = key.clone();
            tokio::spawn(async move { a.check(&key).await.unwrap().allowed })
        };
        let held = proxy.held_within(Duration::from_secs(2)).await;
        let second = b.check(&key).await.unwrap().allowed;
        proxy.release();
        let first = within(Duration::from_secs(10), "instance A", first)
            .await
            .unwrap();
        assert!(
            !(first && second),
            "one token, and both instances spent it (A held after {n} round trips, B in \
             between): the read of the bucket and the write back must be one atomic step — \
             one Lua script, which Redis runs alone"
        );
        assert!(first || second, "one of them gets the token");
        if !held {
            break;
        }
        assert!(n < 20, "check never finished");
    }
}

#[tokio::test]
async fn tokens_come_back_at_the_rate() {
    kv::forget(&[&bucket_key("refill")]).await;
    let limiters = instances(2, 10.0).await;
    assert!(limiters[0].check("refill").await.unwrap().allowed);
    assert!(limiters[1].check("refill").await.unwrap().allowed);
    let refused = limiters[2].check("refill").await.unwrap();
    assert!(!refused.allowed, "2 tokens, 3 requests at once");
    assert!(
        refused.retry_after > Duration::ZERO && refused.retry_after <= Duration::from_millis(100),
        "at 10 tokens a second the next one is at most 100 ms away: {:?}",
        refused.retry_after
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(
        limiters[0].check("refill").await.unwrap().allowed,
        "150 ms later, a token has come back"
    );
    assert!(
        !limiters[1].check("refill").await.unwrap().allowed,
        "one, not two: the bucket refills at the rate"
    );
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let mut burst = 0;
    for _ in 0..5 {
        if limiters[2].check("refill").await.unwrap().allowed {
            burst += 1;
        }
    }
    assert_eq!(
        burst, 2,
        "after a quiet second the bucket is full — and no fuller than 2"
    );
}

#[tokio::test]
async fn retry_after_says_when_the_next_token_comes() {
    kv::forget(&[&bucket_key("slow")]).await;
    let limiter = RateLimiter::new(kv::connection().await, 1, 1.0);
    assert!(limiter.check("slow").await.unwrap().allowed);
    let refused = limiter.check("slow").await.unwrap();
    assert!(!refused.allowed);
    assert!(
        refused.retry_after > Duration::from_millis(800)
            && refused.retry_after <= Duration::from_millis(1_000),
        "one token a second, just spent: the next in a little under a second, got {:?}",
        refused.retry_after
    );
    let allowed = RateLimiter::new(kv::connection().await, 1, 1.0)
        .check("another")
        .await
        .unwrap();
    assert_eq!(
        allowed.retry_after,
        Duration::ZERO,
        "an admitted request waits for nothing"
    );
}

#[tokio::test]
async fn each_key_has_its_own_bucket_which_expires_when_idle() {
    kv::forget(&[&bucket_key("alice"), &bucket_key("bob")]).await;
    let limiter = RateLimiter::new(kv::connection().await, 1, 0.5);
    assert!(limiter.check("alice").await.unwrap().allowed);
    assert!(!limiter.check("alice").await.unwrap().allowed);
    assert!(
        limiter.check("bob").await.unwrap().allowed,
        "alice's bucket is empty, bob's is not"
    );
    let ttl: i64 = kv::connection()
        .await
        .pttl(bucket_key("alice"))
        .await
        .unwrap();
    assert!(
        ttl > 0 && ttl <= 2_000 + 1_000,
        "a bucket left alone is full again after capacity / rate = 2 s, the same as no bucket: \
         it expires then (PTTL {ttl}), or every client that ever called leaves a key behind"
    );
}
