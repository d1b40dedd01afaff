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
        match e.as_database_error().and_then(|d| d.code()).as_deref() {
            Some("23505") => ApiError::Duplicate,
            _ => ApiError::Database(e),
        }
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
    let mut errors = Vec::new();
    let host = new
        .url
        .strip_prefix("https://")
        .or_else(|| new.url.strip_prefix("http://"))
        .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or(""));
    if host.is_none_or(str::is_empty) {
        errors.push(("url", "must be an http:// or https:// URL".to_owned()));
    }
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        errors.push(("title", "must be 1 to 200 characters".to_owned()));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(errors))
    }
}

pub fn app(pool: PgPool) -> Router {
    Router::new()
        .route("/bookmarks", get(list).post(create))
        .route("/bookmarks/{id}", get(read).delete(remove))
        .with_state(pool)
}

async fn create(
    State(pool): State<PgPool>,
    Json(new): Json<NewBookmark>,
) -> Result<Response, ApiError> {
    validate(&new)?;
    let saved: Bookmark = sqlx::query_as(
        "INSERT INTO bookmarks (url, title) VALUES ($1, $2) RETURNING id, url, title",
    )
    .bind(&new.url)
    .bind(new.title.trim())
    .fetch_one(&pool)
    .await?;
    let location = format!("/bookmarks/{}", saved.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(saved),
    )
        .into_response())
}

async fn read(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<Json<Bookmark>, ApiError> {
    sqlx::query_as("SELECT id, url, title FROM bookmarks WHERE id = $1")
        .bind(id)
        .fetch_optional(&pool)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

async fn remove(State(pool): State<PgPool>, Path(id): Path<i64>) -> Result<StatusCode, ApiError> {
    let deleted = sqlx::query("DELETE FROM bookmarks WHERE id = $1")
        .bind(id)
        .execute(&pool)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Newest first, keyset-paginated by id: `{"items": [...], "next": "/bookmarks?after=…&limit=…" | null}`.
async fn list(
    State(pool): State<PgPool>,
    Query(params): Query<ListParams>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = params.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::Invalid(vec![(
            "limit",
            "must be between 1 and 100".to_owned(),
        )]));
    }
    let mut items: Vec<Bookmark> = sqlx::query_as(
        "SELECT id, url, title FROM bookmarks WHERE $1::BIGINT IS NULL OR id < $1 \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(params.after)
    .bind(limit + 1)
    .fetch_all(&pool)
    .await?;
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next = match items.last() {
        Some(last) if more => json!(format!("/bookmarks?after={}&limit={limit}", last.id)),
        _ => json!(null),
    };
    Ok(Json(json!({"items": items, "next": next})))
}
