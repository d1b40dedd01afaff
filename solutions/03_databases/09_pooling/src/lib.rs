//! A connection pool sized for the database, and a clear answer when it runs dry.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// At most 5 connections; waiting for one more than 500 ms is an error, not a hang.
pub fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_millis(500))
        // Recycle connections now and then (server-side memory, failovers, rotated credentials).
        .max_lifetime(Duration::from_secs(30 * 60))
        .idle_timeout(Duration::from_secs(10 * 60))
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Every connection is busy and none came free in time: shed load, let the client retry.
    #[error("the service is busy, try again shortly")]
    Busy,
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut => AppError::Busy,
            other => AppError::Database(other),
        }
    }
}

impl AppError {
    /// The HTTP status a handler answers with: 503 (with Retry-After) for Busy, 500 otherwise.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Busy => 503,
            AppError::Database(_) => 500,
        }
    }
}

/// What one request does with the database: a 50 ms query.
pub async fn handle_request(pool: &PgPool) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar("SELECT 1 FROM pg_sleep(0.05)")
        .fetch_one(pool)
        .await?)
}
