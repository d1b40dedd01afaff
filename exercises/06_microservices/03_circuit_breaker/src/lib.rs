//! A circuit breaker and a retry budget, as tower middleware: when a backend is down, stop
//! calling it, and never let retries multiply the load on it.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::BoxFuture;
#[allow(unused_imports)]
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

#[allow(dead_code)]
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
#[allow(dead_code)]
fn admit(state: &Mutex<BreakerState>) -> Option<bool> {
    todo!("may this call go to the backend now? is it the probe?")
}

#[allow(dead_code)]
fn record(state: &Mutex<BreakerState>, config: &BreakerConfig, probe: bool, ok: bool) {
    todo!("what does this outcome do to the state?")
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
        todo!("admit, call, record")
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
        todo!("retry a failure only within max_retries and the budget")
    }

    fn clone_request(&mut self, request: &Req) -> Option<Req> {
        todo!("every request deposits into the budget")
    }
}
