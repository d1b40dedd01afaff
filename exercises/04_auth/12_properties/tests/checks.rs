use auth_properties::{AppState, User, router};
use axum::http::{Method, StatusCode};
use backlings_support_http::http::{TestResponse, send};
use serde_json::{Value, json};

fn state() -> AppState {
    let state = AppState::default();
    let users = [
        (1, "Ada", "ada@example.com", "user"),
        (2, "Grace", "grace@example.com", "admin"),
    ];
    let mut map = state.users.try_write().unwrap();
    for (id, name, email, role) in users {
        map.insert(
            id,
            User {
                id,
                name: name.into(),
                email: email.into(),
                email_verified: true,
                role: role.into(),
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into(),
            },
        );
    }
    drop(map);
    state
}

async fn as_ada(
    app: &axum::Router,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> TestResponse {
    send(app, method, uri, &[("x-user-id", "1")], body).await
}

fn keys(v: &Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .expect("a JSON object")
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// OWASP API3:2023, "excessive data exposure": the response carries only what this caller may
/// see — the client is not where fields get filtered.
#[tokio::test]
async fn responses_carry_only_the_fields_the_caller_may_see() {
    let app = router(state());
    let other = send(&app, Method::GET, "/users/2", &[], None).await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(
        keys(&other.json()),
        ["id", "name"],
        "someone else's profile: {}",
        other.text()
    );
    let own = as_ada(&app, Method::GET, "/me", None).await.json();
    assert_eq!(
        keys(&own),
        ["email", "email_verified", "id", "name"],
        "your own profile, without the password hash or the role: {own}"
    );
    assert_eq!(
        send(&app, Method::GET, "/users/9", &[], None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        send(&app, Method::GET, "/me", &[], None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn users_change_their_name_and_email() {
    let state = state();
    let app = router(state.clone());
    let res = as_ada(&app, Method::PATCH, "/me", Some(json!({"name": "Ada L."}))).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["name"], "Ada L.");
    assert_eq!(
        res.json()["email_verified"],
        true,
        "the email did not change"
    );
    let res = as_ada(
        &app,
        Method::PATCH,
        "/me",
        Some(json!({"email": "ada@lovelace.example"})),
    )
    .await;
    assert_eq!(res.json()["email"], "ada@lovelace.example");
    assert_eq!(
        res.json()["email_verified"],
        false,
        "a new email is unverified: otherwise anyone can claim any address as verified"
    );
}

/// OWASP API3:2023, "mass assignment": a client adds fields it may not write to a request that
/// is otherwise fine. Binding the body to the stored struct, or ignoring unknown fields after
/// reading them, lets `"role": "admin"` through.
#[tokio::test]
async fn fields_the_caller_may_not_write_are_refused() {
    let state = state();
    let app = router(state.clone());
    for body in [
        json!({"name": "Ada", "role": "admin"}),
        json!({"email_verified": true}),
        json!({"email": "x@example.com", "id": 2}),
        json!({"password_hash": "$argon2id$..."}),
    ] {
        let res = as_ada(&app, Method::PATCH, "/me", Some(body.clone())).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: a field the client may not write refuses the whole request"
        );
    }
    let ada = state.users.read().await[&1].clone();
    assert_eq!(
        (
            ada.name.as_str(),
            ada.email.as_str(),
            ada.role.as_str(),
            ada.email_verified
        ),
        ("Ada", "ada@example.com", "user", true),
        "nothing was applied, not even the allowed part"
    );
}
