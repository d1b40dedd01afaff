//! One error type for the API, and one place that turns it into status codes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: u64,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub name: String,
}

/// Everything that can go wrong, in the domain's words.
#[derive(Debug)]
pub enum ApiError {
    /// 404
    NotFound,
    /// 409: the request clashes with the current state.
    Conflict(String),
    /// 422: well-formed but invalid values.
    Invalid(String),
    /// The body was rejected before the handler ran (malformed JSON, wrong content type): keep
    /// the rejection's status (400, 415, 422) and message.
    Rejected(StatusCode, String),
}

impl IntoResponse for ApiError {
    /// The status for the variant, and a JSON body `{"error": "<message>"}`.
    fn into_response(self) -> Response {
        todo!(
            "match self to (StatusCode, message), then (status, Json(json!({{ \"error\": message }}))).into_response()"
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        todo!("rejection.status() and rejection.body_text()")
    }
}

#[derive(Default)]
pub struct Store {
    pub users: BTreeMap<u64, User>,
    pub last_id: u64,
}

#[derive(Clone, Default)]
pub struct AppState {
    pub store: Arc<RwLock<Store>>,
}

/// POST /users: 201 + `Location: /users/{id}` + the user. A blank name or an email without `@` is
/// `Invalid`; an email already taken is a `Conflict`.
pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, HeaderMap, Json<User>), ApiError> {
    todo!("let Json(new) = body?; validate; insert; build the Location header")
}

/// GET /users/{id}
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<User>, ApiError> {
    todo!()
}

/// DELETE /users/{id}: 204, or NotFound.
pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    todo!()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/users", post(create))
        .route("/users/{id}", get(read).delete(remove))
        .with_state(state)
}
