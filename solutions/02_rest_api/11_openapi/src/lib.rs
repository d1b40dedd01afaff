//! An OpenAPI document generated from the code it describes, with utoipa.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

/// A todo item as the API returns it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Todo {
    pub id: u64,
    pub title: String,
    pub done: bool,
}

/// The body of `POST /todos`. `done` may be left out (false).
#[derive(Debug, Deserialize, ToSchema)]
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

#[derive(OpenApi)]
#[openapi(
    info(title = "Todos", version = "1.0.0", description = "A small todo API"),
    paths(list_todos, create_todo, get_todo, delete_todo)
)]
pub struct ApiDoc;

/// The document, built from the annotations on the handlers and types below.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/todos", get(list_todos).post(create_todo))
        .route("/todos/{id}", get(get_todo).delete(delete_todo))
        .route("/openapi.json", get(|| async { Json(openapi()) }))
        .with_state(store)
}

/// List every todo.
#[utoipa::path(get, path = "/todos", responses(
    (status = 200, description = "All todos", body = Vec<Todo>)
))]
async fn list_todos(State(store): State<Store>) -> Json<Vec<Todo>> {
    let todos = store.todos.lock().unwrap_or_else(|e| e.into_inner());
    Json(todos.values().cloned().collect())
}

/// Create a todo.
#[utoipa::path(post, path = "/todos", request_body = NewTodo, responses(
    (status = 201, description = "Created", body = Todo),
    (status = 422, description = "The title is empty")
))]
async fn create_todo(State(store): State<Store>, Json(new): Json<NewTodo>) -> Response {
    if new.title.trim().is_empty() {
        return (StatusCode::UNPROCESSABLE_ENTITY, "title must not be empty").into_response();
    }
    let todo = store.add(&new.title, new.done);
    (StatusCode::CREATED, Json(todo)).into_response()
}

/// One todo.
#[utoipa::path(get, path = "/todos/{id}",
    params(("id" = u64, Path, description = "The todo's id")),
    responses(
        (status = 200, description = "The todo", body = Todo),
        (status = 404, description = "No todo with this id")
    )
)]
async fn get_todo(State(store): State<Store>, Path(id): Path<u64>) -> Response {
    let todos = store.todos.lock().unwrap_or_else(|e| e.into_inner());
    match todos.get(&id) {
        Some(todo) => Json(todo.clone()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Delete a todo.
#[utoipa::path(delete, path = "/todos/{id}",
    params(("id" = u64, Path, description = "The todo's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No todo with this id")
    )
)]
async fn delete_todo(State(store): State<Store>, Path(id): Path<u64>) -> StatusCode {
    let mut todos = store.todos.lock().unwrap_or_else(|e| e.into_inner());
    match todos.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}
