//! Slow work taken off the request: the request enqueues a job and answers 202 Accepted with
//! where to look; workers take jobs from a Postgres table, retry failures with exponential
//! backoff, and set aside what keeps failing.

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
#[allow(unused_imports)]
use axum::http::header::LOCATION;
#[allow(unused_imports)]
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
#[allow(unused_imports)]
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
    todo!()
}

/// Takes the queued job that is due first (ties by id) and marks it running, or None when
/// nothing is due. Workers calling it at the same time get different jobs, and none waits for
/// a job another worker is taking.
pub async fn claim(pool: &PgPool) -> sqlx::Result<Option<Job>> {
    todo!()
}

pub async fn complete(pool: &PgPool, id: i64) -> sqlx::Result<()> {
    todo!()
}

/// Records a failed run: queued again after BASE_DELAY_SECS × 2^(attempts − 1), or dead once
/// it has had max_attempts runs.
pub async fn fail(pool: &PgPool, id: i64, error: &str) -> sqlx::Result<()> {
    todo!()
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
    todo!("enqueue a `report` job; answer 202 Accepted, and where to follow it")
}

async fn job_status(State(pool): State<PgPool>, Path(id): Path<i64>) -> Response {
    todo!("the job's state, attempts and last error as JSON; 404 for no such job")
}
