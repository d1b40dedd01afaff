//! Capstone: a bookmarks API on Postgres, served over real HTTP.

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Bookmark {
    pub id: i64,
    pub url: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct NewBookmark {
    pub url: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    pub limit: Option<i64>,
    /// The id of the last bookmark of the previous page.
    pub after: Option<i64>,
}

/// Everything that can go wrong, and the status and problem detail each one is.
#[derive(Debug)]
pub enum ApiError {
    /// Field → message, for a 422.
    Invalid(Vec<(&'static str, String)>),
    NotFound,
    /// The URL is already bookmarked (a unique violation): 409.
    Duplicate,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        // TODO: a unique violation (SQLSTATE 23505) is a Duplicate.
        ApiError::Database(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, title, extra) = match self {
            ApiError::Invalid(errors) => {
                let errors: Vec<_> = errors
                    .into_iter()
                    .map(|(field, message)| json!({"field": field, "message": message}))
                    .collect();
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid bookmark",
                    json!(errors),
                )
            }
            ApiError::NotFound => (StatusCode::NOT_FOUND, "No such bookmark", json!([])),
            ApiError::Duplicate => (
                StatusCode::CONFLICT,
                "This URL is already bookmarked",
                json!([]),
            ),
            ApiError::Database(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                json!([]),
            ),
        };
        let body = json!({"title": title, "status": status.as_u16(), "errors": extra});
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

/// Field-level checks: `url` is http(s) with a host, `title` is 1..=200 characters after trim.
pub fn validate(new: &NewBookmark) -> Result<(), ApiError> {
    let _ = new;
    todo!()
}

pub fn app(pool: PgPool) -> Router {
    Router::new()
        .route("/bookmarks", get(list).post(create))
        .route("/bookmarks/{id}", get(read).delete(remove))
        .with_state(pool)
}

/// POST /bookmarks: validate, insert, 201 + `Location: /bookmarks/{id}` + the bookmark (title trimmed).
async fn create(
    State(pool): State<PgPool>,
    Json(new): Json<NewBookmark>,
) -> Result<Response, ApiError> {
    let _ = (pool, new);
    todo!()
}

/// GET /bookmarks/{id}: 200 + the bookmark, or 404.
async fn read(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<Json<Bookmark>, ApiError> {
    let _ = (pool, id);
    todo!()
}

/// DELETE /bookmarks/{id}: 204, or 404.
async fn remove(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    let _ = (pool, id);
    todo!()
}

/// GET /bookmarks?limit=&after=: newest first (highest id first), `limit` 1..=100 (default 20,
/// else a 422 on `limit`), keyset-paginated by id: `{"items": [...], "next": "/bookmarks?after=…&limit=…" | null}`.
async fn list(
    State(pool): State<PgPool>,
    Query(params): Query<ListParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let _ = (pool, params);
    todo!()
}
