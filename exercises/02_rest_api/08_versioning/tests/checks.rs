use axum::http::StatusCode;
use backlings_support_http::http::{TestResponse, get};
use rest_versioning::{DEPRECATION, DEPRECATION_LINK, SUNSET, router, seeded, split_name};
use serde_json::json;

fn assert_deprecated(res: &TestResponse, what: &str) {
    assert_eq!(
        res.header("deprecation"),
        Some(DEPRECATION),
        "{what}: Deprecation header"
    );
    assert_eq!(res.header("sunset"), Some(SUNSET), "{what}: Sunset header");
    assert_eq!(
        res.header("link"),
        Some(DEPRECATION_LINK),
        "{what}: Link to the migration guide and v2"
    );
}

#[test]
fn names_split_at_the_last_word() {
    let n = split_name("Ada Lovelace");
    assert_eq!(
        (n.given.as_str(), n.family.as_deref()),
        ("Ada", Some("Lovelace"))
    );
    let n = split_name("Grace Brewster Hopper");
    assert_eq!(
        (n.given.as_str(), n.family.as_deref()),
        ("Grace Brewster", Some("Hopper")),
        "everything before the last word is the given name"
    );
    let n = split_name("Plato");
    assert_eq!(
        (n.given.as_str(), n.family),
        ("Plato", None),
        "one word: no family name"
    );
    let n = split_name("  Alan   Turing ");
    assert_eq!(
        (n.given.as_str(), n.family.as_deref()),
        ("Alan", Some("Turing")),
        "extra spaces are not part of a name"
    );
}

#[tokio::test]
async fn v1_keeps_its_representation_and_announces_its_sunset() {
    let app = router(seeded());
    let res = get(&app, "/v1/users/1").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({"id": 1, "name": "Ada Lovelace"}),
        "v1 clients keep getting exactly what they always got"
    );
    assert_deprecated(&res, "GET /v1/users/1");
    let list = get(&app, "/v1/users").await;
    assert_eq!(
        list.json()[1],
        json!({"id": 2, "name": "Grace Brewster Hopper"})
    );
    assert_deprecated(&list, "GET /v1/users");
}

#[tokio::test]
async fn v1_errors_are_deprecated_too() {
    let app = router(seeded());
    let res = get(&app, "/v1/users/99").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_deprecated(
        &res,
        "a 404 from v1 (use a layer, not code in each handler)",
    );
}

#[tokio::test]
async fn v2_has_structured_names_and_is_not_deprecated() {
    let app = router(seeded());
    let res = get(&app, "/v2/users/2").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({"id": 2, "name": {"given": "Grace Brewster", "family": "Hopper"}})
    );
    assert_eq!(
        get(&app, "/v2/users/3").await.json(),
        json!({"id": 3, "name": {"given": "Plato", "family": null}}),
        "a missing family name is null, not an empty string"
    );
    for uri in ["/v2/users/2", "/v2/users", "/v2/users/99"] {
        let res = get(&app, uri).await;
        assert_eq!(
            res.header("deprecation"),
            None,
            "GET {uri} is current: no Deprecation"
        );
        assert_eq!(
            res.header("sunset"),
            None,
            "GET {uri} is current: no Sunset"
        );
    }
    assert_eq!(
        get(&app, "/v2/users").await.json().as_array().map(Vec::len),
        Some(3)
    );
}

#[tokio::test]
async fn unknown_versions_and_unversioned_paths_are_404() {
    let app = router(seeded());
    for uri in ["/v3/users/1", "/users/1", "/v1/v2/users/1"] {
        assert_eq!(
            get(&app, uri).await.status,
            StatusCode::NOT_FOUND,
            "GET {uri}"
        );
    }
}
