//! An API gateway: one entry point that routes to the services behind it, checks who the
//! caller is, and passes on only what the services may trust.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
}

/// The upstream for `path`: the longest prefix that matches at a segment boundary.
pub fn route<'a>(upstreams: &'a [Upstream], path: &str) -> Option<&'a Upstream> {
    upstreams
        .iter()
        .filter(|u| {
            path.strip_prefix(u.prefix.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .max_by_key(|u| u.prefix.len())
}

/// Removes the hop-by-hop headers, and every header the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .filter(|name| !name.is_empty())
        .collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(named.iter().map(String::as_str))
    {
        headers.remove(name);
    }
}

/// The caller's user id, from a valid `Authorization: Bearer` token; `None` otherwise.
pub fn authenticate(headers: &HeaderMap, key: &DecodingKey) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    decode::<Claims>(token.trim(), key, &validation)
        .ok()
        .map(|data| data.claims.sub)
}

/// The client's request id if it is a sane one (1 to 64 letters, digits and dashes), a new
/// random one otherwise.
pub fn request_id(headers: &HeaderMap) -> String {
    let theirs = headers.get(REQUEST_ID).and_then(|v| v.to_str().ok());
    match theirs {
        Some(id)
            if (1..=64).contains(&id.len())
                && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') =>
        {
            id.to_owned()
        }
        _ => format!("{:032x}", rand::random::<u128>()),
    }
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
    let mut headers = incoming.clone();
    strip_hop_by_hop(&mut headers);
    for name in [
        header::HOST.as_str(),
        header::AUTHORIZATION.as_str(),
        header::CONTENT_LENGTH.as_str(),
        USER_HEADER,
        REQUEST_ID,
        "forwarded",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
    ] {
        headers.remove(name);
    }
    let host = incoming
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let for_ = match client {
        SocketAddr::V4(v4) => v4.ip().to_string(),
        SocketAddr::V6(v6) => format!("\"[{}]\"", v6.ip()),
    };
    let forwarded = format!("for={for_};proto=http;host=\"{host}\"");
    for (name, value) in [
        (USER_HEADER, user),
        (REQUEST_ID, request_id),
        ("forwarded", &forwarded),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(HeaderName::from_static(name), value);
        }
    }
    headers
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
