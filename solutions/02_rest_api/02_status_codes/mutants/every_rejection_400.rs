//! flattens every body rejection to 400, losing 415 and 422
//! One error type for the API, and one place that turns it into status codes.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Json, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
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
    NotFound,
    Conflict(String),
    Invalid(String),
    Rejected(StatusCode, String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not found".to_owned()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Invalid(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            ApiError::Rejected(_, m) => (StatusCode::BAD_REQUEST, m),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::Rejected(rejection.status(), rejection.body_text())
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

pub async fn create(
    State(state): State<AppState>,
    body: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, HeaderMap, Json<User>), ApiError> {
    let Json(new) = body?;
    if new.name.trim().is_empty() {
        return Err(ApiError::Invalid("name must not be blank".into()));
    }
    if !new.email.contains('@') {
        return Err(ApiError::Invalid(format!(
            "email {:?} is not an email address",
            new.email
        )));
    }
    let mut store = state.store.write().await;
    if store.users.values().any(|u| u.email == new.email) {
        return Err(ApiError::Conflict(format!(
            "email {} is already taken",
            new.email
        )));
    }
    store.last_id += 1;
    let user = User {
        id: store.last_id,
        email: new.email,
        name: new.name,
    };
    store.users.insert(user.id, user.clone());
    let mut headers = HeaderMap::new();
    let location = HeaderValue::from_str(&format!("/users/{}", user.id))
        .expect("a path made of digits is a valid header value");
    headers.insert(header::LOCATION, location);
    Ok((StatusCode::CREATED, headers, Json(user)))
}

pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<User>, ApiError> {
    let store = state.store.read().await;
    store
        .users
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(ApiError::NotFound)
}

pub async fn remove(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<StatusCode, ApiError> {
    match state.store.write().await.users.remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound),
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/users", post(create))
        .route("/users/{id}", get(read).delete(remove))
        .with_state(state)
}
