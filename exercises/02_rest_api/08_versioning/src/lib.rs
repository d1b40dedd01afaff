//! Two versions of one API side by side; the old one announces its end.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
#[allow(unused_imports)] // you will need `middleware`
use axum::{Json, Router, middleware};
use serde::Serialize;

/// RFC 9745: when v1 became deprecated, as a structured-field date (seconds since the epoch).
pub const DEPRECATION: &str = "@1782864000";
/// RFC 8594: when v1 stops answering, as an HTTP-date.
pub const SUNSET: &str = "Thu, 31 Dec 2026 23:59:59 GMT";
/// Where clients read about the move, and what replaces v1.
pub const DEPRECATION_LINK: &str =
    "</docs/migrating-to-v2>; rel=\"deprecation\", </v2>; rel=\"successor-version\"";

/// What the service stores: one full name, as v1 always had it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub full_name: String,
}

pub type Users = Arc<BTreeMap<u64, User>>;

pub fn seeded() -> Users {
    let users = [
        (1, "Ada Lovelace"),
        (2, "Grace Brewster Hopper"),
        (3, "Plato"),
    ];
    Arc::new(
        users
            .into_iter()
            .map(|(id, name)| {
                (
                    id,
                    User {
                        id,
                        full_name: name.to_owned(),
                    },
                )
            })
            .collect(),
    )
}

/// v1: `{"id": 1, "name": "Ada Lovelace"}`.
#[derive(Debug, Serialize, PartialEq)]
pub struct UserV1 {
    pub id: u64,
    pub name: String,
}

/// v2: `{"id": 1, "name": {"given": "Ada", "family": "Lovelace"}}`.
#[derive(Debug, Serialize, PartialEq)]
pub struct UserV2 {
    pub id: u64,
    pub name: PersonName,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct PersonName {
    pub given: String,
    /// `null` for a single name ("Plato").
    pub family: Option<String>,
}

/// The last word is the family name, everything before it the given name; runs of spaces count
/// as one. A single word is a given name without a family name.
pub fn split_name(full: &str) -> PersonName {
    let _ = full;
    todo!()
}

impl From<&User> for UserV1 {
    fn from(u: &User) -> Self {
        UserV1 {
            id: u.id,
            name: u.full_name.clone(),
        }
    }
}

impl From<&User> for UserV2 {
    fn from(u: &User) -> Self {
        UserV2 {
            id: u.id,
            name: split_name(&u.full_name),
        }
    }
}

/// `/v1/...` and `/v2/...` from one store; every v1 response (errors included) carries
/// `Deprecation`, `Sunset` and `Link`; v2 responses do not.
pub fn router(users: Users) -> Router {
    // TODO: a v1 router and a v2 router with the same routes (`list::<UserV1>`, `one::<UserV2>`…),
    // the v1 one wrapped in `middleware::map_response(announce_deprecation)`, both nested under
    // /v1 and /v2, `.with_state(users)`.
    let _ = (users, announce_deprecation);
    Router::new()
}

async fn announce_deprecation(res: Response) -> Response {
    // TODO: insert Deprecation, Sunset and Link (the constants above) into the response headers.
    let _ = (HeaderValue::from_static(DEPRECATION), header::LINK);
    res
}

async fn list<R>(State(users): State<Users>) -> Json<Vec<R>>
where
    R: for<'a> From<&'a User> + Serialize,
{
    Json(users.values().map(R::from).collect())
}

async fn one<R>(State(users): State<Users>, Path(id): Path<u64>) -> Response
where
    R: for<'a> From<&'a User> + Serialize,
{
    match users.get(&id) {
        Some(u) => Json(R::from(u)).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
