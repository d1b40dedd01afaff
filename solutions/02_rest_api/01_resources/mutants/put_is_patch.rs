//! PUT only changes the name it is sent, like a PATCH
//! A collection resource and its items, with the methods REST gives them.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Json, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
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

pub async fn list(State(state): State<AppState>) -> Json<Vec<Item>> {
    Json(state.store.read().await.items.values().cloned().collect())
}

pub async fn create(
    State(state): State<AppState>,
    Json(new): Json<NewItem>,
) -> (StatusCode, Json<Item>) {
    let mut store = state.store.write().await;
    store.last_id += 1;
    let item = Item {
        id: store.last_id,
        name: new.name,
        done: new.done,
    };
    store.items.insert(item.id, item.clone());
    (StatusCode::CREATED, Json(item))
}

pub async fn read(
    State(state): State<AppState>,
    Path(id): Path<u64>,
) -> Result<Json<Item>, StatusCode> {
    let store = state.store.read().await;
    store
        .items
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(new): Json<NewItem>,
) -> Result<Json<Item>, StatusCode> {
    let mut store = state.store.write().await;
    let item = store.items.get_mut(&id).ok_or(StatusCode::NOT_FOUND)?;
    item.name = new.name;
    Ok(Json(item.clone()))
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<u64>,
    Json(patch): Json<ItemPatch>,
) -> Result<Json<Item>, StatusCode> {
    let mut store = state.store.write().await;
    let item = store.items.get_mut(&id).ok_or(StatusCode::NOT_FOUND)?;
    if let Some(name) = patch.name {
        item.name = name;
    }
    if let Some(done) = patch.done {
        item.done = done;
    }
    Ok(Json(item.clone()))
}

pub async fn remove(State(state): State<AppState>, Path(id): Path<u64>) -> StatusCode {
    match state.store.write().await.items.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/items", get(list).post(create))
        .route(
            "/items/{id}",
            get(read).put(replace).patch(update).delete(remove),
        )
        .with_state(state)
}
