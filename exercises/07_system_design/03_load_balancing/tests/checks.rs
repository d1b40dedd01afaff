use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use backlings_support_http::server::serve;
use load_balancing::*;

/// A backend on 127.0.0.1 that takes `delay` per request and answers 500 while `failing`.
async fn backend(delay: Duration, failing: bool) -> (String, Arc<AtomicBool>) {
    let fails = Arc::new(AtomicBool::new(failing));
    let flag = Arc::clone(&fails);
    let app = Router::new().route(
        "/work",
        get(move || {
            let flag = Arc::clone(&flag);
            async move {
                tokio::time::sleep(delay).await;
                if flag.load(Ordering::SeqCst) {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    (serve(app).await, fails)
}

const FAST: Duration = Duration::from_millis(1);
const SLOW: Duration = Duration::from_millis(200);
const NO_EJECTION: HealthConfig = HealthConfig {
    eject_after: u32::MAX,
    cooldown: Duration::ZERO,
};

async fn urls(backends: &[(Duration, bool)]) -> (Vec<String>, Vec<Arc<AtomicBool>>) {
    let mut urls = Vec::new();
    let mut flags = Vec::new();
    for &(delay, failing) in backends {
        let (url, flag) = backend(delay, failing).await;
        urls.push(url);
        flags.push(flag);
    }
    (urls, flags)
}

/// `requests` requests from `workers` concurrent clients; how many each backend served.
async fn load(balancer: Arc<Balancer>, workers: usize, requests: usize) -> Vec<usize> {
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let balancer = Arc::clone(&balancer);
            tokio::spawn(async move {
                let mut served = Vec::new();
                for _ in 0..requests / workers {
                    served.push(balancer.get("/work").await.expect("a backend").backend);
                }
                served
            })
        })
        .collect();
    let mut counts = vec![0; 3];
    for task in tasks {
        for backend in task.await.unwrap() {
            counts[backend] += 1;
        }
    }
    counts
}

#[tokio::test]
async fn round_robin_takes_turns() {
    let (urls, _) = urls(&[(FAST, false); 3]).await;
    let balancer = Balancer::new(&urls, Policy::RoundRobin, NO_EJECTION);
    let mut order = Vec::new();
    for _ in 0..300 {
        order.push(balancer.get("/work").await.unwrap().backend);
    }
    let counts: Vec<usize> = (0..3)
        .map(|b| order.iter().filter(|&&o| o == b).count())
        .collect();
    assert_eq!(
        counts,
        vec![100, 100, 100],
        "300 requests, 3 backends, in turn"
    );
    assert!(
        order.windows(2).all(|w| w[0] != w[1]),
        "round robin never sends two requests in a row to one backend of three"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn least_outstanding_sends_less_to_the_slow_backend() {
    let (urls, _) = urls(&[(SLOW, false), (FAST, false), (FAST, false)]).await;
    let balancer = Arc::new(Balancer::new(&urls, Policy::LeastOutstanding, NO_EJECTION));
    let counts = load(balancer, 12, 600).await;
    assert!(
        counts[0] * 10 <= 600,
        "the backend that takes 200 ms served {} of 600 requests ({counts:?}); round robin \
         would give it a third. Least outstanding requests sends each request where the fewest \
         are in flight, and a slow backend always has some",
        counts[0]
    );
    assert!(
        counts[1] > 100 && counts[2] > 100,
        "both fast backends share: {counts:?}"
    );
}

#[tokio::test]
async fn least_outstanding_breaks_ties_in_turn() {
    let (urls, _) = urls(&[(FAST, false); 3]).await;
    let balancer = Balancer::new(&urls, Policy::LeastOutstanding, NO_EJECTION);
    let mut counts = [0; 3];
    for _ in 0..30 {
        counts[balancer.get("/work").await.unwrap().backend] += 1;
    }
    assert_eq!(
        counts,
        [10, 10, 10],
        "one request at a time: every backend has 0 in flight at every pick. A tie broken by \
         position sends everything to the first backend"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn power_of_two_choices_avoids_the_slow_backend_too() {
    let (urls, _) = urls(&[(SLOW, false), (FAST, false), (FAST, false)]).await;
    let balancer = Arc::new(Balancer::new(
        &urls,
        Policy::PowerOfTwoChoices { seed: 7 },
        NO_EJECTION,
    ));
    let counts = load(balancer, 12, 600).await;
    assert!(
        counts[0] * 10 <= 600,
        "the slow backend served {} of 600 ({counts:?}): of two distinct backends drawn at \
         random, the one with fewer requests in flight gets the request — the slow one \
         loses every draw against a free fast one",
        counts[0]
    );
}

#[tokio::test]
async fn power_of_two_choices_is_repeatable_with_a_seed() {
    let (urls, _) = urls(&[(FAST, false); 3]).await;
    let picks = |seed| {
        let urls = urls.clone();
        async move {
            let balancer = Balancer::new(&urls, Policy::PowerOfTwoChoices { seed }, NO_EJECTION);
            let mut picks = Vec::new();
            for _ in 0..60 {
                picks.push(balancer.get("/work").await.unwrap().backend);
            }
            picks
        }
    };
    let (a, b) = (picks(42).await, picks(42).await);
    assert_eq!(
        a, b,
        "the same seed, the same choices: a test can replay them"
    );
    for backend in 0..3 {
        assert!(a.contains(&backend), "every backend is drawn: {a:?}");
    }
}

#[tokio::test]
async fn a_failing_backend_is_ejected_and_probed_back() {
    let (urls, flags) = urls(&[(FAST, true), (FAST, false), (FAST, false)]).await;
    let health = HealthConfig {
        eject_after: 3,
        cooldown: Duration::from_millis(300),
    };
    let balancer = Balancer::new(&urls, Policy::RoundRobin, health);
    let mut to_failing = 0;
    for _ in 0..60 {
        if balancer.get("/work").await.unwrap().backend == 0 {
            to_failing += 1;
        }
    }
    assert_eq!(
        to_failing, 3,
        "3 failures in a row eject the backend: of 60 requests it got {to_failing}, not 3 — \
         every request sent to a backend known to fail is an error a user sees"
    );
    tokio::time::sleep(health.cooldown + Duration::from_millis(50)).await;
    let mut probes = 0;
    for _ in 0..30 {
        if balancer.get("/work").await.unwrap().backend == 0 {
            probes += 1;
        }
    }
    assert_eq!(
        probes, 1,
        "after the cooldown, one request probes it; it fails, and it is ejected again at once \
         (not after 3 more failures)"
    );
    flags[0].store(false, Ordering::SeqCst);
    tokio::time::sleep(health.cooldown + Duration::from_millis(50)).await;
    let mut counts = [0; 3];
    for _ in 0..31 {
        counts[balancer.get("/work").await.unwrap().backend] += 1;
    }
    assert!(
        counts[0] >= 10,
        "the probe succeeded: the backend is back in rotation ({counts:?})"
    );
}

#[tokio::test]
async fn with_every_backend_ejected_there_is_no_backend() {
    let (urls, _) = urls(&[(FAST, true), (FAST, true), (FAST, true)]).await;
    let health = HealthConfig {
        eject_after: 1,
        cooldown: Duration::from_secs(60),
    };
    let balancer = Balancer::new(&urls, Policy::RoundRobin, health);
    for _ in 0..3 {
        let served = balancer.get("/work").await.unwrap();
        assert_eq!(served.status, Some(500));
    }
    assert_eq!(balancer.get("/work").await, Err(BalancerError::NoBackend));
}

#[tokio::test]
async fn a_cancelled_request_is_no_longer_in_flight() {
    let (urls, _) = urls(&[(SLOW, false), (FAST, false), (FAST, false)]).await;
    let balancer = Balancer::new(&urls, Policy::RoundRobin, NO_EJECTION);
    // The first request goes to backend 0 (slow); its caller gives up after 20 ms.
    let gave_up = tokio::time::timeout(Duration::from_millis(20), balancer.get("/work")).await;
    assert!(gave_up.is_err());
    assert_eq!(
        balancer.outstanding(0),
        0,
        "a request whose caller gave up is not in flight any more: counted forever, the \
         backend looks busier and busier until least-outstanding never picks it again"
    );
}
