//! The edge in front of the origin, with a counter of the requests that reach the origin. Time is
//! passed in (`now`), so "five minutes later" is exact and instant.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::body::Body;
use axum::http::header::CACHE_CONTROL;
use axum::http::{Request, Response};
use cache_http_edge::{EdgeCache, SURROGATE_KEY, origin};
use http_body_util::BodyExt;

struct Edge {
    cache: EdgeCache,
    origin_hits: Arc<AtomicUsize>,
    t0: SystemTime,
}

impl Edge {
    fn new() -> Edge {
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = {
            let hits = Arc::clone(&hits);
            origin().layer(axum::middleware::from_fn(
                move |req: Request<Body>, next: axum::middleware::Next| {
                    let hits = Arc::clone(&hits);
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        next.run(req).await
                    }
                },
            ))
        };
        Edge {
            cache: EdgeCache::new(counted),
            origin_hits: hits,
            t0: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        }
    }

    /// GET `path` at `secs` seconds after t0, with `headers`; (status, body, response).
    async fn get_at(
        &self,
        secs: u64,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (String, Response<Body>) {
        let mut req = Request::get(path);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = self
            .cache
            .handle(
                req.body(Body::empty()).unwrap(),
                self.t0 + Duration::from_secs(secs),
            )
            .await;
        let (parts, body) = res.into_parts();
        let bytes = body.collect().await.expect("a body").to_bytes();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        (text, Response::from_parts(parts, Body::empty()))
    }

    fn hits(&self) -> usize {
        self.origin_hits.load(Ordering::SeqCst)
    }
}

fn cache_control(res: &Response<Body>) -> String {
    res.headers()
        .get(CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

#[tokio::test]
async fn a_public_page_comes_from_the_edge_until_it_expires_there() {
    let edge = Edge::new();
    for _ in 0..10 {
        let (body, _) = edge.get_at(0, "/products/1", &[]).await;
        assert_eq!(body, "product 1");
    }
    assert_eq!(
        edge.hits(),
        1,
        "10 requests for a product page reached the origin {} times: the page is the same for \
         everyone, so the origin should let shared caches keep it (Cache-Control)",
        edge.hits()
    );
    let (_, res) = edge.get_at(120, "/products/1", &[]).await;
    assert_eq!(
        edge.hits(),
        1,
        "2 minutes later the edge still serves it: the edge may keep it 5 minutes (s-maxage), \
         even though browsers keep it only 1 (max-age). Sent: `{}`",
        cache_control(&res)
    );
    edge.get_at(301, "/products/1", &[]).await;
    assert_eq!(
        edge.hits(),
        2,
        "after 5 minutes the edge asks the origin again"
    );
}

#[tokio::test]
async fn a_page_for_one_user_is_never_served_to_another() {
    let edge = Edge::new();
    let (alice, res) = edge
        .get_at(0, "/me", &[("authorization", "Bearer alice")])
        .await;
    assert_eq!(alice, "hello alice");
    let (bob, _) = edge
        .get_at(1, "/me", &[("authorization", "Bearer bob")])
        .await;
    assert_eq!(
        bob, "hello bob",
        "Bob was served Alice's page from the edge: a response for one user must not be stored \
         by a shared cache"
    );
    assert!(
        cache_control(&res).contains("private") || cache_control(&res).contains("no-store"),
        "`/me` must say it is for one user only, so that no shared cache between the user and \
         the origin (a CDN, a corporate proxy) stores it; got `{}`",
        cache_control(&res)
    );
}

#[tokio::test]
async fn a_sensitive_page_is_stored_by_nobody() {
    let edge = Edge::new();
    let (_, res) = edge
        .get_at(0, "/cart", &[("authorization", "Bearer alice")])
        .await;
    edge.get_at(1, "/cart", &[("authorization", "Bearer alice")])
        .await;
    assert_eq!(
        edge.hits(),
        2,
        "the edge stored a response it was told not to"
    );
    assert!(
        cache_control(&res).contains("no-store"),
        "`private` still lets the browser keep the cart on disk (a shared computer's next \
         user can read it); `no-store` keeps it out of every cache. Got `{}`",
        cache_control(&res)
    );
}

#[tokio::test]
async fn each_language_is_its_own_variant() {
    let edge = Edge::new();
    let mut served = Vec::new();
    for lang in ["en", "fr-FR", "en", "fr-FR", "en"] {
        served.push(
            edge.get_at(0, "/greeting", &[("accept-language", lang)])
                .await
                .0,
        );
    }
    assert_eq!(
        served,
        ["hello", "bonjour", "hello", "bonjour", "hello"],
        "a French reader got the English page from the edge (or the reverse): a response that \
         depends on a request header must name it in `Vary`, and the edge must keep one variant \
         per value"
    );
    assert_eq!(
        edge.hits(),
        2,
        "two languages, two requests to the origin: the edge keeps both variants side by side \
         (one replacing the other sends every switch of language to the origin)"
    );
}

#[tokio::test]
async fn purging_a_surrogate_key_drops_what_it_tags_and_nothing_else() {
    let edge = Edge::new();
    edge.get_at(0, "/products/1", &[]).await;
    edge.get_at(0, "/products/2", &[]).await;
    edge.get_at(0, "/assets/app.3f9a2c.js", &[]).await;
    assert_eq!(edge.hits(), 3);
    assert_eq!(
        edge.cache.purge("product-1"),
        1,
        "product 1 changed: purging its key drops its page (the origin tags each product page \
         with `product-<id>` and `products` in Surrogate-Key)"
    );
    edge.get_at(1, "/products/1", &[]).await;
    edge.get_at(1, "/products/2", &[]).await;
    assert_eq!(
        edge.hits(),
        4,
        "after purging product-1, only its page goes back to the origin"
    );
    assert_eq!(
        edge.cache.purge("products"),
        2,
        "every product page, and nothing else"
    );
    edge.get_at(2, "/assets/app.3f9a2c.js", &[]).await;
    assert_eq!(edge.hits(), 4, "the asset was not tagged `products`");
}

#[tokio::test]
async fn surrogate_keys_stay_at_the_edge() {
    let edge = Edge::new();
    for at in [0, 1] {
        let (_, res) = edge.get_at(at, "/products/1", &[]).await;
        assert!(
            res.headers().get(SURROGATE_KEY).is_none(),
            "the client got the edge's Surrogate-Key header (on a {}): it tells anyone how the \
             cache is organised and is of no use to them",
            if at == 0 { "miss" } else { "hit" }
        );
    }
}

#[tokio::test]
async fn a_fingerprinted_asset_is_kept_for_a_year() {
    let edge = Edge::new();
    let (_, res) = edge.get_at(0, "/assets/app.3f9a2c.js", &[]).await;
    let cc = cache_control(&res);
    assert!(
        cc.contains("max-age=31536000") && cc.contains("immutable"),
        "an asset whose name changes with its content never changes: a year, and `immutable` so \
         browsers do not revalidate it on reload. Got `{cc}`"
    );
    edge.get_at(30 * 24 * 3600, "/assets/app.3f9a2c.js", &[])
        .await;
    assert_eq!(edge.hits(), 1, "a month later it still comes from the edge");
}

#[tokio::test]
async fn a_request_with_credentials_is_not_answered_from_another_users_entry() {
    // RFC 9111 §3.5: a shared cache does not reuse a stored response for a request with
    // Authorization unless the response explicitly allows it (`public`, `s-maxage`, …). The
    // greeting allows it; it is the same for everyone.
    let edge = Edge::new();
    edge.get_at(0, "/greeting", &[("accept-language", "en")])
        .await;
    let (body, _) = edge
        .get_at(
            1,
            "/greeting",
            &[("accept-language", "en"), ("authorization", "Bearer carol")],
        )
        .await;
    assert_eq!(body, "hello");
    assert_eq!(
        edge.hits(),
        1,
        "`public` content may be shared with signed-in users too"
    );
}
