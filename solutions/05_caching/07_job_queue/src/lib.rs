//! Slow work taken off the request: the request enqueues a job and answers 202 Accepted with
//! where to look; workers take jobs from a Postgres table, retry failures with exponential
//! backoff, and set aside what keeps failing.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sqlx::PgPool;

/// The delay before the first retry; each further retry waits twice as long.
pub const BASE_DELAY_SECS: f64 = 1.0;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    /// Including the run that claimed it.
    pub attempts: i32,
}

pub async fn enqueue(pool: &PgPool, kind: &str, payload: &Value) -> sqlx::Result<i64> {
    sqlx::query_scalar("INSERT INTO jobs (kind, payload) VALUES ($1, $2) RETURNING id")
        .bind(kind)
        .bind(payload)
        .fetch_one(pool)
        .await
}

/// Takes the queued job that is due first (ties by id) and marks it running, or None when
/// nothing is due. Workers calling it at the same time get different jobs, and none waits for
/// a job another worker is taking.
pub async fn claim(pool: &PgPool) -> sqlx::Result<Option<Job>> {
    sqlx::query_as(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1
         WHERE id = (
             SELECT id FROM jobs
             WHERE state = 'queued' AND run_at <= now()
             ORDER BY run_at, id
             LIMIT 1
             FOR UPDATE SKIP LOCKED
         )
         RETURNING id, kind, payload, attempts",
    )
    .fetch_optional(pool)
    .await
}

pub async fn complete(pool: &PgPool, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE jobs SET state = 'done', last_error = NULL WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .map(|_| ())
}

/// Records a failed run: queued again after BASE_DELAY_SECS × 2^(attempts − 1), or dead once
/// it has had max_attempts runs.
pub async fn fail(pool: &PgPool, id: i64, error: &str) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE jobs SET
             last_error = $2,
             state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
             run_at = now() + make_interval(secs => $3 * power(2, attempts - 1))
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(BASE_DELAY_SECS)
    .execute(pool)
    .await
    .map(|_| ())
}

/// `POST /reports` (a JSON body: the report's parameters) enqueues a `report` job and answers
/// 202 Accepted with `Location: /jobs/<id>`; `GET /jobs/<id>` says how it is going.
pub fn router(pool: PgPool) -> Router {
    Router::new()
        .route("/reports", post(request_report))
        .route("/jobs/{id}", get(job_status))
        .with_state(pool)
}

async fn request_report(State(pool): State<PgPool>, Json(params): Json<Value>) -> Response {
    match enqueue(&pool, "report", &params).await {
        Ok(id) => (
            StatusCode::ACCEPTED,
            [(LOCATION, format!("/jobs/{id}"))],
            Json(json!({ "id": id, "state": "queued" })),
        )
            .into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn job_status(State(pool): State<PgPool>, Path(id): Path<i64>) -> Response {
    let row: sqlx::Result<Option<(String, i32, Option<String>)>> =
        sqlx::query_as("SELECT state, attempts, last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(&pool)
            .await;
    match row {
        Ok(Some((state, attempts, last_error))) => Json(json!({
            "id": id, "state": state, "attempts": attempts, "last_error": last_error,
        }))
        .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}
