//! HTTP caching (RFC 9111) at both ends: an origin that says what may be cached, by whom and
//! for how long, and a shared cache in front of it — a CDN's edge in miniature — that obeys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
#[allow(unused_imports)]
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CACHE_CONTROL, VARY};
#[allow(unused_imports)]
use axum::http::{HeaderMap, HeaderName, Method, Request, Response, StatusCode};
#[allow(unused_imports)]
use axum::response::IntoResponse;
use axum::routing::get;
#[allow(unused_imports)]
use http_body_util::BodyExt;
#[allow(unused_imports)]
use http_cache_semantics::{BeforeRequest, CacheOptions, CachePolicy};
use tower::ServiceExt;

/// Tags a response with the keys it can be purged by (space-separated), as Fastly's
/// `Surrogate-Key`. Meant for the edge only: it never reaches a client.
pub const SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");

/// The user a request is for (`Authorization: Bearer <user>`), or "guest".
fn user(headers: &HeaderMap) -> String {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("guest")
        .to_owned()
}

/// The application.
pub fn origin() -> Router {
    Router::new()
        // The same for everyone, changes rarely: browsers may keep it a minute, the edge five.
        // It can be purged as this product, or with every product.
        .route(
            "/products/{id}",
            get(|Path(id): Path<u32>| async move { format!("product {id}") }),
        )
        // For one user only: their browser may keep it, no shared cache may.
        .route(
            "/me",
            get(|headers: HeaderMap| async move { format!("hello {}", user(&headers)) }),
        )
        // Sensitive: kept by nobody, not even on the user's disk.
        .route(
            "/cart",
            get(|headers: HeaderMap| async move { format!("cart of {}", user(&headers)) }),
        )
        // Fingerprinted: a new version gets a new name, so this one never changes.
        .route(
            "/assets/app.3f9a2c.js",
            get(|| async { "console.log('app')" }),
        )
        // One URL, a representation per language: a cache must keep them apart.
        .route(
            "/greeting",
            get(|headers: HeaderMap| async move {
                let french = headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("fr"));
                if french { "bonjour" } else { "hello" }
            }),
        )
}

struct Stored {
    policy: CachePolicy,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// A shared cache in front of an origin.
pub struct EdgeCache {
    origin: Router,
    /// By URL, every variant stored (one per combination of the headers its `Vary` names).
    stored: Mutex<HashMap<String, Vec<Stored>>>,
}

impl EdgeCache {
    pub fn new(origin: Router) -> EdgeCache {
        EdgeCache {
            origin,
            stored: Mutex::new(HashMap::new()),
        }
    }

    /// Answers from the cache when a stored response may be reused at `now`, else from the
    /// origin (storing the answer when it may be stored).
    pub async fn handle(&self, req: Request<Body>, now: SystemTime) -> Response<Body> {
        let _ = now;
        // For now, a proxy that stores nothing.
        match self.origin.clone().oneshot(req).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    /// Drops every stored response tagged with `key`; returns how many.
    pub fn purge(&self, key: &str) -> usize {
        todo!()
    }
}

fn surrogate_keys(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(SURROGATE_KEY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(str::split_whitespace)
}

/// What the client gets: everything but the edge's own tags.
fn to_client(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers.clone();
    response.headers_mut().remove(SURROGATE_KEY);
    response
}
