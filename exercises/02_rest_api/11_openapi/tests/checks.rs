use axum::http::StatusCode;
use backlings_support_http::http::get;
use backlings_support_http::openapi::problems;
use rest_openapi::{Store, router};
use serde_json::{Value, json};

async fn document() -> Value {
    let res = get(&router(Store::default()), "/openapi.json").await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "GET /openapi.json: {}",
        res.text()
    );
    assert_eq!(res.header("content-type"), Some("application/json"));
    res.json()
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(
        op.is_object(),
        "{} {path} is not documented",
        method.to_uppercase()
    );
    op
}

/// The schema an operation's response (or request body) declares for application/json.
fn json_schema(v: &Value) -> &Value {
    &v["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn the_document_validates() {
    let doc = document().await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "an OpenAPI 3.1 document, got {}",
        doc["openapi"]
    );
    let found = problems(&doc);
    assert!(
        found.is_empty(),
        "the document has problems:\n{}",
        found.join("\n")
    );
}

#[tokio::test]
async fn every_route_is_documented_and_nothing_else() {
    let doc = document().await;
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .expect("paths is an object")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|ops| ops.keys())
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    documented.sort();
    assert_eq!(
        documented,
        [
            "DELETE /todos/{id}",
            "GET /todos",
            "GET /todos/{id}",
            "POST /todos"
        ],
        "the API's four operations (the document itself need not be documented)"
    );
}

#[tokio::test]
async fn responses_are_documented_with_their_status_codes_and_bodies() {
    let doc = document().await;
    let todo_ref = json!({"$ref": "#/components/schemas/Todo"});
    for (method, path, codes) in [
        ("get", "/todos", &["200"][..]),
        ("post", "/todos", &["201", "422"][..]),
        ("get", "/todos/{id}", &["200", "404"][..]),
        ("delete", "/todos/{id}", &["204", "404"][..]),
    ] {
        let op = operation(&doc, method, path);
        let mut got: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        got.sort();
        assert_eq!(
            got,
            codes,
            "{} {path}: documented status codes",
            method.to_uppercase()
        );
    }
    let list = json_schema(&operation(&doc, "get", "/todos")["responses"]["200"]);
    assert_eq!(list["type"], "array", "GET /todos returns an array: {list}");
    assert_eq!(list["items"], todo_ref, "of Todo");
    for (method, path, code) in [("post", "/todos", "201"), ("get", "/todos/{id}", "200")] {
        assert_eq!(
            *json_schema(&operation(&doc, method, path)["responses"][code]),
            todo_ref,
            "{} {path} {code} returns a Todo",
            method.to_uppercase()
        );
    }
    let body = &operation(&doc, "post", "/todos")["requestBody"];
    assert_eq!(
        *json_schema(body),
        json!({"$ref": "#/components/schemas/NewTodo"}),
        "POST /todos takes a NewTodo"
    );
    assert_eq!(body["required"], true, "the body is required");
}

#[tokio::test]
async fn the_id_is_a_documented_integer_path_parameter() {
    let doc = document().await;
    for method in ["get", "delete"] {
        let params = operation(&doc, method, "/todos/{id}")["parameters"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let id = params
            .iter()
            .find(|p| p["name"] == "id")
            .unwrap_or_else(|| panic!("{method} /todos/{{id}} documents `id`"));
        assert_eq!(id["in"], "path");
        assert_eq!(id["schema"]["type"], "integer", "the id is an integer");
        assert!(
            id["description"].as_str().is_some_and(|d| !d.is_empty()),
            "parameters have a description"
        );
    }
}

#[tokio::test]
async fn the_schemas_describe_what_the_api_really_sends_and_accepts() {
    let doc = document().await;
    let todo = &doc["components"]["schemas"]["Todo"];
    assert_eq!(
        todo["type"], "object",
        "a Todo schema in components: {todo}"
    );
    let mut required: Vec<&str> = todo["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    required.sort();
    assert_eq!(
        required,
        ["done", "id", "title"],
        "every Todo field is always sent"
    );
    assert_eq!(todo["properties"]["id"]["type"], "integer");
    assert_eq!(todo["properties"]["title"]["type"], "string");
    assert_eq!(todo["properties"]["done"]["type"], "boolean");

    let new = &doc["components"]["schemas"]["NewTodo"];
    assert_eq!(
        new["required"],
        json!(["title"]),
        "`done` may be left out of a NewTodo (serde default): it must not be required: {new}"
    );

    // The documented properties are exactly the ones a real response has.
    let store = Store::default();
    store.add("write docs", false);
    let app = router(store);
    let real = get(&app, "/todos/1").await.json();
    let mut sent: Vec<&String> = real.as_object().unwrap().keys().collect();
    sent.sort();
    let mut declared: Vec<&String> = todo["properties"].as_object().unwrap().keys().collect();
    declared.sort();
    assert_eq!(
        sent, declared,
        "the Todo schema lists what GET /todos/1 sends"
    );
}
