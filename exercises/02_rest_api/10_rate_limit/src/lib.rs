//! Rate limiting as a tower layer: one token bucket per client, 429 + Retry-After when empty.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::time::Instant;
use tower::{Layer, Service};

/// A bucket of at most `capacity` tokens, refilled continuously at `refill_per_sec`. A request
/// takes one token; an empty bucket refuses it.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    capacity: f64,
    refill_per_sec: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(capacity: u32, refill_per_sec: f64, now: Instant) -> Self {
        TokenBucket {
            capacity: f64::from(capacity),
            refill_per_sec,
            tokens: f64::from(capacity),
            updated: now,
        }
    }

    /// Takes a token: `Ok(tokens left, rounded down)`, or `Err(time until one token is back)`.
    /// A refused request takes nothing.
    pub fn try_take(&mut self, now: Instant) -> Result<u32, Duration> {
        let _ = now;
        todo!()
    }
}

/// Who a request counts against: its `x-api-key`, else one shared "anonymous" bucket.
pub fn client_key(req: &Request<Body>) -> String {
    let _ = req;
    todo!()
}

/// The layer: configuration plus the buckets, shared by every clone of the service.
#[derive(Clone)]
pub struct RateLimitLayer {
    capacity: u32,
    refill_per_sec: f64,
    buckets: Arc<Mutex<HashMap<String, TokenBucket>>>,
}

impl RateLimitLayer {
    pub fn new(capacity: u32, refill_per_sec: f64) -> Self {
        RateLimitLayer {
            capacity,
            refill_per_sec,
            buckets: Arc::default(),
        }
    }

    /// Takes a token from `key`'s bucket (created full on first use).
    fn check(&self, key: String) -> Result<u32, Duration> {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .entry(key)
            .or_insert_with(|| TokenBucket::new(self.capacity, self.refill_per_sec, now))
            .try_take(now)
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let _ = inner;
        todo!()
    }
}

#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    limits: RateLimitLayer,
}

impl<S> Service<Request<Body>> for RateLimit<S>
where
    S: Service<Request<Body>, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    /// Allowed: the inner service's response plus `x-ratelimit-remaining`. Refused: 429 with
    /// `Retry-After` in whole seconds, rounded up (a client that waits that long gets in).
    fn call(&mut self, req: Request<Body>) -> Self::Future {
        // TODO: check the client's bucket; call the inner service, or answer 429 yourself.
        let _ = req;
        todo!()
    }
}

/// A tiny API behind the limiter.
pub fn app(limits: RateLimitLayer) -> Router {
    Router::new()
        .route("/hello", get(|| async { "hello" }))
        .layer(limits)
}
