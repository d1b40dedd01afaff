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

/// The strong ETag of a version: `"7"` (the quotes are part of it).
pub fn etag(version: u64) -> String {
    todo!()
}

/// Whether an `If-None-Match` value matches `current` (a strong ETag like `"7"`): `*` matches,
/// otherwise any entry of the comma-separated list, compared *weakly* (`W/"7"` matches `"7"`).
pub fn if_none_match_matches(header: &str, current: &str) -> bool {
    todo!()
}

/// Whether an `If-Match` value matches `current`: `*` matches, otherwise any entry of the list,
/// compared *strongly* (a weak entry `W/"7"` never matches).
pub fn if_match_matches(header: &str, current: &str) -> bool {
    todo!()
}

/// GET /docs/{id}: 200 + `ETag` + the doc; 304 + `ETag` and no body when `If-None-Match` matches;
/// 404 when there is no such doc.
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
) -> Response {
    let _ = (state, id, headers, header::ETAG);
    todo!()
}

/// PUT /docs/{id}: requires `If-Match` (428 without it); 412 and no change when it does not match
/// the current version; otherwise replace the doc, bump the version, 200 + the new `ETag` + doc.
/// 404 when there is no such doc.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    headers: HeaderMap,
    Json(doc): Json<Doc>,
) -> Response {
    let _ = (state, id, headers, doc);
    StatusCode::NOT_IMPLEMENTED.into_response()
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
