use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use backlings_support_http::server::serve;
use backlings_support_kv::kv;
use redis::AsyncCommands;
use service_discovery::*;

/// A registry for the service `name`, its keys deleted first.
async fn registry(name: &str, lease: Duration) -> Registry {
    kv::forget(&[&format!("svc:{name}:leases"), &format!("svc:{name}:addrs")]).await;
    Registry::new(kv::connection().await, lease)
}

#[tokio::test]
async fn instances_are_listed_with_their_addresses() {
    let r = registry("listed", Duration::from_secs(30)).await;
    r.register("listed", "b", "10.0.0.2:80").await.unwrap();
    r.register("listed", "a", "10.0.0.1:80").await.unwrap();
    r.register("listed", "a", "10.0.0.9:80").await.unwrap();
    assert_eq!(
        r.instances("listed").await.unwrap(),
        vec![
            ("a".to_string(), "10.0.0.9:80".to_string()),
            ("b".to_string(), "10.0.0.2:80".to_string())
        ],
        "registering again renews and updates: one entry per instance, its latest address"
    );
}

#[tokio::test]
async fn a_lease_that_is_not_renewed_ends_and_is_forgotten() {
    let lease = Duration::from_millis(300);
    let r = registry("expiring", lease).await;
    r.register("expiring", "a", "10.0.0.1:80").await.unwrap();
    r.register("expiring", "b", "10.0.0.2:80").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(r.heartbeat("expiring", "b").await.unwrap());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        r.instances("expiring").await.unwrap(),
        vec![("b".to_string(), "10.0.0.2:80".to_string())],
        "a crashed 350 ms ago and never renewed its 300 ms lease: it is gone; b renewed"
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(r.instances("expiring").await.unwrap(), vec![]);
    let mut conn = kv::connection().await;
    let (leases, addrs): (usize, usize) = (
        conn.zcard("svc:expiring:leases").await.unwrap(),
        conn.hlen("svc:expiring:addrs").await.unwrap(),
    );
    assert_eq!(
        (leases, addrs),
        (0, 0),
        "expired instances are removed, not only hidden: a registry of a service that scales \
         up and down all day would grow without end"
    );
}

#[tokio::test]
async fn heartbeats_keep_an_instance_listed() {
    let r = registry("beating", Duration::from_millis(300)).await;
    let registration = Registration::start(
        r.clone(),
        "beating",
        "a",
        "10.0.0.1:80",
        Duration::from_millis(100),
    )
    .await
    .unwrap();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            r.instances("beating").await.unwrap().len(),
            1,
            "an instance that heartbeats every 100 ms keeps its 300 ms lease"
        );
    }
    registration.drain(Duration::ZERO).await.unwrap();
    assert_eq!(r.instances("beating").await.unwrap(), vec![]);
}

#[tokio::test]
async fn a_heartbeat_does_not_bring_back_what_was_removed() {
    let r = registry("removed", Duration::from_millis(200)).await;
    r.register("removed", "a", "10.0.0.1:80").await.unwrap();
    r.deregister("removed", "a").await.unwrap();
    assert_eq!(
        r.instances("removed").await.unwrap(),
        vec![],
        "deregistered at once"
    );
    assert!(
        !r.heartbeat("removed", "a").await.unwrap(),
        "a heartbeat for an instance that is not registered says so"
    );
    assert_eq!(
        r.instances("removed").await.unwrap(),
        vec![],
        "and does not register it: a heartbeat racing a deregistration would bring back an \
         instance that is shutting down"
    );
    r.register("removed", "b", "10.0.0.2:80").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !r.heartbeat("removed", "b").await.unwrap(),
        "b's lease ended 100 ms ago: too late to renew (it may have been replaced)"
    );
    assert_eq!(r.instances("removed").await.unwrap(), vec![]);
}

#[tokio::test]
async fn requests_are_spread_evenly_over_the_live_instances() {
    let r = registry("spread", Duration::from_secs(30)).await;
    for i in 0..3 {
        r.register("spread", &format!("i{i}"), &format!("10.0.0.{i}:80"))
            .await
            .unwrap();
    }
    let balancer = Balancer::new(r.clone(), "spread");
    assert_eq!(
        balancer.pick(),
        None,
        "before the first refresh, nothing is known"
    );
    balancer.refresh().await.unwrap();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for _ in 0..300 {
        *counts.entry(balancer.pick().unwrap()).or_default() += 1;
    }
    assert_eq!(
        counts.values().copied().collect::<Vec<_>>(),
        vec![100; 3],
        "300 requests, 3 instances, round robin: 100 each ({counts:?})"
    );
    r.deregister("spread", "i1").await.unwrap();
    balancer.refresh().await.unwrap();
    for _ in 0..10 {
        assert_ne!(balancer.pick().as_deref(), Some("10.0.0.1:80"));
    }
}

/// An instance on 127.0.0.1 that counts the requests it serves; once `stopped`, the process is
/// gone: a request that reaches it fails.
async fn instance() -> (String, Arc<AtomicUsize>, Arc<AtomicBool>) {
    let served = Arc::new(AtomicUsize::new(0));
    let stopped = Arc::new(AtomicBool::new(false));
    let (count, gone) = (Arc::clone(&served), Arc::clone(&stopped));
    let app = Router::new().route(
        "/",
        get(move || {
            let (count, gone) = (Arc::clone(&count), Arc::clone(&gone));
            async move {
                if gone.load(Ordering::SeqCst) {
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                count.fetch_add(1, Ordering::SeqCst);
                StatusCode::OK
            }
        }),
    );
    let url = serve(app).await;
    let addr = url.trim_start_matches("http://").to_string();
    (addr, served, stopped)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_request_reaches_an_instance_that_drained() {
    let lease = Duration::from_millis(600);
    let r = registry("draining", lease).await;
    let mut servers = Vec::new();
    let mut registrations = Vec::new();
    for i in 0..3 {
        let (addr, served, stopped) = instance().await;
        let registration = Registration::start(
            r.clone(),
            "draining",
            &format!("i{i}"),
            &addr,
            Duration::from_millis(50),
        )
        .await
        .unwrap();
        servers.push((served, stopped));
        registrations.push(Some(registration));
    }
    // A client that sends requests all the time; it refreshes its list every 100 ms (the
    // test does that for it, so that the refreshes fall at known moments).
    let balancer = Arc::new(Balancer::new(r.clone(), "draining"));
    balancer.refresh().await.unwrap();
    let running = Arc::new(AtomicBool::new(true));
    let failures = Arc::new(AtomicUsize::new(0));
    let client = {
        let (balancer, running, failures) = (
            Arc::clone(&balancer),
            Arc::clone(&running),
            Arc::clone(&failures),
        );
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            while running.load(Ordering::SeqCst) {
                let Some(addr) = balancer.pick() else {
                    failures.fetch_add(1, Ordering::SeqCst);
                    // No instance known: wait a little, as a client would, before it asks again.
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let ok = http
                    .get(format!("http://{addr}/"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if !ok {
                    failures.fetch_add(1, Ordering::SeqCst);
                }
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    balancer.refresh().await.unwrap();
    // i1 is shut down: it drains with a grace of 3 refresh intervals, then its process stops.
    let draining = registrations[1].take().unwrap();
    let stopped = Arc::clone(&servers[1].1);
    // The moment drain returns, the process stops.
    let drained = tokio::spawn(async move {
        draining.drain(Duration::from_millis(300)).await.unwrap();
        stopped.store(true, Ordering::SeqCst);
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    balancer.refresh().await.unwrap();
    drained.await.unwrap();
    let served_at_stop = servers[1].0.load(Ordering::SeqCst);
    for _ in 0..(lease * 2).as_millis() / 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        balancer.refresh().await.unwrap();
    }
    running.store(false, Ordering::SeqCst);
    client.await.unwrap();

    assert!(served_at_stop > 0, "i1 served requests before it drained");
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "requests reached i1 after its process stopped. Draining is: stop heartbeating (or a \
         heartbeat puts it back), deregister, and keep serving until every client has \
         refreshed its list — then stop"
    );
    assert!(
        !r.instances("draining")
            .await
            .unwrap()
            .iter()
            .any(|(id, _)| id == "i1"),
        "i1 is not registered once it drained"
    );
    for (i, (served, _)) in servers.iter().enumerate() {
        if i != 1 {
            assert!(served.load(Ordering::SeqCst) > 0, "i{i} kept serving");
        }
    }
    for registration in registrations.into_iter().flatten() {
        registration.drain(Duration::ZERO).await.unwrap();
    }
}
