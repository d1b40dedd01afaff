//! An OpenAPI document generated from the code it describes, with utoipa.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
#[allow(unused_imports)] // you will need them
use utoipa::{OpenApi, ToSchema};

/// A todo item as the API returns it.
// TODO: derive `ToSchema` so the document can describe this type.
#[derive(Debug, Clone, Serialize)]
pub struct Todo {
    pub id: u64,
    pub title: String,
    pub done: bool,
}

/// The body of `POST /todos`. `done` may be left out (false).
// TODO: derive `ToSchema` (utoipa understands `#[serde(default)]`).
#[derive(Debug, Deserialize)]
pub struct NewTodo {
    pub title: String,
    #[serde(default)]
    pub done: bool,
}

#[derive(Clone, Default)]
pub struct Store {
    todos: Arc<Mutex<BTreeMap<u64, Todo>>>,
}

impl Store {
    pub fn add(&self, title: &str, done: bool) -> Todo {
        let mut todos = self.todos.lock().unwrap_or_else(|e| e.into_inner());
        let id = todos.keys().next_back().map_or(1, |last| last + 1);
        let todo = Todo {
            id,
            title: title.to_owned(),
            done,
        };
        todos.insert(id, todo.clone());
        todo
    }
}

// TODO: `#[derive(OpenApi)]` on a struct, with `info(...)` and `paths(...)` listing the handlers.

/// The document, built from the annotations on the handlers and types below.
pub fn openapi() -> utoipa::openapi::OpenApi {
    todo!()
}

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/todos", get(list_todos).post(create_todo))
        .route("/todos/{id}", get(get_todo).delete(delete_todo))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .with_state(store)
}

/// List every todo.
// TODO: #[utoipa::path(...)]: method, path, params, request body, every response.
async fn list_todos(State(store): State<Store>) -> Json<Vec<Todo>> {
    let todos = store.todos.lock().unwrap_or_else(|e| e.into_inner());
    Json(todos.values().cloned().collect())
}

/// Create a todo.
// TODO: #[utoipa::path(...)]: method, path, params, request body, every response.
async fn create_todo(State(store): State<Store>, Json(new): Json<NewTodo>) -> Response {
    if new.title.trim().is_empty() {
        return (StatusCode::UNPROCESSABLE_ENTITY, "title must not be empty").into_response();
    }
    let todo = store.add(&new.title, new.done);
    (StatusCode::CREATED, Json(todo)).into_response()
}

/// One todo.
// TODO: #[utoipa::path(...)]: method, path, params, request body, every response.
async fn get_todo(State(store): State<Store>, Path(id): Path<u64>) -> Response {
    let todos = store.todos.lock().unwrap_or_else(|e| e.into_inner());
    match todos.get(&id) {
        Some(todo) => Json(todo.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Delete a todo.
// TODO: #[utoipa::path(...)]: method, path, params, request body, every response.
async fn delete_todo(State(store): State<Store>, Path(id): Path<u64>) -> StatusCode {
    let mut todos = store.todos.lock().unwrap_or_else(|e| e.into_inner());
    match todos.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}
