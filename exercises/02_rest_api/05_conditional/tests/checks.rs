use axum::http::{Method, StatusCode};
use backlings_support::queued_behind;
use backlings_support_http::http::{TestResponse, send};
use rest_conditional::{etag, if_match_matches, if_none_match_matches, router, seeded};
use serde_json::json;

async fn get_with(app: &axum::Router, headers: &[(&str, &str)]) -> TestResponse {
    send(app, Method::GET, "/docs/1", headers, None).await
}

async fn put_with(app: &axum::Router, headers: &[(&str, &str)], body: &str) -> TestResponse {
    send(
        app,
        Method::PUT,
        "/docs/1",
        headers,
        Some(json!({"title": "Design notes", "body": body})),
    )
    .await
}

#[test]
fn etags_and_comparisons() {
    assert_eq!(etag(7), "\"7\"", "an ETag is a quoted string");
    assert!(if_none_match_matches("\"7\"", "\"7\""));
    assert!(
        if_none_match_matches("\"5\", \"7\"", "\"7\""),
        "any entry of a list"
    );
    assert!(if_none_match_matches("*", "\"7\""));
    assert!(
        if_none_match_matches("W/\"7\"", "\"7\""),
        "If-None-Match compares weakly: W/\"7\" matches"
    );
    assert!(!if_none_match_matches("\"8\"", "\"7\""));
    assert!(
        !if_none_match_matches("\"77\"", "\"7\""),
        "whole ETags are compared, not substrings"
    );
    assert!(if_match_matches("\"7\"", "\"7\""));
    assert!(if_match_matches("\"1\",\"7\"", "\"7\""));
    assert!(if_match_matches("*", "\"7\""));
    assert!(
        !if_match_matches("W/\"7\"", "\"7\""),
        "If-Match compares strongly: a weak ETag never matches"
    );
}

#[tokio::test]
async fn get_sends_an_etag_and_304s_when_it_matches() {
    let app = router(seeded());
    let first = get_with(&app, &[]).await;
    assert_eq!(first.status, StatusCode::OK);
    let tag = first
        .header("etag")
        .expect("GET returns an ETag")
        .to_owned();
    assert_eq!(tag, "\"1\"");
    let again = get_with(&app, &[("If-None-Match", &tag)]).await;
    assert_eq!(
        again.status,
        StatusCode::NOT_MODIFIED,
        "the client's copy is current: 304"
    );
    assert!(
        again.body.is_empty(),
        "a 304 has no body: that is the point"
    );
    assert_eq!(
        again.header("etag"),
        Some(tag.as_str()),
        "a 304 repeats the ETag"
    );
    let stale = get_with(&app, &[("If-None-Match", "\"0\"")]).await;
    assert_eq!(
        stale.status,
        StatusCode::OK,
        "an old ETag gets the full representation"
    );
    assert_eq!(stale.json()["body"], "v1");
    let missing = send(&app, Method::GET, "/docs/9", &[], None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn put_requires_if_match() {
    let app = router(seeded());
    let res = put_with(&app, &[], "blind write").await;
    assert_eq!(
        res.status,
        StatusCode::PRECONDITION_REQUIRED,
        "an update without If-Match: 428"
    );
    assert_eq!(
        get_with(&app, &[]).await.json()["body"],
        "v1",
        "and nothing changed"
    );
}

#[tokio::test]
async fn a_matching_if_match_updates_and_changes_the_etag() {
    let app = router(seeded());
    let res = put_with(&app, &[("If-Match", "\"1\"")], "v2").await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("etag"),
        Some("\"2\""),
        "a new version, a new ETag"
    );
    assert_eq!(res.json()["body"], "v2");
    let now = get_with(&app, &[("If-None-Match", "\"1\"")]).await;
    assert_eq!(
        now.status,
        StatusCode::OK,
        "the old ETag no longer matches after an update"
    );
}

#[tokio::test]
async fn the_lost_update_is_prevented() {
    let app = router(seeded());
    // Alice and Bob both read version 1.
    let seen = get_with(&app, &[]).await.header("etag").unwrap().to_owned();
    let alice = put_with(&app, &[("If-Match", &seen)], "Alice's edit").await;
    assert_eq!(alice.status, StatusCode::OK);
    let bob = put_with(&app, &[("If-Match", &seen)], "Bob's edit of v1").await;
    assert_eq!(
        bob.status,
        StatusCode::PRECONDITION_FAILED,
        "Bob's copy is stale: 412, not a silent overwrite"
    );
    assert_eq!(
        get_with(&app, &[]).await.json()["body"],
        "Alice's edit",
        "Alice's change survives"
    );
    let weak = put_with(&app, &[("If-Match", "W/\"2\"")], "weak").await;
    assert_eq!(
        weak.status,
        StatusCode::PRECONDITION_FAILED,
        "weak ETags never satisfy If-Match"
    );
}

/// Five clients edit version 1 at once, each with `If-Match: "1"`: they queue on the store's lock
/// (the test holds it) and go together. Exactly one may win; the others must get 412. A version
/// checked under a read lock and written under a write lock lets all five "win", each
/// overwriting the last: the lost update conditional requests exist to prevent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_one_version_let_exactly_one_win() {
    let state = seeded();
    let app = router(state.clone());
    let held = state.docs.write().await;
    let tasks: Vec<_> = (0..5)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                put_with(&app, &[("If-Match", "\"1\"")], &format!("edit {i}"))
                    .await
                    .status
            })
        })
        .collect();
    let mut statuses = queued_behind(held, tasks).await;
    statuses.sort();
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::PRECONDITION_FAILED,
            StatusCode::PRECONDITION_FAILED,
            StatusCode::PRECONDITION_FAILED,
            StatusCode::PRECONDITION_FAILED
        ],
        "five updates of version 1 at once: one 200, four 412 (check and write under one lock)"
    );
    let after = get_with(&app, &[]).await;
    assert_eq!(
        after.header("etag"),
        Some("\"2\""),
        "one update, one new version"
    );
}
