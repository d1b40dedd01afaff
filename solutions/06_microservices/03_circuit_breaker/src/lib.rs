//! A circuit breaker and a retry budget, as tower middleware: when a backend is down, stop
//! calling it, and never let retries multiply the load on it.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::time::Instant;
use tower::retry::budget::Budget;
use tower::{Layer, Service};

#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// This many failures in a row open the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before it lets one probe through.
    pub open_for: Duration,
}

/// What callers of an open breaker get, or what the backend answered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BreakerError<E> {
    #[error("the circuit is open: the backend is not called")]
    Open,
    #[error(transparent)]
    Inner(E),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; `failures` in a row so far.
    Closed { failures: u32 },
    /// No call goes through until `until`.
    Open { until: Instant },
    /// One probe may go through; `probing` while it is on its way.
    HalfOpen { probing: bool },
}

/// The breaker's state, shared by every clone of the service it wraps.
#[derive(Clone)]
pub struct CircuitBreakerLayer {
    config: BreakerConfig,
    state: Arc<Mutex<BreakerState>>,
}

impl CircuitBreakerLayer {
    pub fn new(config: BreakerConfig) -> CircuitBreakerLayer {
        CircuitBreakerLayer {
            config,
            state: Arc::new(Mutex::new(BreakerState::Closed { failures: 0 })),
        }
    }

    pub fn state(&self) -> BreakerState {
        *lock(&self.state)
    }
}

impl<S> Layer<S> for CircuitBreakerLayer {
    type Service = CircuitBreaker<S>;

    fn layer(&self, inner: S) -> CircuitBreaker<S> {
        CircuitBreaker {
            inner,
            config: self.config,
            state: Arc::clone(&self.state),
        }
    }
}

#[derive(Clone)]
pub struct CircuitBreaker<S> {
    inner: S,
    config: BreakerConfig,
    state: Arc<Mutex<BreakerState>>,
}

fn lock(state: &Mutex<BreakerState>) -> std::sync::MutexGuard<'_, BreakerState> {
    // The state is a plain value: a panic elsewhere cannot leave it half-written.
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a call may go to the backend now, and if so whether it is the half-open probe.
/// Decided and recorded under one lock: two callers must never both become the probe.
fn admit(state: &Mutex<BreakerState>) -> Option<bool> {
    let mut state = lock(state);
    match *state {
        BreakerState::Closed { .. } => Some(false),
        BreakerState::Open { until } if Instant::now() < until => None,
        BreakerState::Open { .. } | BreakerState::HalfOpen { probing: false } => {
            *state = BreakerState::HalfOpen { probing: true };
            Some(true)
        }
        BreakerState::HalfOpen { probing: true } => None,
    }
}

fn record(state: &Mutex<BreakerState>, config: &BreakerConfig, probe: bool, ok: bool) {
    let mut state = lock(state);
    *state = match (*state, ok) {
        (_, true) => BreakerState::Closed { failures: 0 },
        (BreakerState::Closed { failures }, false) if !probe => {
            if failures + 1 >= config.failure_threshold {
                BreakerState::Open {
                    until: Instant::now() + config.open_for,
                }
            } else {
                BreakerState::Closed {
                    failures: failures + 1,
                }
            }
        }
        (BreakerState::HalfOpen { .. }, false) if probe => BreakerState::Open {
            until: Instant::now() + config.open_for,
        },
        // A late failure of a call admitted before the breaker opened changes nothing.
        (current, false) => current,
    };
}

/// Gives the half-open slot back if the probe's caller stops waiting for it: without this, a
/// cancelled probe would leave the breaker half-open with a probe that never comes back.
struct ProbeGuard {
    state: Arc<Mutex<BreakerState>>,
    armed: bool,
}

impl Drop for ProbeGuard {
    fn drop(&mut self) {
        if self.armed {
            let mut state = lock(&self.state);
            if *state == (BreakerState::HalfOpen { probing: true }) {
                *state = BreakerState::HalfOpen { probing: false };
            }
        }
    }
}

impl<S, Req> Service<Req> for CircuitBreaker<S>
where
    S: Service<Req>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = BreakerError<S::Error>;
    type Future = BoxFuture<'static, Result<S::Response, BreakerError<S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(BreakerError::Inner)
    }

    fn call(&mut self, request: Req) -> Self::Future {
        let Some(probe) = admit(&self.state) else {
            return Box::pin(async { Err(BreakerError::Open) });
        };
        let call = self.inner.call(request);
        let state = Arc::clone(&self.state);
        let config = self.config;
        Box::pin(async move {
            let mut guard = ProbeGuard {
                state: Arc::clone(&state),
                armed: probe,
            };
            let result = call.await;
            guard.armed = false;
            record(&state, &config, probe, result.is_ok());
            result.map_err(BreakerError::Inner)
        })
    }
}

/// A `tower::retry::Policy` that retries a failed request at most `max_retries` times, and
/// only while the budget allows: every request deposits, every retry withdraws.
pub struct BudgetedRetry<B> {
    budget: Arc<B>,
    max_retries: u32,
    /// Retries made so far for this request (tower clones the policy for each request).
    retries: u32,
}

impl<B> BudgetedRetry<B> {
    pub fn new(budget: Arc<B>, max_retries: u32) -> BudgetedRetry<B> {
        BudgetedRetry {
            budget,
            max_retries,
            retries: 0,
        }
    }
}

impl<B> Clone for BudgetedRetry<B> {
    fn clone(&self) -> Self {
        BudgetedRetry {
            budget: Arc::clone(&self.budget),
            max_retries: self.max_retries,
            retries: self.retries,
        }
    }
}

impl<B, Req, Res, E> tower::retry::Policy<Req, Res, E> for BudgetedRetry<B>
where
    B: Budget,
    Req: Clone,
{
    type Future = std::future::Ready<()>;

    fn retry(&mut self, _request: &mut Req, result: &mut Result<Res, E>) -> Option<Self::Future> {
        if result.is_ok() || self.retries >= self.max_retries || !self.budget.withdraw() {
            return None;
        }
        self.retries += 1;
        Some(std::future::ready(()))
    }

    fn clone_request(&mut self, request: &Req) -> Option<Req> {
        // Called before every attempt: only the first one is a request of the client's, and
        // only those earn retries. Deposits for retries would let retries pay for retries.
        if self.retries == 0 {
            self.budget.deposit();
        }
        Some(request.clone())
    }
}
