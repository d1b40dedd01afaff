//! Object *property* level authorization (OWASP API3:2023): a client may read and write the
//! fields it is allowed to, and no others — whatever the JSON it sends or the struct we store.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

/// What the service stores about a user. Never serialized as a whole: `password_hash` and
/// `role` are not anybody's business, and not everything is everybody's.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
    pub role: String,
    pub password_hash: String,
}

/// What anyone may see of a user.
#[derive(Debug, Serialize)]
pub struct PublicProfile {
    pub id: u64,
    pub name: String,
}

/// What users see of themselves.
#[derive(Debug, Serialize)]
pub struct OwnProfile {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub email_verified: bool,
}

/// What users may change about themselves: these two fields, nothing else. A request with any
/// other field (`role`, `email_verified`, `id`…) is refused as a whole (422), not half applied.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileChange {
    pub name: Option<String>,
    pub email: Option<String>,
}

fn own(u: &User) -> OwnProfile {
    OwnProfile {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone(),
        email_verified: u.email_verified,
    }
}

#[derive(Clone, Default)]
pub struct AppState {
    pub users: Arc<RwLock<BTreeMap<u64, User>>>,
}

/// The caller's user id, as the authentication layer in front of this router puts it.
fn caller(headers: &HeaderMap) -> Result<u64, StatusCode> {
    headers
        .get("x-user-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or(StatusCode::UNAUTHORIZED)
}

/// GET /me: the caller's own profile.
async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<OwnProfile>, StatusCode> {
    let id = caller(&headers)?;
    let users = state.users.read().await;
    users
        .get(&id)
        .map(|u| Json(own(u)))
        .ok_or(StatusCode::UNAUTHORIZED)
}

/// PATCH /me: applies a `ProfileChange`. A new email is unverified until proven again.
async fn change_me(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(change): Json<ProfileChange>,
) -> Result<Json<OwnProfile>, StatusCode> {
    let id = caller(&headers)?;
    let mut users = state.users.write().await;
    let user = users.get_mut(&id).ok_or(StatusCode::UNAUTHORIZED)?;
    if let Some(name) = change.name {
        user.name = name;
    }
    if let Some(email) = change.email
        && email != user.email
    {
        user.email = email;
        user.email_verified = false;
    }
    Ok(Json(own(user)))
}

/// GET /users/{id}: anyone's public profile (404 if there is no such user).
async fn profile(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<PublicProfile>, StatusCode> {
    let users = state.users.read().await;
    let user = users.get(&id).ok_or(StatusCode::NOT_FOUND)?;
    Ok(Json(PublicProfile {
        id: user.id,
        name: user.name.clone(),
    }))
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/me", get(me).patch(change_me))
        .route("/users/{id}", get(profile))
        .with_state(state)
}
