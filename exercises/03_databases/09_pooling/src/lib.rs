//! A connection pool sized for the database, and a clear answer when it runs dry.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// At most 5 connections; waiting for one more than 500 ms is an error, not a hang.
pub fn pool_options() -> PgPoolOptions {
    // TODO: the size and the timeouts of the lesson.
    let _ = Duration::ZERO;
    PgPoolOptions::new()
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
        // TODO: which sqlx::Error means "no connection came free in time"?
        AppError::Database(e)
    }
}

impl AppError {
    /// The HTTP status a handler answers with: 503 (with Retry-After) for Busy, 500 otherwise.
    pub fn status(&self) -> u16 {
        todo!()
    }
}

/// What one request does with the database: a 50 ms query.
pub async fn handle_request(pool: &PgPool) -> Result<i32, AppError> {
    Ok(sqlx::query_scalar("SELECT 1 FROM pg_sleep(0.05)")
        .fetch_one(pool)
        .await?)
}
