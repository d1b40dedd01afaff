use auth_rbac::{AppState, Permission, Principal, Role, grants, router};
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use backlings_support_http::http::{TestResponse, send_request};
use serde_json::json;

fn state() -> AppState {
    AppState::with_docs(&[(1, "ada", "Ada's notes"), (2, "bob", "Bob's draft")])
}

fn as_user(user: &str, roles: &[Role]) -> Option<Principal> {
    Some(Principal {
        user: user.to_owned(),
        roles: roles.to_vec(),
    })
}

/// A request as the authentication layer would pass it on: with the caller, if any, in the
/// request's extensions.
async fn call(
    app: &axum::Router,
    who: Option<Principal>,
    method: Method,
    uri: &str,
    body: Option<serde_json::Value>,
) -> TestResponse {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(p) = who {
        req = req.extension(p);
    }
    let req = match body {
        Some(json) => req
            .header("content-type", "application/json")
            .body(Body::from(json.to_string())),
        None => req.body(Body::empty()),
    }
    .unwrap();
    send_request(app, req).await
}

#[test]
fn roles_grant_what_the_policy_says_and_nothing_more() {
    use Permission::*;
    assert_eq!(grants(Role::Viewer), [ReadDocs]);
    let mut editor = grants(Role::Editor).to_vec();
    editor.sort_by_key(|p| *p as u8);
    assert_eq!(
        editor,
        [ReadDocs, EditOwnDocs],
        "an editor edits their own documents only"
    );
    for p in [ReadDocs, EditOwnDocs, EditAnyDoc, DeleteDocs, ManageUsers] {
        assert!(grants(Role::Admin).contains(&p), "an admin may {p:?}");
    }
}

#[test]
fn a_principal_can_what_any_of_its_roles_grants() {
    let both = Principal {
        user: "cy".into(),
        roles: vec![Role::Viewer, Role::Editor],
    };
    assert!(
        both.can(Permission::EditOwnDocs),
        "the second role counts too"
    );
    assert!(!both.can(Permission::DeleteDocs));
    let none = Principal {
        user: "dan".into(),
        roles: vec![],
    };
    assert!(
        !none.can(Permission::ReadDocs),
        "no role, no permission: deny by default"
    );
}

/// Every route, every role: the status each one gets.
#[tokio::test]
async fn every_route_answers_each_role_as_the_policy_says() {
    use StatusCode as S;
    let cases: [(Method, &str, [StatusCode; 3]); 5] = [
        // (viewer, editor, admin)
        (Method::GET, "/docs", [S::OK, S::OK, S::OK]),
        (Method::GET, "/docs/1", [S::OK, S::OK, S::OK]),
        (
            Method::PUT,
            "/docs/9",
            [S::FORBIDDEN, S::NOT_FOUND, S::NOT_FOUND],
        ),
        (
            Method::DELETE,
            "/docs/2",
            [S::FORBIDDEN, S::FORBIDDEN, S::NO_CONTENT],
        ),
        (
            Method::GET,
            "/admin/users",
            [S::FORBIDDEN, S::FORBIDDEN, S::OK],
        ),
    ];
    for (method, uri, expected) in cases {
        for (role, want) in [Role::Viewer, Role::Editor, Role::Admin]
            .into_iter()
            .zip(expected)
        {
            let app = router(state());
            let body = (method == Method::PUT).then(|| json!({"title": "t"}));
            let res = call(&app, as_user("zed", &[role]), method.clone(), uri, body).await;
            assert_eq!(res.status, want, "{method} {uri} as {role:?}");
        }
    }
}

#[tokio::test]
async fn anonymous_requests_are_401_with_a_challenge_everywhere() {
    let app = router(state());
    for (method, uri) in [
        (Method::GET, "/docs"),
        (Method::GET, "/docs/1"),
        (Method::PUT, "/docs/1"),
        (Method::DELETE, "/docs/1"),
        (Method::GET, "/admin/users"),
    ] {
        let body = (method == Method::PUT).then(|| json!({"title": "t"}));
        let res = call(&app, None, method.clone(), uri, body).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri} without a principal: 401 (who are you?), not 403 (not you)"
        );
        assert_eq!(
            res.header("www-authenticate"),
            Some("Bearer"),
            "{method} {uri}: a 401 says how to authenticate (RFC 9110 §15.5.2)"
        );
    }
    let res = call(&app, as_user("dan", &[]), Method::GET, "/docs", None).await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "known but without roles: 403"
    );
}

/// OWASP API Security Top 10 2023, API1: broken object level authorization. The permission to
/// edit is not the permission to edit *this* document.
#[tokio::test]
async fn editors_change_their_own_documents_only() {
    let app = router(state());
    let bob = || as_user("bob", &[Role::Editor]);
    let res = call(
        &app,
        bob(),
        Method::PUT,
        "/docs/1",
        Some(json!({"title": "pwned"})),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "bob edits ada's document"
    );
    let ada_doc = call(&app, bob(), Method::GET, "/docs/1", None).await.json();
    assert_eq!(ada_doc["title"], "Ada's notes", "and it is unchanged");
    let res = call(
        &app,
        bob(),
        Method::PUT,
        "/docs/2",
        Some(json!({"title": "Bob's final"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "bob edits his own");
    assert_eq!(
        res.json(),
        json!({"id": 2, "owner": "bob", "title": "Bob's final"})
    );
    let admin = as_user("root", &[Role::Admin]);
    let res = call(
        &app,
        admin,
        Method::PUT,
        "/docs/1",
        Some(json!({"title": "Moderated"})),
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "an admin edits anyone's");
    assert_eq!(
        res.json()["owner"],
        "ada",
        "editing does not change the owner"
    );
    let two_roles = as_user("bob", &[Role::Viewer, Role::Editor]);
    let res = call(
        &app,
        two_roles,
        Method::PUT,
        "/docs/2",
        Some(json!({"title": "again"})),
    )
    .await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "the editor role counts even when it is not the first"
    );
}
