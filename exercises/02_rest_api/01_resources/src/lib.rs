//! A collection resource and its items, with the methods REST gives them.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: u64,
    pub name: String,
    pub done: bool,
}

/// The body of POST and PUT: the whole representation (`done` defaults to false).
#[derive(Debug, Deserialize)]
pub struct NewItem {
    pub name: String,
    #[serde(default)]
    pub done: bool,
}

/// The body of PATCH: only the fields to change.
#[derive(Debug, Deserialize)]
pub struct ItemPatch {
    pub name: Option<String>,
    pub done: Option<bool>,
}

#[derive(Default)]
pub struct Store {
    pub items: BTreeMap<u64, Item>,
    pub last_id: u64,
}

#[derive(Clone, Default)]
pub struct AppState {
    pub store: Arc<RwLock<Store>>,
}

/// GET /items: every item, by id.
pub async fn list(State(state): State<AppState>) -> Json<Vec<Item>> {
    todo!()
}

/// POST /items: 201 and the new item.
pub async fn create(
    State(state): State<AppState>,
    Json(new): Json<NewItem>,
) -> (StatusCode, Json<Item>) {
    todo!("take the next id (last_id + 1), insert, answer 201")
}

/// GET /items/{id}: the item, or 404.
pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<Item>, StatusCode> {
    todo!()
}

/// PUT /items/{id}: replace name *and* done (a missing `done` means false), or 404.
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(new): Json<NewItem>,
) -> Result<Json<Item>, StatusCode> {
    todo!()
}

/// PATCH /items/{id}: change only the fields present, or 404.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(patch): Json<ItemPatch>,
) -> Result<Json<Item>, StatusCode> {
    todo!()
}

/// DELETE /items/{id}: 204 No Content, or 404.
pub async fn remove(State(state): State<AppState>, Path(id): Path<u64>) -> StatusCode {
    todo!()
}

pub fn router(state: AppState) -> Router {
    // TODO: `/items` answers GET and POST; `/items/{id}` answers GET, PUT, PATCH and DELETE.
    // `use axum::routing::{get, post, …}` and chain them: `get(list).post(create)`.
    Router::new().with_state(state)
}
