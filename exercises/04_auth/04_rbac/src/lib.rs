//! Authorization: roles grant permissions, handlers ask for a permission, and objects belong to
//! someone. Deny by default; 401 is "who are you?", 403 is "not you".

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Extension, Json, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Viewer,
    Editor,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ReadDocs,
    /// Change documents you own.
    EditOwnDocs,
    /// Change anyone's documents.
    EditAnyDoc,
    DeleteDocs,
    ManageUsers,
}

/// What a role may do: a Viewer reads; an Editor reads and edits their own documents; an Admin
/// may do everything. Anything not listed is denied.
pub fn grants(role: Role) -> &'static [Permission] {
    let _ = role;
    todo!()
}

/// Who is calling, as established by the authentication layer in front of this router (a
/// verified token, a session): it puts a `Principal` into the request's extensions. No
/// principal means the request is anonymous.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: String,
    pub roles: Vec<Role>,
}

impl Principal {
    /// Whether any of the principal's roles grants `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        let _ = permission;
        todo!()
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// No principal: 401, with `WWW-Authenticate: Bearer`.
    Unauthenticated,
    /// A principal without the permission: 403.
    Forbidden,
    NotFound,
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        match self {
            // TODO: 401 and the header that says how to authenticate.
            Denied::Unauthenticated => todo!(),
            Denied::Forbidden => StatusCode::FORBIDDEN.into_response(),
            Denied::NotFound => StatusCode::NOT_FOUND.into_response(),
        }
    }
}

/// The gate every handler goes through: without a principal, 401 with `WWW-Authenticate:
/// Bearer` (RFC 9110 §15.5.2: a 401 says how to authenticate); with one that lacks
/// `permission`, 403.
pub fn authorize(
    principal: Option<&Principal>,
    permission: Permission,
) -> Result<&Principal, Denied> {
    let _ = (principal, permission);
    todo!()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Doc {
    pub id: u64,
    pub owner: String,
    pub title: String,
}

#[derive(Debug, Deserialize)]
pub struct DocUpdate {
    pub title: String,
}

#[derive(Clone, Default)]
pub struct AppState {
    pub docs: Arc<RwLock<BTreeMap<u64, Doc>>>,
}

impl AppState {
    /// A state with `docs` as (id, owner, title).
    pub fn with_docs(docs: &[(u64, &str, &str)]) -> AppState {
        let map = docs
            .iter()
            .map(|&(id, owner, title)| {
                (
                    id,
                    Doc {
                        id,
                        owner: owner.to_owned(),
                        title: title.to_owned(),
                    },
                )
            })
            .collect();
        AppState {
            docs: Arc::new(RwLock::new(map)),
        }
    }
}

type Caller = Option<Extension<Principal>>;

fn caller(c: &Caller) -> Option<&Principal> {
    c.as_ref().map(|Extension(p)| p)
}

async fn list(State(state): State<AppState>, who: Caller) -> Result<Json<Vec<Doc>>, Denied> {
    authorize(caller(&who), Permission::ReadDocs)?;
    Ok(Json(state.docs.read().await.values().cloned().collect()))
}

async fn read(
    State(state): State<AppState>,
    who: Caller,
    Path(id): Path<u64>,
) -> Result<Json<Doc>, Denied> {
    authorize(caller(&who), Permission::ReadDocs)?;
    let docs = state.docs.read().await;
    docs.get(&id).cloned().map(Json).ok_or(Denied::NotFound)
}

/// PUT /docs/{id}: with EditAnyDoc any document; with EditOwnDocs only the caller's own (another
/// user's document is 403, and stays unchanged); a missing document is 404 for anyone allowed
/// to edit at all.
async fn update(
    State(state): State<AppState>,
    who: Caller,
    Path(id): Path<u64>,
    Json(change): Json<DocUpdate>,
) -> Result<Json<Doc>, Denied> {
    let _ = (state, who, id, change);
    todo!()
}

async fn remove(
    State(state): State<AppState>,
    who: Caller,
    Path(id): Path<u64>,
) -> Result<StatusCode, Denied> {
    authorize(caller(&who), Permission::DeleteDocs)?;
    match state.docs.write().await.remove(&id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(Denied::NotFound),
    }
}

async fn users(who: Caller) -> Result<Json<serde_json::Value>, Denied> {
    authorize(caller(&who), Permission::ManageUsers)?;
    Ok(Json(serde_json::json!(["ada", "bob", "cy"])))
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/docs", get(list))
        .route("/docs/{id}", get(read).put(update).delete(remove))
        .route("/admin/users", get(users))
        .with_state(state)
}
