//! ETags for cheap re-reads (304) and for updates that never overwrite someone else's (412).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Doc {
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone)]
pub struct Versioned {
    pub doc: Doc,
    /// Starts at 1, +1 on every successful update.
    pub version: u64,
}

#[derive(Clone, Default)]
pub struct AppState {
    pub docs: Arc<RwLock<BTreeMap<u64, Versioned>>>,
}

pub fn etag(version: u64) -> String {
    format!("\"{version}\"")
}

fn entries(header: &str) -> impl Iterator<Item = &str> {
    header.split(',').map(str::trim).filter(|e| !e.is_empty())
}

pub fn if_none_match_matches(header: &str, current: &str) -> bool {
    entries(header).any(|e| e == "*" || e.trim_start_matches("W/") == current)
}

pub fn if_match_matches(header: &str, current: &str) -> bool {
    entries(header).any(|e| e == "*" || e == current)
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let docs = state.docs.read().await;
    let Some(found) = docs.get(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let tag = etag(found.version);
    if header_str(&headers, header::IF_NONE_MATCH).is_some_and(|h| if_none_match_matches(h, &tag)) {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    (
        StatusCode::OK,
        [(header::ETAG, tag)],
        Json(found.doc.clone()),
    )
        .into_response()
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    Json(doc): Json<Doc>,
) -> Response {
    let mut docs = state.docs.write().await;
    let Some(found) = docs.get_mut(&id) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(condition) = header_str(&headers, header::IF_MATCH) else {
        return StatusCode::PRECONDITION_REQUIRED.into_response();
    };
    if !if_match_matches(condition, &etag(found.version)) {
        return StatusCode::PRECONDITION_FAILED.into_response();
    }
    found.doc = doc;
    found.version += 1;
    let tag = etag(found.version);
    (
        StatusCode::OK,
        [(header::ETAG, tag)],
        Json(found.doc.clone()),
    )
        .into_response()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/docs/{id}", get(read).put(update))
        .with_state(state)
}

/// A state with one document (id 1, version 1), for tests and demos.
pub fn seeded() -> AppState {
    let state = AppState::default();
    let doc = Doc {
        title: "Design notes".into(),
        body: "v1".into(),
    };
    state
        .docs
        .try_write()
        .expect("fresh lock")
        .insert(1, Versioned { doc, version: 1 });
    state
}
