use axum::http::{Method, StatusCode};
use backlings_support::queued_behind;
use backlings_support_http::http::{get, put_json, send};
use rest_idempotency::{AppState, router};
use serde_json::{Value, json};

async fn pay(
    app: &axum::Router,
    key: Option<&str>,
    body: Value,
) -> backlings_support_http::http::TestResponse {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    send(app, Method::POST, "/payments", &headers, Some(body)).await
}

async fn payments(app: &axum::Router) -> usize {
    get(app, "/payments").await.json().as_array().unwrap().len()
}

#[tokio::test]
async fn a_retry_replays_the_first_answer() {
    let app = router(AppState::default());
    let body = json!({"to": "acct_1", "amount_cents": 1500});
    let first = pay(&app, Some("k-123"), body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.json()["id"], 1);
    assert_eq!(
        first.header("idempotent-replayed"),
        None,
        "the first answer is not a replay"
    );
    let retry = pay(&app, Some("k-123"), body).await;
    assert_eq!(
        retry.status,
        StatusCode::CREATED,
        "a replay repeats the stored status"
    );
    assert_eq!(
        retry.json(),
        first.json(),
        "…and the stored body: the same payment"
    );
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(payments(&app).await, 1, "a retried POST must not pay twice");
}

#[tokio::test]
async fn different_keys_are_different_payments() {
    let app = router(AppState::default());
    let body = json!({"to": "acct_1", "amount_cents": 1500});
    assert_eq!(pay(&app, Some("a"), body.clone()).await.json()["id"], 1);
    assert_eq!(pay(&app, Some("b"), body).await.json()["id"], 2);
    assert_eq!(payments(&app).await, 2);
}

#[tokio::test]
async fn a_reused_key_with_another_request_is_422() {
    let app = router(AppState::default());
    pay(
        &app,
        Some("k"),
        json!({"to": "acct_1", "amount_cents": 1500}),
    )
    .await;
    let res = pay(
        &app,
        Some("k"),
        json!({"to": "acct_1", "amount_cents": 9900}),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "same key, different amount: a client bug, not a replay"
    );
    assert_eq!(payments(&app).await, 1, "and nothing is paid");
}

#[tokio::test]
async fn the_key_is_required() {
    let app = router(AppState::default());
    let res = pay(&app, None, json!({"to": "acct_1", "amount_cents": 1})).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(payments(&app).await, 0);
}

/// Eight retries with one key queue up on the store's lock (the test holds it), then all go at
/// once: a handler that releases the lock between its check and its record lets every one of
/// them check before anyone records — every time, not by chance.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_retries_pay_once() {
    let state = AppState::default();
    let app = router(state.clone());
    let held = state.store.lock().await;
    let tasks = (0..8).map(|_| {
        let app = app.clone();
        tokio::spawn(async move {
            pay(
                &app,
                Some("race"),
                json!({"to": "acct_9", "amount_cents": 500}),
            )
            .await
            .json()["id"]
                .clone()
        })
    });
    let ids = queued_behind(held, tasks.collect::<Vec<_>>()).await;
    assert_eq!(
        payments(&app).await,
        1,
        "eight simultaneous retries with one key must make one payment: check and record under one lock"
    );
    assert!(
        ids.iter().all(|id| *id == json!(1)),
        "every retry sees the same payment: {ids:?}"
    );
}

#[tokio::test]
async fn put_is_idempotent() {
    let app = router(AppState::default());
    let first = put_json(&app, "/accounts/7", json!({"name": "Ada"})).await;
    assert_eq!(
        first.status,
        StatusCode::CREATED,
        "PUT to a new URL creates: 201"
    );
    let again = put_json(&app, "/accounts/7", json!({"name": "Ada"})).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "the same PUT again replaces it with itself: 200"
    );
    assert_eq!(again.json(), json!({"name": "Ada"}));
    put_json(&app, "/accounts/7", json!({"name": "Ada Lovelace"})).await;
    let accounts = get(&app, "/accounts").await.json();
    assert_eq!(
        accounts,
        json!({"7": {"name": "Ada Lovelace"}}),
        "one account, whatever the number of PUTs"
    );
}
