//! A service that is configured, observed and stopped the way an orchestrator expects:
//! layered configuration that refuses a bad value at startup, a liveness and a readiness
//! endpoint that mean different things, and a graceful shutdown on SIGTERM.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `APP_PORT`, `port`: where to listen on 127.0.0.1 (0: any free port). Default 8080.
    pub port: u16,
    /// `APP_DRAIN_SECONDS`, `drain_seconds`: how long in-flight requests may take to finish
    /// after a shutdown began, 1 to 3600. Default 25.
    pub drain_seconds: u64,
    /// `APP_SHUTDOWN_DELAY_MS`, `shutdown_delay_ms`: how long to keep accepting requests,
    /// already unready, after the signal, while load balancers take the pod out. Default 500.
    pub shutdown_delay_ms: u64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 8080,
            drain_seconds: 25,
            shutdown_delay_ms: 500,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A variable whose value is not what it must be: `APP_PORT=eighty: not a port number`.
    #[error("{var}={value}: {reason}")]
    Env {
        var: String,
        value: String,
        reason: String,
    },
    /// The file named by `APP_CONFIG` is missing, not TOML, or has an unknown or bad key.
    #[error("{}: {message}", path.display())]
    File { path: PathBuf, message: String },
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("the drain took longer than {0} s: requests still in flight were cut off")]
    DrainTimedOut(u64),
}

/// What the handlers share: whether the service takes new work.
pub struct AppState {
    pub ready: AtomicBool,
}

#[derive(Deserialize)]
struct Work {
    ms: u64,
}

/// `/livez`, `/readyz`, and `/work?ms=N` (a request that takes N ms).
pub fn app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/livez", get(|| async { "alive" }))
        .route("/readyz", get(readyz))
        .route(
            "/work",
            get(|Query(w): Query<Work>| async move {
                tokio::time::sleep(Duration::from_millis(w.ms)).await;
                "done"
            }),
        )
        .with_state(state)
}

async fn readyz(State(state): State<Arc<AppState>>) -> (StatusCode, &'static str) {
    todo!(
        "200 while the service takes new work, 503 once it is shutting down: {}",
        state.ready.load(Ordering::SeqCst)
    )
}

impl Config {
    /// The defaults, overridden by the TOML file named by `APP_CONFIG` (if set), overridden
    /// by the `APP_*` variables in `env`. The first bad value is the error.
    pub fn load(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        todo!("layer the defaults, the file and {} variables", env.len())
    }
}

/// Listens on 127.0.0.1:`config.port`, prints `listening on <address>` as its first line,
/// and serves until SIGTERM or SIGINT; then shuts down as README.md describes.
pub async fn serve(config: Config) -> Result<(), ServeError> {
    todo!("serve with {config:?}")
}
