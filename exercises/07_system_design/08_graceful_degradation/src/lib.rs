//! A product service that degrades instead of failing: bulkheads per dependency, a budget per
//! call, stale-if-error prices, a kill switch for recommendations, and load shedding.
//!
//! Write `app`: its routes, its handlers, and whatever state they share. The types below are
//! what the tests see; add your own beside them.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use serde::{Deserialize, Serialize};

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

/// The service: `GET /products/{id}/price`, `GET /products/{id}/recommendations` and
/// `GET /health`.
pub fn app(_deps: Deps, _config: Config, _switches: KillSwitches) -> Router {
    todo!("the routes; a bulkhead and a budget per dependency; fallbacks; one load-shedding limit")
}
