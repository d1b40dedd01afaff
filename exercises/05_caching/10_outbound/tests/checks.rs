use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::serve::ListenerExt;
use outbound_client::{CALL_TIMEOUT, Pricing, PricingError};
use serde_json::json;

/// The pricing service on 127.0.0.1:0, counting the TCP connections it accepts. `slow` never
/// answers (within a minute); `missing` is a 404.
async fn pricing_service() -> (String, Arc<AtomicUsize>) {
    let accepted = Arc::new(AtomicUsize::new(0));
    let app = Router::new().route(
        "/prices/{sku}",
        get(|Path(sku): Path<String>| async move {
            match sku.as_str() {
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    StatusCode::OK.into_response()
                }
                "missing" => (StatusCode::NOT_FOUND, "no such sku").into_response(),
                _ => axum::Json(json!({ "cents": 100 + sku.len() })).into_response(),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let counter = Arc::clone(&accepted);
    let listener = listener.tap_io(move |_tcp| {
        counter.fetch_add(1, Ordering::SeqCst);
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_calls_reuse_a_handful_of_connections() {
    let (base, accepted) = pricing_service().await;
    let pricing = Pricing::new(&base).expect("a client");
    for _ in 0..50 {
        // Four calls at a time, as four concurrent requests of ours would make.
        let calls: Vec<_> = (0..4)
            .map(|i| {
                let pricing = pricing.clone();
                tokio::spawn(async move { pricing.price(&format!("sku-{i}")).await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().expect("a price"), 105);
        }
        // A response is back before its connection is: hyper returns it to the idle pool from
        // a task of its own. Without a moment for that, the next round can open a fifth
        // connection on a loaded machine, pool or not (seen 1 grade in 4 on CI's 2 cores).
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let accepted = accepted.load(Ordering::SeqCst);
    assert!(
        accepted <= 4,
        "200 calls, 4 at a time, opened {accepted} connections to the pricing service: every new \
         connection is a TCP (and in production a TLS) handshake, and a service under load runs \
         out of ports. One client for the whole service keeps a pool of connections and reuses \
         them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_upstream_is_a_timeout_not_a_hang() {
    let (base, _) = pricing_service().await;
    let pricing = Pricing::new(&base).expect("a client");
    let outcome = tokio::time::timeout(CALL_TIMEOUT * 4, pricing.price("slow")).await;
    let result = outcome.unwrap_or_else(|_| {
        panic!(
            "a call to a service that never answers was still waiting after {:?}: without a \
             deadline, a hung dependency hangs every request of ours that calls it, until we run \
             out of connections, memory or patience. Give every call a total timeout",
            CALL_TIMEOUT * 4
        )
    });
    assert!(
        matches!(result, Err(PricingError::Timeout(_))),
        "a call that ran out of time is a PricingError::Timeout, got {result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_status_is_an_error() {
    let (base, _) = pricing_service().await;
    let pricing = Pricing::new(&base).expect("a client");
    let result = pricing.price("missing").await;
    assert!(
        matches!(result, Err(PricingError::Status(404))),
        "a 404 from pricing must reach the caller as PricingError::Status(404) — not as a \
         decoding error of the error page, nor as a price; got {result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_that_is_down_is_unreachable_quickly() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pricing = Pricing::new(&format!("http://127.0.0.1:{port}")).expect("a client");
    let result = tokio::time::timeout(CALL_TIMEOUT * 2, pricing.price("sku-1"))
        .await
        .expect("a refused connection fails at once");
    assert!(
        matches!(result, Err(PricingError::Unreachable(_))),
        "nothing listens: PricingError::Unreachable, got {result:?}"
    );
}
