//! Blue-green over real HTTP: two deployments that take 20 ms per request and fail what is in
//! flight when they are stopped, a router hammered by 16 clients while it switches, and the old
//! deployment stopped the moment the switch says it may be. Canary: 10 000 users, SLOs judged
//! on error patterns chosen so that each weaker rule gives another answer.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use backlings_support::within;
use blue_green_canary::{Arm, BlueGreen, Canary, Slo, SwitchError, proxy_app};
use tokio::net::TcpListener;

/// A deployment: answers its color after 20 ms; once stopped, fails what is in flight and all
/// that comes (as a killed process would).
struct Deployment {
    url: String,
    stopped: Arc<AtomicBool>,
}

async fn deployment(color: &'static str, ready: bool) -> Deployment {
    let stopped = Arc::new(AtomicBool::new(false));
    let app = Router::new()
        .route(
            "/readyz",
            get(move || async move {
                if ready {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }),
        )
        .route(
            "/color",
            get(move |State(stopped): State<Arc<AtomicBool>>| async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if stopped.load(Ordering::SeqCst) {
                    (StatusCode::SERVICE_UNAVAILABLE, "stopped")
                } else {
                    (StatusCode::OK, color)
                }
            }),
        )
        .with_state(Arc::clone(&stopped));
    Deployment {
        url: serve(app).await,
        stopped,
    }
}

async fn serve(app: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// 16 clients asking the router for `/color` until told to stop; every answer, in order.
fn hammer(
    front: String,
    stop: Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<(u16, String)>>> {
    (0..16)
        .map(|_| {
            let (front, stop) = (front.clone(), Arc::clone(&stop));
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut seen = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let r = client.get(format!("{front}/color")).send().await.unwrap();
                    seen.push((r.status().as_u16(), r.text().await.unwrap()));
                }
                seen
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_switch_under_load_loses_no_request_and_the_old_side_can_be_stopped_at_once() {
    let (blue, green) = (
        deployment("blue", true).await,
        deployment("green", true).await,
    );
    let router = Arc::new(BlueGreen::new(&blue.url));
    let front = serve(proxy_app(Arc::clone(&router))).await;
    let stop = Arc::new(AtomicBool::new(false));
    let clients = hammer(front, Arc::clone(&stop));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let old = within(
        Duration::from_secs(5),
        "the switch",
        router.switch(&green.url),
    )
    .await
    .expect("green is ready");
    assert_eq!(
        old, blue.url,
        "the switch returns the deployment it drained"
    );
    // The switch said blue is drained: stop it now, as a deploy script would.
    blue.stopped.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);

    let mut answers = Vec::new();
    for c in clients {
        answers.push(c.await.unwrap());
    }
    let all: Vec<&(u16, String)> = answers.iter().flatten().collect();
    let failed = all.iter().filter(|(s, _)| *s != 200).count();
    assert_eq!(
        failed,
        0,
        "{failed} of {} requests failed: some were still in flight to blue when the switch returned",
        all.len()
    );
    assert!(all.iter().any(|(_, c)| c == "blue") && all.iter().any(|(_, c)| c == "green"));
    for one_client in &answers {
        let first_green = one_client.iter().position(|(_, c)| c == "green");
        if let Some(at) = first_green {
            assert!(
                one_client[at..].iter().all(|(_, c)| c == "green"),
                "a client was sent back to blue after green went live"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_that_is_not_ready_is_not_switched_to() {
    let (blue, green) = (
        deployment("blue", true).await,
        deployment("green", false).await,
    );
    let router = Arc::new(BlueGreen::new(&blue.url));
    assert_eq!(
        router.switch(&green.url).await,
        Err(SwitchError::NotReady(green.url.clone()))
    );
    assert_eq!(router.route().url(), blue.url, "traffic stays on blue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switching_waits_for_the_old_sides_slowest_request() {
    let (blue, green) = (
        deployment("blue", true).await,
        deployment("green", true).await,
    );
    let router = Arc::new(BlueGreen::new(&blue.url));
    let held = router.route();
    let switching = {
        let router = Arc::clone(&router);
        let green = green.url.clone();
        tokio::spawn(async move { router.switch(&green).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !switching.is_finished(),
        "the switch returned while a request to blue was in flight"
    );
    assert_eq!(
        router.route().url(),
        green.url,
        "new requests already go to green"
    );
    drop(held);
    let old = within(Duration::from_secs(2), "the switch", switching)
        .await
        .unwrap();
    assert_eq!(old, Ok(blue.url.clone()));
}

fn users() -> impl Iterator<Item = String> {
    (0..10_000).map(|n| format!("user-{n}"))
}

const SLO: Slo = Slo {
    max_error_rate: 0.01,
    min_requests: 200,
};

#[test]
fn five_percent_of_the_users_are_on_the_canary() {
    let canary = Canary::new(5.0, SLO);
    let on = users().filter(|u| canary.arm_for(u) == Arm::Canary).count();
    assert!((450..=550).contains(&on), "{on} of 10 000 users");
    let none = Canary::new(0.0, SLO);
    assert_eq!(
        users().filter(|u| none.arm_for(u) == Arm::Canary).count(),
        0
    );
}

#[test]
fn a_user_stays_on_their_arm_in_every_instance_and_a_bigger_canary_keeps_them() {
    let (a, b) = (Canary::new(5.0, SLO), Canary::new(5.0, SLO));
    let bigger = Canary::new(20.0, SLO);
    for u in users() {
        let arm = a.arm_for(&u);
        assert_eq!(arm, a.arm_for(&u), "{u} changed arm between two requests");
        assert_eq!(
            arm,
            b.arm_for(&u),
            "{u} is on another arm in another instance of the router"
        );
        if arm == Arm::Canary {
            assert_eq!(
                bigger.arm_for(&u),
                Arm::Canary,
                "{u} left the canary when it grew"
            );
        }
    }
}

/// Feeds `n` canary results; request i fails when `fails(i)`.
fn feed(canary: &Canary, n: u64, fails: impl Fn(u64) -> bool) {
    for i in 0..n {
        canary.record(Arm::Canary, !fails(i));
    }
}

#[test]
fn a_canary_over_its_error_budget_is_rolled_back_and_everyone_goes_stable() {
    let canary = Canary::new(5.0, SLO);
    feed(&canary, 199, |i| i % 20 == 0); // 5 % errors, not enough requests to judge yet
    assert!(!canary.rolled_back(), "judged before min_requests");
    feed(&canary, 1, |_| false);
    assert!(
        canary.rolled_back(),
        "10 of 200 requests failed, the budget is 1 %"
    );
    assert!(users().all(|u| canary.arm_for(&u) == Arm::Stable));
    feed(&canary, 5_000, |_| false);
    assert!(
        canary.rolled_back(),
        "a rolled-back canary came back by itself"
    );
}

#[test]
fn a_canary_within_its_budget_stays_even_if_its_first_request_fails() {
    let canary = Canary::new(5.0, SLO);
    // One error in every 200 requests (0.5 %), the first among the first three.
    feed(&canary, 2_000, |i| i % 200 == 2);
    assert!(!canary.rolled_back());
    // Exactly at the budget (1 %) is within it.
    let edge = Canary::new(5.0, SLO);
    feed(&edge, 200, |i| i == 0 || i == 100);
    assert!(
        !edge.rolled_back(),
        "2 errors in 200 is 1 %: not over the budget"
    );
}

#[test]
fn only_the_canarys_own_requests_judge_it() {
    // The stable arm failing says nothing about the canary.
    let canary = Canary::new(5.0, SLO);
    for i in 0..2_000 {
        canary.record(Arm::Stable, i % 2 == 0);
    }
    feed(&canary, 300, |_| false);
    assert!(
        !canary.rolled_back(),
        "rolled back for the stable arm's errors"
    );
    // Nor does its success hide the canary's failures: 19 stable requests per canary one.
    let diluted = Canary::new(5.0, SLO);
    for i in 0..400 {
        for _ in 0..19 {
            diluted.record(Arm::Stable, true);
        }
        diluted.record(Arm::Canary, i % 10 != 0);
    }
    assert!(
        diluted.rolled_back(),
        "10 % of the canary's requests failed"
    );
}

#[test]
fn concurrent_results_are_all_counted() {
    let canary = Arc::new(Canary::new(
        5.0,
        Slo {
            max_error_rate: 0.01,
            min_requests: 8_000,
        },
    ));
    let failures = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for t in 0..8 {
            let (canary, failures) = (Arc::clone(&canary), Arc::clone(&failures));
            s.spawn(move || {
                for i in 0..1_000 {
                    // 81 failures in 8 000 (1.01 %) once all are counted.
                    let fail = t == 0 && i <= 80;
                    if fail {
                        failures.fetch_add(1, Ordering::SeqCst);
                    }
                    canary.record(Arm::Canary, !fail);
                }
            });
        }
    });
    assert_eq!(failures.load(Ordering::SeqCst), 81);
    assert!(
        canary.rolled_back(),
        "81 of 8 000 failed; a lost update kept it under 1 %"
    );
}
