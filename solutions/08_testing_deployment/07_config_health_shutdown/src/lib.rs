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
    if state.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down")
    }
}

/// The file's keys: all optional, none unknown (a typo must not be ignored).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileLayer {
    port: Option<u16>,
    drain_seconds: Option<u64>,
    shutdown_delay_ms: Option<u64>,
}

impl Config {
    pub fn load(env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
        let mut config = Config::default();
        if let Some(path) = env.get("APP_CONFIG") {
            let path = PathBuf::from(path);
            let file_error = |message: String| ConfigError::File {
                path: path.clone(),
                message,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| file_error(e.to_string()))?;
            let layer: FileLayer =
                toml::from_str(&text).map_err(|e| file_error(toml_message(&text, &e)))?;
            if let Some(v) = layer.port {
                config.port = v;
            }
            if let Some(v) = layer.drain_seconds {
                config.drain_seconds =
                    check_drain(v).map_err(|m| file_error(format!("drain_seconds: {m}")))?;
            }
            if let Some(v) = layer.shutdown_delay_ms {
                config.shutdown_delay_ms = v;
            }
        }
        if let Some(v) = env.get("APP_PORT") {
            config.port = parse_env("APP_PORT", v, "not a port number (0 to 65535)")?;
        }
        if let Some(v) = env.get("APP_DRAIN_SECONDS") {
            let n = parse_env("APP_DRAIN_SECONDS", v, "not a number of seconds")?;
            config.drain_seconds = check_drain(n).map_err(|reason| ConfigError::Env {
                var: "APP_DRAIN_SECONDS".into(),
                value: v.clone(),
                reason,
            })?;
        }
        if let Some(v) = env.get("APP_SHUTDOWN_DELAY_MS") {
            config.shutdown_delay_ms =
                parse_env("APP_SHUTDOWN_DELAY_MS", v, "not a number of milliseconds")?;
        }
        Ok(config)
    }
}

/// toml's error as one line: where, the line itself, and what is wrong with it.
fn toml_message(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let line_no = text[..span.start].matches('\n').count() + 1;
            let line = text.lines().nth(line_no - 1).unwrap_or("").trim();
            format!("line {line_no} (`{line}`): {}", e.message().trim())
        }
        None => e.message().trim().to_owned(),
    }
}

fn parse_env<T: std::str::FromStr>(var: &str, value: &str, reason: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Env {
        var: var.to_owned(),
        value: value.to_owned(),
        reason: reason.to_owned(),
    })
}

fn check_drain(seconds: u64) -> Result<u64, String> {
    if (1..=3600).contains(&seconds) {
        Ok(seconds)
    } else {
        Err("must be between 1 and 3600".to_owned())
    }
}

/// SIGTERM (what an orchestrator sends) or SIGINT (Ctrl-C).
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

pub async fn serve(config: Config) -> Result<(), ServeError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port)).await?;
    println!("listening on {}", listener.local_addr()?);
    let state = Arc::new(AppState {
        ready: AtomicBool::new(true),
    });
    // Listen before serving: a signal that comes in the first instant is not lost.
    let signal = stop_signal();
    let (draining_tx, draining) = tokio::sync::oneshot::channel::<()>();
    let shutdown = {
        let state = Arc::clone(&state);
        let delay = Duration::from_millis(config.shutdown_delay_ms);
        async move {
            if signal.await.is_err() {
                return std::future::pending().await;
            }
            // Unready first, still serving: load balancers stop sending new work.
            state.ready.store(false, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            let _ = draining_tx.send(());
        }
    };
    let server = axum::serve(listener, app(state)).with_graceful_shutdown(shutdown);
    let mut server = std::pin::pin!(server.into_future());
    tokio::select! {
        done = &mut server => return Ok(done?),
        _ = draining => {}
    }
    // No new connections from here on; in-flight requests get the drain time, no more.
    match tokio::time::timeout(Duration::from_secs(config.drain_seconds), server).await {
        Ok(done) => Ok(done?),
        Err(_) => Err(ServeError::DrainTimedOut(config.drain_seconds)),
    }
}
