//! HTTP caching (RFC 9111) at both ends: an origin that says what may be cached, by whom and
//! for how long, and a shared cache in front of it — a CDN's edge in miniature — that obeys.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::http::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CACHE_CONTROL, VARY};
use axum::http::{HeaderMap, HeaderName, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use http_body_util::BodyExt;
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
        // The same for everyone, changes rarely: browsers a minute, the edge five.
        .route(
            "/products/{id}",
            get(|Path(id): Path<u32>| async move {
                (
                    [
                        (CACHE_CONTROL, "public, max-age=60, s-maxage=300".to_owned()),
                        (SURROGATE_KEY, format!("product-{id} products")),
                    ],
                    format!("product {id}"),
                )
            }),
        )
        // For one user only: their browser may keep it, no shared cache may.
        .route(
            "/me",
            get(|headers: HeaderMap| async move {
                (
                    [(CACHE_CONTROL, "private, max-age=60")],
                    format!("hello {}", user(&headers)),
                )
            }),
        )
        // Sensitive: kept by nobody, not even on the user's disk.
        .route(
            "/cart",
            get(|headers: HeaderMap| async move {
                (
                    [(CACHE_CONTROL, "no-store")],
                    format!("cart of {}", user(&headers)),
                )
            }),
        )
        // Fingerprinted: a new version gets a new name, so this one never changes.
        .route(
            "/assets/app.3f9a2c.js",
            get(|| async {
                (
                    [(CACHE_CONTROL, "public, max-age=31536000, immutable")],
                    "console.log('app')",
                )
            }),
        )
        // One URL, a representation per language: a cache must keep them apart.
        .route(
            "/greeting",
            get(|headers: HeaderMap| async move {
                let french = headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.starts_with("fr"));
                (
                    [
                        (CACHE_CONTROL, "public, s-maxage=300"),
                        (VARY, "Accept-Language"),
                    ],
                    if french { "bonjour" } else { "hello" },
                )
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
        let url = req.uri().to_string();
        if req.method() == Method::GET {
            let stored = self.stored.lock().expect("the cache's lock");
            for entry in stored.get(&url).into_iter().flatten() {
                if let BeforeRequest::Fresh(_) = entry.policy.before_request(&req, now) {
                    return to_client(entry.status, &entry.headers, entry.body.clone());
                }
            }
        }
        let (parts, body) = req.into_parts();
        let forwarded = Request::from_parts(parts.clone(), body);
        let response = match self.origin.clone().oneshot(forwarded).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (res_parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return StatusCode::BAD_GATEWAY.into_response(),
        };
        let policy = CachePolicy::new_options(&parts, &res_parts, now, CacheOptions::default());
        if policy.is_storable() {
            let mut stored = self.stored.lock().expect("the cache's lock");
            let variants = stored.entry(url).or_default();
            // A new response replaces the variant it is a new version of.
            variants.retain(|old| {
                !matches!(
                    old.policy.before_request(&parts, now),
                    BeforeRequest::Fresh(_) | BeforeRequest::Stale { matches: true, .. }
                )
            });
            variants.push(Stored {
                policy,
                status: res_parts.status,
                headers: res_parts.headers.clone(),
                body: body.clone(),
            });
        }
        to_client(res_parts.status, &res_parts.headers, body)
    }

    /// Drops every stored response tagged with `key`; returns how many.
    pub fn purge(&self, key: &str) -> usize {
        let mut stored = self.stored.lock().expect("the cache's lock");
        let mut purged = 0;
        for variants in stored.values_mut() {
            let before = variants.len();
            variants.retain(|entry| !surrogate_keys(&entry.headers).any(|k| k == key));
            purged += before - variants.len();
        }
        purged
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
