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

/// The live deployment and the requests in flight to it.
pub struct BlueGreen {
    // Your fields.
}

/// One request's hold on the deployment it was routed to: counted in flight until dropped.
pub struct Lease {
    // Your fields.
}

impl Lease {
    pub fn url(&self) -> &str {
        todo!("the base URL this request was routed to")
    }
}

impl BlueGreen {
    /// `live` is the base URL of the deployment that serves, e.g. `http://127.0.0.1:4000`.
    pub fn new(live: &str) -> BlueGreen {
        todo!("start with {live} live")
    }

    /// The deployment this request goes to, counted in flight until the lease is dropped.
    pub fn route(&self) -> Lease {
        todo!()
    }

    /// Makes `to` live if its `/readyz` answers 200, then waits until no request is in
    /// flight to the old deployment, and returns the old one's URL: it may be stopped now.
    pub async fn switch(&self, to: &str) -> Result<String, SwitchError> {
        todo!("switch to {to}")
    }
}

/// A canary release: which users it serves, and whether it is still alive.
pub struct Canary {
    // Your fields.
}

impl Canary {
    /// A canary for `percent` % of the users (0.0 to 100.0), judged by `slo`.
    pub fn new(percent: f64, slo: Slo) -> Canary {
        todo!("{percent} % canary under {slo:?}")
    }

    /// The arm `user` is on: the same answer every time and in every instance, for as long
    /// as the canary lives; `Stable` for everyone once it is rolled back.
    pub fn arm_for(&self, user: &str) -> Arm {
        todo!("{user}")
    }

    /// A finished request on `arm`; may roll the canary back.
    pub fn record(&self, arm: Arm, ok: bool) {
        todo!("{arm:?} {ok}")
    }

    pub fn rolled_back(&self) -> bool {
        todo!()
    }
}
