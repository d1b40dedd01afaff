use axum::body::Body;
use axum::http::{Request, StatusCode};
use backlings_support::queued_behind;
use backlings_support_http::http::{TestResponse, delete, get, post_json, send_request};
use rest_status_codes::{AppState, router};
use serde_json::json;

fn app() -> axum::Router {
    router(AppState::default())
}

/// Every error of this API is JSON: `{"error": "..."}`.
fn error_message(res: &TestResponse) -> String {
    let body = res.json();
    body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("error bodies look like {{\"error\": \"...\"}}, got {body}"))
        .to_owned()
}

#[tokio::test]
async fn create_is_201_with_location() {
    let app = app();
    let res = post_json(
        &app,
        "/users",
        json!({"email": "ada@example.com", "name": "Ada"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(
        res.header("location"),
        Some("/users/1"),
        "201 Created says where the new resource lives"
    );
    assert_eq!(
        res.json(),
        json!({"id": 1, "email": "ada@example.com", "name": "Ada"})
    );
    assert_eq!(get(&app, "/users/1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_values_are_422() {
    let app = app();
    let res = post_json(
        &app,
        "/users",
        json!({"email": "not-an-email", "name": "Ada"}),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "well-formed JSON with an invalid value: 422"
    );
    assert!(
        error_message(&res).contains("email"),
        "say which value is wrong"
    );
    let res = post_json(&app, "/users", json!({"email": "a@b.io", "name": "   "})).await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a blank name is invalid too"
    );
    assert!(error_message(&res).contains("name"));
}

#[tokio::test]
async fn taken_email_is_409() {
    let app = app();
    post_json(
        &app,
        "/users",
        json!({"email": "ada@example.com", "name": "Ada"}),
    )
    .await;
    let res = post_json(
        &app,
        "/users",
        json!({"email": "ada@example.com", "name": "Other"}),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::CONFLICT,
        "a clash with existing state is a 409, not a 400 or a 500"
    );
    assert!(error_message(&res).contains("ada@example.com"));
    let res = post_json(
        &app,
        "/users",
        json!({"email": "ada@example.com", "name": " "}),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a request that is invalid in itself is a 422 before any look at the stored state: \
         the client must fix it whatever the server holds"
    );
}

/// Eight signups with one email at once: they queue on the store's lock (the test holds it)
/// and go together. Checking for the email under one lock and inserting under another lets
/// several of them in.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_signups_with_one_email_create_one_user() {
    let state = AppState::default();
    let app = router(state.clone());
    let held = state.store.write().await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                post_json(
                    &app,
                    "/users",
                    json!({"email": "race@example.com", "name": format!("r{i}")}),
                )
                .await
                .status
            })
        })
        .collect();
    let mut statuses = queued_behind(held, tasks).await;
    statuses.sort();
    let mut expected = vec![StatusCode::CONFLICT; 7];
    expected.insert(0, StatusCode::CREATED);
    assert_eq!(
        statuses, expected,
        "one 201 and seven 409: check and insert under one write lock"
    );
}

#[tokio::test]
async fn missing_user_is_404_json() {
    let app = app();
    let res = get(&app, "/users/7").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    error_message(&res);
}

#[tokio::test]
async fn delete_is_204_then_404() {
    let app = app();
    post_json(&app, "/users", json!({"email": "x@y.io", "name": "X"})).await;
    let res = delete(&app, "/users/1").await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert!(res.body.is_empty());
    let again = delete(&app, "/users/1").await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    error_message(&again);
}

#[tokio::test]
async fn malformed_bodies_keep_their_status_and_become_json() {
    let app = app();
    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut req = Request::builder().method("POST").uri("/users");
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.body(Body::from(body)).unwrap()
    };
    let res = send_request(&app, raw("{\"email\": ", Some("application/json"))).await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "JSON that does not parse: 400"
    );
    error_message(&res);
    let res = send_request(
        &app,
        raw("{\"email\": \"a@b.io\"}", Some("application/json")),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a missing field: 422"
    );
    assert!(
        error_message(&res).contains("name"),
        "the message names the missing field"
    );
    let res = send_request(
        &app,
        raw("email=a@b.io", Some("application/x-www-form-urlencoded")),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "not JSON at all: 415"
    );
    error_message(&res);
}
