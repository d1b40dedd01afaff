use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use circuit_breaker::*;
use tokio::sync::{Barrier, Semaphore};
use tower::retry::RetryLayer;
use tower::retry::budget::TpsBudget;
use tower::{Layer, Service, ServiceExt};

/// A backend that fails while `down`, counts the calls that reach it, and, when `gate` has no
/// permits, holds each call until one is added.
#[derive(Clone)]
struct Backend {
    down: Arc<AtomicBool>,
    calls: Arc<AtomicUsize>,
    gate: Option<Arc<Semaphore>>,
}

impl Backend {
    fn new(down: bool) -> Backend {
        Backend {
            down: Arc::new(AtomicBool::new(down)),
            calls: Arc::new(AtomicUsize::new(0)),
            gate: None,
        }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl Service<u32> for Backend {
    type Response = u32;
    type Error = String;
    type Future = futures_util::future::BoxFuture<'static, Result<u32, String>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), String>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: u32) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let down = self.down.load(Ordering::SeqCst);
        let gate = self.gate.clone();
        Box::pin(async move {
            if let Some(gate) = gate {
                gate.acquire().await.unwrap().forget();
            }
            if down {
                Err(format!("backend down ({request})"))
            } else {
                Ok(request * 2)
            }
        })
    }
}

const CONFIG: BreakerConfig = BreakerConfig {
    failure_threshold: 5,
    open_for: Duration::from_secs(30),
};

async fn call<S: Service<u32>>(service: &mut S, request: u32) -> Result<S::Response, S::Error> {
    service.ready().await?.call(request).await
}

#[tokio::test(start_paused = true)]
async fn an_open_breaker_lets_no_call_reach_the_backend() {
    let backend = Backend::new(true);
    let breaker = CircuitBreakerLayer::new(CONFIG);
    let mut service = breaker.layer(backend.clone());
    for i in 0..5 {
        assert_eq!(
            call(&mut service, i).await,
            Err(BreakerError::Inner(format!("backend down ({i})"))),
            "while closed, the backend's own error comes through"
        );
    }
    assert_eq!(backend.calls(), 5);
    for i in 0..100 {
        assert_eq!(
            call(&mut service, i).await,
            Err(BreakerError::Open),
            "5 failures in a row open the breaker: callers fail at once"
        );
    }
    assert_eq!(
        backend.calls(),
        5,
        "no call reaches a backend behind an open breaker: that is the point of it (a backend \
         that is down gets the time to come back, and callers do not wait on it)"
    );
    assert!(matches!(breaker.state(), BreakerState::Open { .. }));
}

#[tokio::test(start_paused = true)]
async fn only_failures_in_a_row_open_it() {
    let backend = Backend::new(true);
    let breaker = CircuitBreakerLayer::new(CONFIG);
    let mut service = breaker.layer(backend.clone());
    for round in 0..3 {
        for i in 0..4 {
            assert!(
                matches!(call(&mut service, i).await, Err(BreakerError::Inner(_))),
                "round {round}: failure {i} of 4"
            );
        }
        backend.set_down(false);
        assert_eq!(call(&mut service, 1).await, Ok(2), "a success in between");
        backend.set_down(true);
    }
    assert_eq!(
        breaker.state(),
        BreakerState::Closed { failures: 0 },
        "12 failures, never 5 in a row: a backend that answers most calls is not down"
    );
    assert_eq!(backend.calls(), 15);
}

#[tokio::test(start_paused = true)]
async fn after_its_time_one_probe_tests_the_backend() {
    let backend = Backend::new(true);
    let breaker = CircuitBreakerLayer::new(CONFIG);
    let mut service = breaker.layer(backend.clone());
    for i in 0..5 {
        let _ = call(&mut service, i).await;
    }
    backend.set_down(false);
    tokio::time::advance(CONFIG.open_for - Duration::from_millis(1)).await;
    assert_eq!(
        call(&mut service, 1).await,
        Err(BreakerError::Open),
        "1 ms before `open_for` has passed, the breaker is still open"
    );
    assert_eq!(backend.calls(), 5);
    tokio::time::advance(Duration::from_millis(1)).await;
    assert_eq!(
        call(&mut service, 21).await,
        Ok(42),
        "after `open_for`, one call goes through as a probe"
    );
    assert_eq!(
        breaker.state(),
        BreakerState::Closed { failures: 0 },
        "a successful probe closes the breaker"
    );
    for i in 0..10 {
        assert_eq!(call(&mut service, i).await, Ok(i * 2));
    }
}

#[tokio::test(start_paused = true)]
async fn a_failed_probe_opens_it_for_a_full_period_again() {
    let backend = Backend::new(true);
    let breaker = CircuitBreakerLayer::new(CONFIG);
    let mut service = breaker.layer(backend.clone());
    for i in 0..5 {
        let _ = call(&mut service, i).await;
    }
    tokio::time::advance(CONFIG.open_for).await;
    assert!(
        matches!(call(&mut service, 1).await, Err(BreakerError::Inner(_))),
        "the probe reaches the backend, which is still down"
    );
    assert_eq!(backend.calls(), 6);
    tokio::time::advance(CONFIG.open_for - Duration::from_millis(1)).await;
    for i in 0..20 {
        assert_eq!(
            call(&mut service, i).await,
            Err(BreakerError::Open),
            "one failed probe opens the breaker again, for another full `open_for` (not \
             until 5 more failures: the backend has just shown it is still down)"
        );
    }
    assert_eq!(backend.calls(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn half_open_lets_exactly_one_probe_through_a_crowd() {
    let config = BreakerConfig {
        failure_threshold: 1,
        open_for: Duration::from_millis(50),
    };
    for round in 0..20 {
        let mut backend = Backend::new(true);
        let breaker = CircuitBreakerLayer::new(config);
        let _ = call(&mut breaker.layer(backend.clone()), 0).await;
        assert!(matches!(breaker.state(), BreakerState::Open { .. }));
        tokio::time::sleep(config.open_for + Duration::from_millis(5)).await;

        // From now on the backend holds every call it gets.
        let before = backend.calls();
        backend.set_down(false);
        let gate = Arc::new(Semaphore::new(0));
        backend.gate = Some(Arc::clone(&gate));
        let crowd = 64;
        let barrier = Arc::new(Barrier::new(crowd));
        let tasks: Vec<_> = (0..crowd as u32)
            .map(|i| {
                let mut service = breaker.layer(backend.clone());
                let barrier = Arc::clone(&barrier);
                tokio::spawn(async move {
                    barrier.wait().await;
                    call(&mut service, i).await
                })
            })
            .collect();
        // The refused callers return at once; the probe waits at the gate.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while tasks.iter().filter(|t| t.is_finished()).count() < crowd - 1
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(
            backend.calls() - before,
            1,
            "round {round}: {crowd} callers arrived together at a half-open breaker and {} \
             reached the backend. Half-open means one probe: a backend that is just coming \
             back is hit by every caller at once otherwise, and goes down again. Deciding \
             \"am I the probe?\" and recording it must be one step",
            backend.calls() - before
        );
        gate.add_permits(crowd);
        let mut refused = 0;
        for task in tasks {
            if task.await.unwrap() == Err(BreakerError::Open) {
                refused += 1;
            }
        }
        assert_eq!(
            refused,
            crowd - 1,
            "round {round}: every other caller was refused"
        );
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
    }
}

#[tokio::test(start_paused = true)]
async fn a_probe_whose_caller_gave_up_frees_its_slot() {
    let mut backend = Backend::new(true);
    let breaker = CircuitBreakerLayer::new(CONFIG);
    for i in 0..5 {
        let _ = call(&mut breaker.layer(backend.clone()), i).await;
    }
    tokio::time::advance(CONFIG.open_for).await;
    backend.set_down(false);
    let gate = Arc::new(Semaphore::new(0));
    backend.gate = Some(Arc::clone(&gate));
    let mut service = breaker.layer(backend.clone());
    let probe = tokio::time::timeout(Duration::from_secs(1), call(&mut service, 1)).await;
    assert!(
        probe.is_err(),
        "the probe hangs, and its caller times out and drops it"
    );
    assert_eq!(backend.calls(), 6);

    gate.add_permits(1);
    assert_eq!(
        call(&mut service, 2).await,
        Ok(4),
        "the next call is the new probe: a probe that was cancelled never reports back, and a \
         breaker still waiting for it would refuse every call forever"
    );
    assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
}

/// A backend that fails every call, behind tower's retry middleware with our policy.
fn retried(
    budget: TpsBudget,
    max_retries: u32,
) -> (Backend, impl Service<u32, Response = u32, Error = String>) {
    let backend = Backend::new(true);
    let policy = BudgetedRetry::new(Arc::new(budget), max_retries);
    (backend.clone(), RetryLayer::new(policy).layer(backend))
}

#[tokio::test]
async fn a_failed_request_is_retried_while_the_budget_allows() {
    let (backend, mut service) = retried(TpsBudget::new(Duration::from_secs(10), 100, 0.2), 3);
    assert!(call(&mut service, 1).await.is_err());
    assert_eq!(
        backend.calls(),
        4,
        "with a budget to spare, a failing request is tried 1 + max_retries times"
    );

    let backend = Backend::new(false);
    let policy = BudgetedRetry::new(
        Arc::new(TpsBudget::new(Duration::from_secs(10), 100, 0.2)),
        3,
    );
    let mut service = RetryLayer::new(policy).layer(backend.clone());
    assert_eq!(call(&mut service, 5).await, Ok(10));
    assert_eq!(backend.calls(), 1, "a success is not retried");
}

#[tokio::test]
async fn at_total_failure_retries_add_at_most_a_fifth() {
    // No reserve: retries are paid for by requests only, 1 retry for every 5 requests.
    let (backend, mut service) = retried(TpsBudget::new(Duration::from_secs(10), 0, 0.2), 3);
    let requests = 1000;
    for i in 0..requests {
        assert!(call(&mut service, i).await.is_err());
    }
    let calls = backend.calls();
    assert!(
        calls <= 1200,
        "{requests} requests to a backend that fails every one reached it {calls} times, more \
         than 1.2x: retries that are not bounded by a budget multiply the load on a backend \
         exactly when it can least take it (with 3 retries each, 4x). Every request deposits, \
         every retry withdraws — and a retry is not a request, it earns nothing"
    );
    assert!(
        calls >= 1150,
        "{requests} requests, {calls} calls: the budget allows about 200 retries, and they \
         should be used (a transient failure is what retries are for)"
    );
}
