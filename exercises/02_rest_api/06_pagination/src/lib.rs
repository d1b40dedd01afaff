//! Offset pagination: bounded pages, a total count, and RFC 8288 `Link` headers.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
#[allow(unused_imports)] // you will need it
use serde_json::json;

pub const DEFAULT_PER_PAGE: u64 = 20;
pub const MAX_PER_PAGE: u64 = 100;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Article {
    pub id: u64,
    pub title: String,
}

/// `?page=&per_page=` as sent: strings, so that bad values get our error, not axum's.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    pub page: Option<String>,
    pub per_page: Option<String>,
}

/// A validated page request: `page` counts from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub per_page: u64,
}

/// Checks and defaults the query. `page` ≥ 1 (default 1); `per_page` in 1..=MAX_PER_PAGE
/// (default DEFAULT_PER_PAGE). The error is a message for a 400 response naming the parameter.
pub fn page_request(params: &PageParams) -> Result<PageRequest, String> {
    let _ = params;
    todo!()
}

/// The number of the last page: at least 1, even when there are no items.
pub fn last_page(total: u64, per_page: u64) -> u64 {
    let _ = (total, per_page);
    todo!()
}

/// The `Link` header for `req` over `total` items of the collection at `path`: `first` and
/// `last` always; `prev` and `next` when they exist and `req.page` is within range.
pub fn link_header(path: &str, req: PageRequest, total: u64) -> String {
    let _ = (path, req, total);
    todo!()
}

pub type Articles = Arc<Vec<Article>>;

/// `n` articles with ids 1..=n.
pub fn seeded(n: u64) -> Articles {
    Arc::new(
        (1..=n)
            .map(|id| Article {
                id,
                title: format!("Article {id}"),
            })
            .collect(),
    )
}

pub fn router(articles: Articles) -> Router {
    Router::new()
        .route("/articles", get(list))
        .with_state(articles)
}

/// GET /articles?page=&per_page=: `{"items", "page", "per_page", "total"}` with `Link` and
/// `X-Total-Count` headers; a page past the end is an empty `items` (still 200); bad parameters
/// are a 400 `application/problem+json` whose `detail` names the parameter.
async fn list(State(articles): State<Articles>, Query(params): Query<PageParams>) -> Response {
    // TODO: validate with page_request (400 + problem+json on error), slice the page, and answer
    // with the JSON body, a Link header and X-Total-Count.
    let _ = (articles, params);
    StatusCode::NOT_IMPLEMENTED.into_response()
}
