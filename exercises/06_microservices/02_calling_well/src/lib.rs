//! Calling another service: a deadline for the whole call, retries that do not make an outage
//! worse, and never a retry that could do the work twice.

use std::time::{Duration, SystemTime};

#[allow(unused_imports)] // you will need them
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};
#[allow(unused_imports)]
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
    todo!("a random share of an exponentially growing, capped ceiling")
}

/// What `Retry-After` asks for (RFC 9110 section 10.2.3): a number of seconds, or an HTTP
/// date; `now` is the wall clock (a date in the past asks for no wait).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    todo!("seconds or an HTTP date (httpdate)")
}

/// Whether sending `call` twice can do its work twice.
#[allow(dead_code)]
fn safe_to_repeat(call: &Call) -> bool {
    todo!("which requests can be sent twice without doing their work twice?")
}

/// Answers that say "try again later": nothing was done, and another attempt may succeed.
#[allow(dead_code)]
fn retryable(status: StatusCode) -> bool {
    todo!("which statuses say: not now, try later?")
}

#[allow(dead_code)]
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
        todo!("attempts within the deadline, retrying only what is safe to retry")
    }
}
