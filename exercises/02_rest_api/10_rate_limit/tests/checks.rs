use std::time::Duration;

use axum::http::{Method, StatusCode};
use backlings_support_http::http::{TestResponse, send};
use rest_rate_limit::{RateLimitLayer, TokenBucket, app};
use tokio::time::{Instant, advance};

async fn hello(app: &axum::Router, key: Option<&str>) -> TestResponse {
    let headers: Vec<(&str, &str)> = key.map(|k| ("x-api-key", k)).into_iter().collect();
    send(app, Method::GET, "/hello", &headers, None).await
}

#[tokio::test(start_paused = true)]
async fn a_bucket_allows_a_burst_then_refills_at_its_rate() {
    let t0 = Instant::now();
    let mut bucket = TokenBucket::new(3, 1.0, t0);
    assert_eq!(bucket.try_take(t0), Ok(2), "a new bucket is full");
    assert_eq!(bucket.try_take(t0), Ok(1));
    assert_eq!(bucket.try_take(t0), Ok(0));
    assert_eq!(
        bucket.try_take(t0),
        Err(Duration::from_secs(1)),
        "empty: one token per second"
    );
    let t = t0 + Duration::from_millis(400);
    let wait = bucket.try_take(t).expect_err("0.4 tokens are not a token");
    assert!(
        wait.abs_diff(Duration::from_millis(600)) < Duration::from_millis(5),
        "after 0.4 s the wait is 0.6 s, got {wait:?}"
    );
    assert_eq!(
        bucket.try_take(t0 + Duration::from_secs(1)),
        Ok(0),
        "refilled one token"
    );
}

#[tokio::test(start_paused = true)]
async fn a_bucket_never_holds_more_than_its_capacity() {
    let t0 = Instant::now();
    let mut bucket = TokenBucket::new(2, 10.0, t0);
    let later = t0 + Duration::from_secs(3600);
    assert_eq!(
        bucket.try_take(later),
        Ok(1),
        "an hour idle still means only 2 tokens"
    );
    assert_eq!(bucket.try_take(later), Ok(0));
    assert!(
        bucket.try_take(later).is_err(),
        "the burst is bounded by the capacity"
    );
}

#[tokio::test(start_paused = true)]
async fn refused_requests_take_nothing() {
    let t0 = Instant::now();
    let mut bucket = TokenBucket::new(1, 1.0, t0);
    assert!(bucket.try_take(t0).is_ok());
    for _ in 0..10 {
        assert!(bucket.try_take(t0).is_err());
    }
    assert!(
        bucket.try_take(t0 + Duration::from_secs(1)).is_ok(),
        "a client that was refused 10 times gets in after the refill: refusals do not go into debt"
    );
}

#[tokio::test(start_paused = true)]
async fn the_layer_answers_429_with_retry_after_once_a_client_is_over() {
    let app = app(RateLimitLayer::new(5, 1.0));
    for i in 0..5 {
        let res = hello(&app, Some("alice")).await;
        assert_eq!(
            res.status,
            StatusCode::OK,
            "request {} of a burst of 5",
            i + 1
        );
        assert_eq!(res.text(), "hello", "allowed requests reach the handler");
        assert_eq!(
            res.header("x-ratelimit-remaining"),
            Some((4 - i).to_string().as_str()),
            "request {}: remaining tokens",
            i + 1
        );
    }
    let res = hello(&app, Some("alice")).await;
    assert_eq!(
        res.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the 6th request in the same instant"
    );
    assert_eq!(
        res.header("retry-after"),
        Some("1"),
        "one token per second: retry in 1 s"
    );
    advance(Duration::from_secs(1)).await;
    assert_eq!(
        hello(&app, Some("alice")).await.status,
        StatusCode::OK,
        "after Retry-After"
    );
}

#[tokio::test(start_paused = true)]
async fn each_client_has_its_own_bucket() {
    let app = app(RateLimitLayer::new(2, 1.0));
    for _ in 0..2 {
        assert_eq!(hello(&app, Some("alice")).await.status, StatusCode::OK);
    }
    assert_eq!(
        hello(&app, Some("alice")).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        hello(&app, Some("bob")).await.status,
        StatusCode::OK,
        "alice's burst must not lock bob out"
    );
    assert_eq!(
        hello(&app, None).await.status,
        StatusCode::OK,
        "anonymous is its own bucket"
    );
    assert_eq!(hello(&app, None).await.status, StatusCode::OK);
    assert_eq!(
        hello(&app, None).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_is_rounded_up_to_whole_seconds() {
    // 0.4 tokens per second: an empty bucket needs 2.5 s for the next token.
    let app = app(RateLimitLayer::new(1, 0.4));
    assert_eq!(hello(&app, Some("k")).await.status, StatusCode::OK);
    let res = hello(&app, Some("k")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        res.header("retry-after"),
        Some("3"),
        "2.5 s rounds up: a client waiting 2 s would be refused again"
    );
    advance(Duration::from_millis(2000)).await;
    let res = hello(&app, Some("k")).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        res.header("retry-after"),
        Some("1"),
        "0.5 s left rounds up to 1, never 0"
    );
}
