//! Driving an axum `Router` in tests without a network: build a request, send it through the
//! router with tower's `oneshot`, read status, headers and body.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A response, read to the end.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    /// A header's value as text (None if absent or not text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body in the message if it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("the response body is not JSON ({e}): {:?}", self.text()))
    }
}

/// Sends `method uri` with optional headers and a JSON body through `app`.
pub async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    json: Option<serde_json::Value>,
) -> TestResponse {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match json {
        Some(v) => {
            req = req.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    send_request(app, req.body(body).expect("a valid request")).await
}

/// Sends a request built by the test itself (raw bodies, unusual headers).
pub async fn send_request(app: &Router, req: Request<Body>) -> TestResponse {
    let response = app
        .clone()
        .oneshot(req)
        .await
        .expect("the router is infallible");
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .expect("the body can be read")
        .to_bytes();
    TestResponse {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

pub async fn get(app: &Router, uri: &str) -> TestResponse {
    send(app, Method::GET, uri, &[], None).await
}

pub async fn post_json(app: &Router, uri: &str, json: serde_json::Value) -> TestResponse {
    send(app, Method::POST, uri, &[], Some(json)).await
}

pub async fn put_json(app: &Router, uri: &str, json: serde_json::Value) -> TestResponse {
    send(app, Method::PUT, uri, &[], Some(json)).await
}

pub async fn patch_json(app: &Router, uri: &str, json: serde_json::Value) -> TestResponse {
    send(app, Method::PATCH, uri, &[], Some(json)).await
}

pub async fn delete(app: &Router, uri: &str) -> TestResponse {
    send(app, Method::DELETE, uri, &[], None).await
}
