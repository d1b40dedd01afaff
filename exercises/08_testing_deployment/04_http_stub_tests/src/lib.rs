//! A client for an invoicing service's HTTP API. This implementation is correct: your job is
//! the tests (in `tests/client.rs`) that prove it speaks HTTP as the API expects, against a
//! stub server (wiremock) that plays the service.
//!
//! The contract:
//!
//! - Every request carries `Authorization: Bearer <token>`.
//! - `get_invoice(id)`: `GET /invoices/{id}`. `200` → the invoice (JSON); `404` →
//!   `NotFound`. A `5xx` is transient: the GET is sent again, up to [`MAX_ATTEMPTS`] times in
//!   all, [`RETRY_DELAY`] apart, and the last `5xx` is the error.
//! - `create_invoice(new)`: `POST /invoices` with the JSON body (`Content-Type:
//!   application/json`). `201` → the created invoice; `422` → `Invalid` with the body's
//!   `"error"`. A POST is **never** sent twice: the first may have created the invoice even
//!   if its answer was a `5xx`.
//! - `429 Too Many Requests`, to either: `RateLimited` with the `Retry-After` header's
//!   seconds (1 s if it is missing or not a number), without trying again — the caller
//!   decides when to come back.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How many times a GET is sent at most (the first try included).
pub const MAX_ATTEMPTS: u32 = 3;
/// The pause between two tries of a GET.
pub const RETRY_DELAY: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub id: u64,
    pub customer: String,
    pub amount_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInvoice {
    pub customer: String,
    pub amount_cents: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no such invoice")]
    NotFound,
    #[error("the service rejected the invoice: {0}")]
    Invalid(String),
    #[error("rate limited: come back in {retry_after:?}")]
    RateLimited { retry_after: Duration },
    #[error("the service failed with {0}")]
    Server(u16),
    #[error("unexpected answer {0}")]
    Unexpected(u16),
    #[error(transparent)]
    Http(#[from] reqwest::Error),
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

pub struct Client {
    http: reqwest::Client,
    base_url: String,
    token: String,
}

impl Client {
    /// `base_url` without a trailing slash, e.g. `http://127.0.0.1:8080`.
    pub fn new(base_url: &str, token: &str) -> Client {
        Client {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    pub async fn get_invoice(&self, id: u64) -> Result<Invoice, ApiError> {
        let url = format!("{}/invoices/{id}", self.base_url);
        let mut attempt = 1;
        loop {
            let response = self.http.get(&url).bearer_auth(&self.token).send().await?;
            let status = response.status().as_u16();
            match status {
                200 => return Ok(response.json().await?),
                404 => return Err(ApiError::NotFound),
                429 => return Err(rate_limited(&response)),
                500..=599 if attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(RETRY_DELAY).await;
                }
                500..=599 => return Err(ApiError::Server(status)),
                _ => return Err(ApiError::Unexpected(status)),
            }
        }
    }

    pub async fn create_invoice(&self, new: &NewInvoice) -> Result<Invoice, ApiError> {
        let url = format!("{}/invoices", self.base_url);
        let response = self
            .http
            .post(&url)
            .bearer_auth(&self.token)
            .json(new)
            .send()
            .await?;
        let status = response.status().as_u16();
        match status {
            201 => Ok(response.json().await?),
            422 => Err(ApiError::Invalid(response.json::<ErrorBody>().await?.error)),
            429 => Err(rate_limited(&response)),
            500..=599 => Err(ApiError::Server(status)),
            _ => Err(ApiError::Unexpected(status)),
        }
    }
}

fn rate_limited(response: &reqwest::Response) -> ApiError {
    let seconds = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1);
    ApiError::RateLimited {
        retry_after: Duration::from_secs(seconds),
    }
}
