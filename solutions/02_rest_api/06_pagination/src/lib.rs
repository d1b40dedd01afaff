//! Offset pagination: bounded pages, a total count, and RFC 8288 `Link` headers.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
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
    fn number(name: &str, raw: Option<&str>, default: u64) -> Result<u64, String> {
        match raw {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .map_err(|_| format!("{name} must be a positive integer, got {raw:?}")),
        }
    }
    let page = number("page", params.page.as_deref(), 1)?;
    let per_page = number("per_page", params.per_page.as_deref(), DEFAULT_PER_PAGE)?;
    if page == 0 {
        return Err("page must be 1 or more (pages count from 1)".into());
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(format!("per_page must be between 1 and {MAX_PER_PAGE}"));
    }
    Ok(PageRequest { page, per_page })
}

/// The number of the last page: at least 1, even when there are no items.
pub fn last_page(total: u64, per_page: u64) -> u64 {
    total.div_ceil(per_page).max(1)
}

/// The `Link` header for `req` over `total` items of the collection at `path`: `first` and
/// `last` always; `prev` and `next` when they exist and `req.page` is within range.
pub fn link_header(path: &str, req: PageRequest, total: u64) -> String {
    let last = last_page(total, req.per_page);
    let link = |page: u64, rel: &str| {
        format!(
            "<{path}?page={page}&per_page={}>; rel=\"{rel}\"",
            req.per_page
        )
    };
    let mut links = vec![link(1, "first")];
    if req.page > 1 && req.page <= last {
        links.push(link(req.page - 1, "prev"));
    }
    if req.page < last {
        links.push(link(req.page + 1, "next"));
    }
    links.push(link(last, "last"));
    links.join(", ")
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

async fn list(State(articles): State<Articles>, Query(params): Query<PageParams>) -> Response {
    let req = match page_request(&params) {
        Ok(req) => req,
        Err(detail) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/problem+json")],
                json!({"title": "Invalid pagination", "status": 400, "detail": detail}).to_string(),
            )
                .into_response();
        }
    };
    let total = articles.len() as u64;
    // Saturating: a huge page number must not overflow into a valid offset.
    let offset = (req.page - 1).saturating_mul(req.per_page);
    let items: Vec<&Article> = articles
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(req.per_page as usize)
        .collect();
    (
        [
            (header::LINK, link_header("/articles", req, total)),
            (
                header::HeaderName::from_static("x-total-count"),
                total.to_string(),
            ),
        ],
        Json(json!({
            "items": items,
            "page": req.page,
            "per_page": req.per_page,
            "total": total,
        })),
    )
        .into_response()
}
