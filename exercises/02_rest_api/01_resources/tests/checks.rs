use axum::http::{Method, StatusCode};
use backlings_support::queued_behind;
use backlings_support_http::http::{delete, get, patch_json, post_json, put_json, send};
use rest_resources::{AppState, router};
use serde_json::json;

fn app() -> axum::Router {
    router(AppState::default())
}

#[tokio::test]
async fn create_then_read() {
    let app = app();
    let created = post_json(&app, "/items", json!({"name": "write tests"})).await;
    assert_eq!(
        created.status,
        StatusCode::CREATED,
        "POST to a collection creates: 201 Created"
    );
    assert_eq!(
        created.json(),
        json!({"id": 1, "name": "write tests", "done": false})
    );
    let read = get(&app, "/items/1").await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.json()["name"], "write tests");
}

#[tokio::test]
async fn list_is_ordered_by_id() {
    let app = app();
    for name in ["a", "b", "c"] {
        post_json(&app, "/items", json!({"name": name})).await;
    }
    let list = get(&app, "/items").await;
    assert_eq!(list.status, StatusCode::OK);
    let names: Vec<_> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].clone())
        .collect();
    assert_eq!(names, [json!("a"), json!("b"), json!("c")]);
    assert_eq!(
        get(&app, "/items").await.json().as_array().unwrap().len(),
        3,
        "GET must not change anything"
    );
}

#[tokio::test]
async fn missing_items_are_404() {
    let app = app();
    assert_eq!(get(&app, "/items/42").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        put_json(&app, "/items/42", json!({"name": "x"}))
            .await
            .status,
        StatusCode::NOT_FOUND,
        "PUT does not create here"
    );
    assert_eq!(
        patch_json(&app, "/items/42", json!({"done": true}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete(&app, "/items/42").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn put_replaces_the_whole_item() {
    let app = app();
    post_json(&app, "/items", json!({"name": "draft", "done": true})).await;
    let put = put_json(&app, "/items/1", json!({"name": "final"})).await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(
        put.json(),
        json!({"id": 1, "name": "final", "done": false}),
        "PUT sends the whole representation: `done` was left out, so it is back to its default (false)"
    );
}

#[tokio::test]
async fn patch_changes_only_what_is_sent() {
    let app = app();
    post_json(&app, "/items", json!({"name": "keep my name"})).await;
    let patched = patch_json(&app, "/items/1", json!({"done": true})).await;
    assert_eq!(patched.status, StatusCode::OK);
    assert_eq!(
        patched.json(),
        json!({"id": 1, "name": "keep my name", "done": true}),
        "PATCH leaves absent fields alone"
    );
    let renamed = patch_json(&app, "/items/1", json!({"name": "renamed"})).await;
    assert_eq!(
        renamed.json(),
        json!({"id": 1, "name": "renamed", "done": true})
    );
}

#[tokio::test]
async fn delete_is_204_and_ids_are_not_reused() {
    let app = app();
    post_json(&app, "/items", json!({"name": "one"})).await;
    post_json(&app, "/items", json!({"name": "two"})).await;
    let deleted = delete(&app, "/items/2").await;
    assert_eq!(
        deleted.status,
        StatusCode::NO_CONTENT,
        "a successful DELETE with nothing to say is 204"
    );
    assert!(deleted.body.is_empty(), "204 has no body");
    assert_eq!(get(&app, "/items/2").await.status, StatusCode::NOT_FOUND);
    let again = post_json(&app, "/items", json!({"name": "three"})).await;
    assert_eq!(
        again.json()["id"],
        3,
        "ids are never reused, even after a delete"
    );
}

#[tokio::test]
async fn unsupported_methods_are_405_with_allow() {
    let app = app();
    post_json(&app, "/items", json!({"name": "x"})).await;
    let res = send(&app, Method::DELETE, "/items", &[], None).await;
    assert_eq!(
        res.status,
        StatusCode::METHOD_NOT_ALLOWED,
        "the collection itself cannot be deleted"
    );
    let allow = res
        .header("allow")
        .expect("405 responses must carry an Allow header")
        .to_owned();
    for m in ["GET", "POST"] {
        assert!(allow.contains(m), "Allow should list {m}: {allow:?}");
    }
    let res = send(&app, Method::POST, "/items/1", &[], None).await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    let allow = res.header("allow").unwrap_or_default().to_owned();
    for m in ["GET", "PUT", "PATCH", "DELETE"] {
        assert!(allow.contains(m), "Allow should list {m}: {allow:?}");
    }
}

/// Ten creates at once: they queue on the store's lock (the test holds it) and go together. An
/// id read under one lock and the item written under another gives several of them the same id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_get_distinct_ids() {
    let state = AppState::default();
    let app = router(state.clone());
    let held = state.store.write().await;
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                post_json(&app, "/items", json!({"name": format!("item {i}")}))
                    .await
                    .json()["id"]
                    .as_u64()
            })
        })
        .collect();
    let mut ids = queued_behind(held, tasks).await;
    ids.sort();
    assert_eq!(
        ids,
        (1..=10).map(Some).collect::<Vec<_>>(),
        "ten simultaneous POSTs get ten different ids: take the next id and insert under one write lock"
    );
    let listed = get(&app, "/items").await.json();
    assert_eq!(
        listed.as_array().map(Vec::len),
        Some(10),
        "and all ten are stored"
    );
}
