//! Calling another service: a deadline for the whole call, retries that do not make an outage
//! worse, and never a retry that could do the work twice.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

/// The header that tells the next service how long it has: milliseconds left of our deadline.
pub const DEADLINE_HEADER: &str = "x-deadline-ms";
/// The header that lets the server recognise a retried request (it stores the first outcome
/// under the key and answers a repeat with it).
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included.
    pub max_attempts: u32,
    /// The backoff before the first retry is up to `base`, then up to twice that, and so on.
    pub base: Duration,
    /// No backoff is longer than this.
    pub cap: Duration,
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub body: Option<serde_json::Value>,
    /// Set for a request that is not idempotent by its method (POST, PATCH) but that the
    /// server deduplicates by this key.
    pub idempotency_key: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CallError {
    /// The service answered with an error status (the last answer, after any retries).
    #[error("the service answered {0}")]
    Status(u16),
    /// The deadline passed.
    #[error("no answer before the deadline")]
    DeadlineExceeded,
    /// No connection could be made, or it broke (the last attempt's error).
    #[error("the service is unreachable: {0}")]
    Unreachable(String),
}

/// The backoff before retry number `retry` (0 = the first retry) with "full jitter": a
/// uniformly random duration between zero and `min(cap, base * 2^retry)`. `unit` is a random
/// number in [0, 1).
pub fn backoff(policy: &RetryPolicy, retry: u32, unit: f64) -> Duration {
    let ceiling = policy
        .base
        .checked_mul(2u32.checked_pow(retry).unwrap_or(u32::MAX))
        .unwrap_or(policy.cap)
        .min(policy.cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// What `Retry-After` asks for (RFC 9110 section 10.2.3): a number of seconds, or an HTTP
/// date; `now` is the wall clock (a date in the past asks for no wait).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether sending `call` twice can do its work twice.
fn safe_to_repeat(call: &Call) -> bool {
    call.idempotency_key.is_some()
        || matches!(
            call.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        )
}

/// Answers that say "try again later": nothing was done, and another attempt may succeed.
fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    policy: RetryPolicy,
}

impl Client {
    pub fn new(base_url: &str, policy: RetryPolicy) -> Client {
        Client {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            policy,
        }
    }

    /// Sends `call` and returns the body of its successful answer, retrying what is safe to
    /// retry until `budget` has passed.
    pub async fn send(&self, call: &Call, budget: Duration) -> Result<String, CallError> {
        let deadline = Instant::now() + budget;
        let mut retry = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(CallError::DeadlineExceeded);
            }
            let mut request = self
                .http
                .request(
                    call.method.clone(),
                    format!("{}{}", self.base_url, call.path),
                )
                .timeout(left)
                .header(DEADLINE_HEADER, left.as_millis().to_string());
            if let Some(key) = &call.idempotency_key {
                request = request.header(IDEMPOTENCY_KEY, key);
            }
            if let Some(body) = &call.body {
                request = request.json(body);
            }
            let (error, may_repeat, asked_wait) = match request.send().await {
                Ok(response) if response.status().is_success() => {
                    return response
                        .text()
                        .await
                        .map_err(|e| CallError::Unreachable(e.to_string()));
                }
                Ok(response) if retryable(response.status()) => (
                    CallError::Status(response.status().as_u16()),
                    safe_to_repeat(call),
                    retry_after(response.headers(), SystemTime::now()),
                ),
                Ok(response) => return Err(CallError::Status(response.status().as_u16())),
                Err(e) if e.is_timeout() => return Err(CallError::DeadlineExceeded),
                // A connection that was never made carried nothing: any request may try again.
                Err(e) if e.is_connect() => (CallError::Unreachable(e.to_string()), true, None),
                // One that broke may have carried the request to a server that did the work.
                Err(e) => (
                    CallError::Unreachable(e.to_string()),
                    safe_to_repeat(call),
                    None,
                ),
            };
            if !may_repeat || retry + 1 >= self.policy.max_attempts {
                return Err(error);
            }
            let wait =
                asked_wait.unwrap_or_else(|| backoff(&self.policy, retry, rand::random::<f64>()));
            if Instant::now() + wait >= deadline {
                // Waiting would only end at the deadline: fail now, while the caller can act.
                return Err(error);
            }
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }
}
