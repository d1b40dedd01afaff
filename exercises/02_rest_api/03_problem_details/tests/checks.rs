use axum::http::StatusCode;
use backlings_support_http::http::{TestResponse, post_json, send};
use rest_problem_details::{FieldError, NewOrder, PROBLEM_JSON, router, validate};
use serde_json::{Value, json};

fn problem(res: &TestResponse, status: StatusCode, kind: &str) -> Value {
    assert_eq!(res.status, status);
    assert_eq!(
        res.header("content-type"),
        Some(PROBLEM_JSON),
        "problem details are served as application/problem+json, not application/json"
    );
    let body = res.json();
    assert_eq!(body["type"], kind);
    assert_eq!(
        body["status"],
        status.as_u16(),
        "`status` repeats the HTTP status code"
    );
    assert_eq!(
        body["instance"], "/orders",
        "`instance` is the path of this request"
    );
    for member in ["title", "detail"] {
        assert!(
            body[member].as_str().is_some_and(|s| !s.is_empty()),
            "`{member}` is a non-empty string: {body}"
        );
    }
    body
}

#[tokio::test]
async fn a_valid_order_is_created() {
    let res = post_json(
        &router(),
        "/orders",
        json!({"sku": "BOOK-42", "quantity": 2, "email": "a@b.io"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(
        res.json(),
        json!({"sku": "BOOK-42", "quantity": 2, "email": "a@b.io"})
    );
}

#[tokio::test]
async fn every_invalid_field_is_reported_at_once() {
    let res = post_json(
        &router(),
        "/orders",
        json!({"sku": "x", "quantity": 0, "email": "nope"}),
    )
    .await;
    let body = problem(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "/problems/validation-error",
    );
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("validation problems list the field errors in `errors`")
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["sku", "quantity", "email"],
        "all three fields are wrong: report all of them, in field order"
    );
    for e in body["errors"].as_array().unwrap() {
        assert!(
            e["message"].as_str().is_some_and(|m| !m.is_empty()),
            "each field error says what is wrong: {e}"
        );
    }
}

#[tokio::test]
async fn one_bad_field_is_one_error() {
    let res = post_json(
        &router(),
        "/orders",
        json!({"sku": "BOOK-42", "quantity": 101, "email": "a@b.io"}),
    )
    .await;
    let body = problem(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "/problems/validation-error",
    );
    assert_eq!(
        body["errors"],
        json!([{"field": "quantity", "message": body["errors"][0]["message"]}])
    );
    assert!(
        body["detail"].as_str().unwrap().contains('1'),
        "the detail says how many fields are invalid"
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_problems_without_errors() {
    let res = send(
        &router(),
        axum::http::Method::POST,
        "/orders",
        &[],
        Some(json!({"sku": "BOOK-42"})),
    )
    .await;
    let body = problem(&res, StatusCode::BAD_REQUEST, "/problems/malformed-body");
    assert!(
        body.get("errors").is_none(),
        "`errors` is left out when there are none: {body}"
    );
}

#[test]
fn validation_rules() {
    let order = |sku: &str, quantity: i64, email: &str| NewOrder {
        sku: sku.into(),
        quantity,
        email: email.into(),
    };
    assert_eq!(validate(&order("ABC", 1, "a@b")), Ok(()));
    assert_eq!(
        validate(&order("A-1-B-2-C-3-D-4-E-5F", 100, "x@y.z")),
        Ok(()),
        "20 characters and 100 are still fine"
    );
    let fields = |r: Result<(), Vec<FieldError>>| {
        r.unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fields(validate(&order("AB", 1, "a@b"))),
        ["sku"],
        "too short"
    );
    assert_eq!(
        fields(validate(&order("A-1-B-2-C-3-D-4-E-5FG", 1, "a@b"))),
        ["sku"],
        "too long"
    );
    assert_eq!(
        fields(validate(&order("abc", 1, "a@b"))),
        ["sku"],
        "lowercase is not allowed"
    );
    assert_eq!(
        fields(validate(&order("AB C", 1, "a@b"))),
        ["sku"],
        "nor spaces"
    );
    assert_eq!(fields(validate(&order("ABC", -3, "a@b"))), ["quantity"]);
    assert_eq!(fields(validate(&order("ABC", 1, "ab"))), ["email"]);
}
