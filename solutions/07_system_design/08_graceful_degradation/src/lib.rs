//! A product service that degrades instead of failing: bulkheads per dependency, a budget per
//! call, stale-if-error prices, a kill switch for recommendations, and load shedding.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::error_handling::HandleErrorLayer;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{BoxError, Json, Router};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;

/// Where the dependencies answer: `GET {pricing}/prices/{id}` → `{"cents": n}` (404: no such
/// product); `GET {recommender}/similar/{id}` → `[id, …]`.
pub struct Deps {
    pub pricing: String,
    pub recommender: String,
}

pub struct Config {
    /// How long one call to a dependency may take.
    pub budget: Duration,
    /// Calls in flight to one dependency, at most.
    pub bulkhead: usize,
    /// Requests in flight in the whole service (health checks aside), at most.
    pub max_in_flight: usize,
    /// What a refused request is told to wait.
    pub retry_after_secs: u32,
}

/// Features that operators can turn off at run time.
#[derive(Clone, Default)]
pub struct KillSwitches(Arc<RwLock<HashSet<String>>>);

impl KillSwitches {
    pub fn turn_off(&self, feature: &str) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(feature.to_owned());
    }

    pub fn turn_on(&self, feature: &str) {
        self.0
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(feature);
    }

    pub fn is_on(&self, feature: &str) -> bool {
        !self
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(feature)
    }
}

/// The kill switch of the recommendations.
pub const RECOMMENDATIONS: &str = "recommendations";

/// `GET /products/{id}/price`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Price {
    pub cents: i64,
    /// The pricing service failed: this is the last price it gave.
    pub stale: bool,
}

/// `GET /products/{id}/recommendations`.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    pub ids: Vec<u64>,
    /// The recommender failed or is switched off: this is the fallback (none).
    pub degraded: bool,
}

#[derive(Deserialize)]
struct UpstreamPrice {
    cents: i64,
}

enum CallError {
    /// The dependency says there is no such thing: an answer, not a failure.
    NotFound,
    /// Down, slow, erroring, or its bulkhead is full.
    Failed,
}

/// One dependency and its bulkhead: its own permits, so that it can exhaust only those.
struct Dependency {
    base: String,
    bulkhead: Semaphore,
}

impl Dependency {
    async fn get<T: DeserializeOwned>(
        &self,
        http: &reqwest::Client,
        path: &str,
        budget: Duration,
    ) -> Result<T, CallError> {
        // A full bulkhead fails at once: waiting for a permit is queueing behind a sick dependency.
        let _permit = self.bulkhead.try_acquire().map_err(|_| CallError::Failed)?;
        let call = async {
            let response = http
                .get(format!("{}{path}", self.base))
                .send()
                .await
                .map_err(|_| CallError::Failed)?;
            if response.status() == reqwest::StatusCode::NOT_FOUND {
                return Err(CallError::NotFound);
            }
            if !response.status().is_success() {
                return Err(CallError::Failed);
            }
            response.json::<T>().await.map_err(|_| CallError::Failed)
        };
        tokio::time::timeout(budget, call)
            .await
            .map_err(|_| CallError::Failed)?
    }
}

struct AppState {
    http: reqwest::Client,
    pricing: Dependency,
    recommender: Dependency,
    budget: Duration,
    switches: KillSwitches,
    last_prices: Mutex<HashMap<u64, i64>>,
    retry_after_secs: u32,
}

pub fn app(deps: Deps, config: Config, switches: KillSwitches) -> Router {
    let state = Arc::new(AppState {
        http: reqwest::Client::new(),
        pricing: Dependency {
            base: deps.pricing,
            bulkhead: Semaphore::new(config.bulkhead),
        },
        recommender: Dependency {
            base: deps.recommender,
            bulkhead: Semaphore::new(config.bulkhead),
        },
        budget: config.budget,
        switches,
        last_prices: Mutex::default(),
        retry_after_secs: config.retry_after_secs,
    });
    let retry_after = config.retry_after_secs;
    // One limit for every route (axum layers each route separately: a plain
    // ConcurrencyLimitLayer would be a limit per route), refusing instead of queueing.
    let shedding = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(move |_: BoxError| async move {
            unavailable(retry_after)
        }))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::new(config.max_in_flight));
    Router::new()
        .route("/products/{id}/price", get(price))
        .route("/products/{id}/recommendations", get(recommendations))
        .layer(shedding)
        // Added after the layer, so outside it: an overloaded instance is still alive.
        .route("/health", get(|| async { "ok" }))
        .with_state(state)
}

fn unavailable(retry_after_secs: u32) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, retry_after_secs.to_string())],
    )
        .into_response()
}

async fn price(State(s): State<Arc<AppState>>, Path(id): Path<u64>) -> Response {
    let answer = s
        .pricing
        .get::<UpstreamPrice>(&s.http, &format!("/prices/{id}"), s.budget)
        .await;
    let mut last = s.last_prices.lock().unwrap_or_else(|e| e.into_inner());
    match answer {
        Ok(p) => {
            last.insert(id, p.cents);
            Json(Price {
                cents: p.cents,
                stale: false,
            })
            .into_response()
        }
        Err(CallError::NotFound) => {
            last.remove(&id);
            StatusCode::NOT_FOUND.into_response()
        }
        Err(CallError::Failed) => match last.get(&id) {
            Some(&cents) => Json(Price { cents, stale: true }).into_response(),
            None => unavailable(s.retry_after_secs),
        },
    }
}

async fn recommendations(
    State(s): State<Arc<AppState>>,
    Path(id): Path<u64>,
) -> Json<Recommendations> {
    let fallback = Recommendations {
        ids: Vec::new(),
        degraded: true,
    };
    if !s.switches.is_on(RECOMMENDATIONS) {
        return Json(fallback);
    }
    match s
        .recommender
        .get::<Vec<u64>>(&s.http, &format!("/similar/{id}"), s.budget)
        .await
    {
        Ok(ids) => Json(Recommendations {
            ids,
            degraded: false,
        }),
        Err(_) => Json(fallback),
    }
}
