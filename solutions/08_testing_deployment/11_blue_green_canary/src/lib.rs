//! Two ways to release without a big bang. **Blue-green**: two complete deployments, one live;
//! the router switches all traffic to the other at once, after checking it is ready, and
//! drains the old one before it may be stopped. **Canary**: a small, stable share of users
//! goes to the new version, and the canary is rolled back automatically when its own error
//! rate breaks the SLO.

use std::sync::Arc;
use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwitchError {
    /// The new deployment's `/readyz` did not answer 200: traffic stays where it is.
    NotReady(String),
}

/// The front door of a blue-green deployment: every request is forwarded to the live
/// deployment's base URL (`route`).
pub fn proxy_app(router: Arc<BlueGreen>) -> Router {
    Router::new()
        .fallback(forward)
        .with_state((router, reqwest::Client::new()))
}

async fn forward(
    State((router, client)): State<(Arc<BlueGreen>, reqwest::Client)>,
    request: Request,
) -> Response {
    let lease = router.route();
    let url = format!("{}{}", lease.url(), request.uri().path());
    match client.get(url).send().await {
        Ok(answer) => {
            let status =
                StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let body = answer.bytes().await.unwrap_or_default();
            drop(lease);
            (status, Body::from(body)).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

/// Which version a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arm {
    Stable,
    Canary,
}

/// The canary's service level objective: at most `max_error_rate` (0.01 = 1 %) of its
/// requests may fail, judged once it has served at least `min_requests`.
#[derive(Debug, Clone, Copy)]
pub struct Slo {
    pub max_error_rate: f64,
    pub min_requests: u64,
}

/// A deployment and its requests in flight.
struct Slot {
    url: String,
    in_flight: AtomicUsize,
}

pub struct BlueGreen {
    live: RwLock<Arc<Slot>>,
    http: reqwest::Client,
}

pub struct Lease {
    slot: Arc<Slot>,
}

impl Lease {
    pub fn url(&self) -> &str {
        &self.slot.url
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.slot.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl BlueGreen {
    pub fn new(live: &str) -> BlueGreen {
        BlueGreen {
            live: RwLock::new(Arc::new(Slot {
                url: live.trim_end_matches('/').to_owned(),
                in_flight: AtomicUsize::new(0),
            })),
            http: reqwest::Client::new(),
        }
    }

    pub fn route(&self) -> Lease {
        // Chosen and counted under one read lock: once `switch` has taken the write lock, no
        // request can still be on its way to the old slot uncounted.
        let live = self.live.read().unwrap_or_else(|e| e.into_inner());
        live.in_flight.fetch_add(1, Ordering::SeqCst);
        Lease {
            slot: Arc::clone(&live),
        }
    }

    pub async fn switch(&self, to: &str) -> Result<String, SwitchError> {
        let to = to.trim_end_matches('/');
        let ready = self
            .http
            .get(format!("{to}/readyz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|r| r.status() == reqwest::StatusCode::OK);
        if !ready {
            return Err(SwitchError::NotReady(to.to_owned()));
        }
        let old = {
            let mut live = self.live.write().unwrap_or_else(|e| e.into_inner());
            std::mem::replace(
                &mut *live,
                Arc::new(Slot {
                    url: to.to_owned(),
                    in_flight: AtomicUsize::new(0),
                }),
            )
        };
        // Drain: the old deployment finishes what it was given.
        while old.in_flight.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(old.url.clone())
    }
}

/// Buckets users are hashed into: a percentage is a share of them, to 0.01 %.
const BUCKETS: u64 = 10_000;

pub struct Canary {
    threshold: u64,
    slo: Slo,
    requests: AtomicU64,
    errors: AtomicU64,
    rolled_back: AtomicBool,
}

impl Canary {
    pub fn new(percent: f64, slo: Slo) -> Canary {
        Canary {
            threshold: (percent.clamp(0.0, 100.0) / 100.0 * BUCKETS as f64).round() as u64,
            slo,
            requests: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            rolled_back: AtomicBool::new(false),
        }
    }

    pub fn arm_for(&self, user: &str) -> Arm {
        if self.rolled_back() {
            return Arm::Stable;
        }
        // A fixed hash (the same in every process and every release), not a random one: the
        // user's bucket never changes, and a bigger percentage only adds buckets.
        let bucket = xxhash_rust::xxh3::xxh3_64(user.as_bytes()) % BUCKETS;
        if bucket < self.threshold {
            Arm::Canary
        } else {
            Arm::Stable
        }
    }

    pub fn record(&self, arm: Arm, ok: bool) {
        // Only the canary's own requests judge it: the stable arm's errors are not its fault,
        // and the stable arm's successes must not dilute its failures.
        if arm != Arm::Canary {
            return;
        }
        let requests = self.requests.fetch_add(1, Ordering::SeqCst) + 1;
        let errors = if ok {
            self.errors.load(Ordering::SeqCst)
        } else {
            self.errors.fetch_add(1, Ordering::SeqCst) + 1
        };
        if requests >= self.slo.min_requests
            && errors as f64 / requests as f64 > self.slo.max_error_rate
        {
            self.rolled_back.store(true, Ordering::SeqCst);
        }
    }

    pub fn rolled_back(&self) -> bool {
        self.rolled_back.load(Ordering::SeqCst)
    }
}
