//! An API gateway: one entry point that routes to the services behind it, checks who the
//! caller is, and passes on only what the services may trust.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
#[allow(unused_imports)]
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
#[allow(unused_imports)] // you will need them
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
use serde::Deserialize;

/// Who issues the tokens the gateway accepts, and for which audience.
pub const ISSUER: &str = "backlings-auth";
pub const AUDIENCE: &str = "backlings-api";
/// The header in which upstreams receive the caller's identity.
pub const USER_HEADER: &str = "x-user-id";
pub const REQUEST_ID: &str = "x-request-id";

/// The hop-by-hop headers of RFC 9110 section 7.6.1 (and the older ones RFC 2616 listed):
/// they describe one connection, not the message, and are not forwarded.
pub const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Requests whose path is `prefix` or starts with `prefix/` go to `url`.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub prefix: String,
    pub url: String,
}

#[derive(Clone)]
pub struct Gateway {
    upstreams: Arc<Vec<Upstream>>,
    key: Arc<DecodingKey>,
    http: reqwest::Client,
}

impl Gateway {
    /// `secret` is the HS256 key the auth service signs tokens with (not empty).
    pub fn new(
        upstreams: Vec<Upstream>,
        secret: &[u8],
    ) -> Result<Gateway, jsonwebtoken::errors::Error> {
        Ok(Gateway {
            upstreams: Arc::new(upstreams),
            key: Arc::new(DecodingKey::from_secret(secret)?),
            http: reqwest::Client::new(),
        })
    }
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

/// The upstream for `path`: the longest prefix that matches at a segment boundary.
pub fn route<'a>(upstreams: &'a [Upstream], path: &str) -> Option<&'a Upstream> {
    todo!("the longest prefix that matches whole path segments")
}

/// Removes the hop-by-hop headers, and every header the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    todo!("the standard ones, and those Connection names")
}

/// The caller's user id, from a valid `Authorization: Bearer` token; `None` otherwise.
pub fn authenticate(headers: &HeaderMap, key: &DecodingKey) -> Option<String> {
    todo!("a valid bearer token: signature, algorithm, issuer, audience, expiry")
}

/// The client's request id if it is a sane one (1 to 64 letters, digits and dashes), a new
/// random one otherwise.
pub fn request_id(headers: &HeaderMap) -> String {
    todo!("keep a sane one, make a new one otherwise")
}

/// The headers an upstream receives: the client's end-to-end headers, without anything the
/// client could use to speak for the gateway (identity, forwarding, credentials), plus the
/// gateway's own: the user, `Forwarded`, the request id.
pub fn upstream_headers(
    incoming: &HeaderMap,
    user: &str,
    client: SocketAddr,
    request_id: &str,
) -> HeaderMap {
    todo!("what the upstream may trust: nothing that speaks for the gateway comes from the client")
}

/// The gateway: every request is authenticated, routed and forwarded.
pub fn app(gateway: Gateway) -> Router {
    Router::new().fallback(proxy).with_state(gateway)
}

// ---- Given: the forwarding itself. ----

async fn proxy(
    State(gw): State<Gateway>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let id = request_id(request.headers());
    let mut response = forward(&gw, client, &id, request).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

async fn forward(gw: &Gateway, client: SocketAddr, id: &str, request: Request) -> Response {
    let Some(upstream) = route(&gw.upstreams, request.uri().path()) else {
        return (StatusCode::NOT_FOUND, "no such route").into_response();
    };
    let Some(user) = authenticate(request.headers(), &gw.key) else {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a valid bearer token is required",
        )
            .into_response();
    };
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let headers = upstream_headers(request.headers(), &user, client, id);
    let method = request.method().clone();
    let Ok(body) = axum::body::to_bytes(request.into_body(), 1 << 20).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "body too large").into_response();
    };
    let answer = gw
        .http
        .request(method, format!("{}{path_and_query}", upstream.url))
        .headers(headers)
        .body(body)
        .send()
        .await;
    let Ok(answer) = answer else {
        return (StatusCode::BAD_GATEWAY, "the upstream did not answer").into_response();
    };
    let status = answer.status();
    let mut headers = answer.headers().clone();
    strip_hop_by_hop(&mut headers);
    headers.remove(header::CONTENT_LENGTH);
    let Ok(bytes) = answer.bytes().await else {
        return (StatusCode::BAD_GATEWAY, "the upstream's answer broke off").into_response();
    };
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    response
}
