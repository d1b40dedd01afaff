use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use api_gateway::*;
use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use backlings_support_http::server::serve;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::{Value, json};

const SECRET: &[u8] = b"the auth service's signing key, 32+ bytes long";

/// An upstream that answers with what it received: its name, the path, every header (name and
/// value, in order) and the body. Counts the requests that reach it.
async fn upstream(name: &'static str) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&hits);
    let app = Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        count.fetch_add(1, Ordering::SeqCst);
        async move {
            let headers: Vec<(String, String)> = headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("?").to_string()))
                .collect();
            let echo = json!({
                "upstream": name,
                "path": uri.path_and_query().map(|p| p.as_str()).unwrap_or(""),
                "headers": headers,
                "body": String::from_utf8_lossy(&body),
            });
            let status = if uri.path().ends_with("/missing") {
                StatusCode::NOT_FOUND
            } else {
                StatusCode::OK
            };
            (
                status,
                [
                    ("connection", "x-internal-hop"),
                    ("x-internal-hop", "secret"),
                    ("x-served-by", name),
                ],
                axum::Json(echo),
            )
                .into_response()
        }
    });
    (serve(app).await, hits)
}

struct Setup {
    gateway: String,
    users_hits: Arc<AtomicUsize>,
    orders_hits: Arc<AtomicUsize>,
    client: reqwest::Client,
}

impl Setup {
    /// `GET path` through the gateway, with alice's valid token.
    fn get_as_alice(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.gateway))
            .header("authorization", bearer("alice"))
    }

    fn hits(&self) -> usize {
        self.users_hits.load(Ordering::SeqCst) + self.orders_hits.load(Ordering::SeqCst)
    }
}

async fn setup() -> Setup {
    let (users, users_hits) = upstream("users").await;
    let (orders, orders_hits) = upstream("orders").await;
    let (orders_admin, _) = upstream("orders-admin").await;
    let gateway = Gateway::new(
        vec![
            Upstream {
                prefix: "/users".into(),
                url: users,
            },
            Upstream {
                prefix: "/orders".into(),
                url: orders,
            },
            Upstream {
                prefix: "/orders/admin".into(),
                url: orders_admin,
            },
        ],
        SECRET,
    )
    .expect("a gateway");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = app(gateway).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Setup {
        gateway: format!("http://{addr}"),
        users_hits,
        orders_hits,
        client: reqwest::Client::new(),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token_with(claims: Value, secret: &[u8]) -> String {
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(secret).unwrap(),
    )
    .unwrap()
}

fn token(sub: &str) -> String {
    token_with(
        json!({ "sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": now() + 600 }),
        SECRET,
    )
}

fn bearer(sub: &str) -> String {
    format!("Bearer {}", token(sub))
}

/// The upstream's echo: (upstream, path, headers).
async fn echo(response: reqwest::Response) -> (String, String, Vec<(String, String)>) {
    assert!(
        response.status().is_success(),
        "the gateway answered {}",
        response.status()
    );
    let echo: Value = response.json().await.unwrap();
    let headers = echo["headers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h[0].as_str().unwrap().to_string(),
                h[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (
        echo["upstream"].as_str().unwrap().to_string(),
        echo["path"].as_str().unwrap().to_string(),
        headers,
    )
}

fn values<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .collect()
}

#[tokio::test]
async fn requests_go_to_the_upstream_of_their_prefix() {
    let s = setup().await;
    for (path, expected) in [
        ("/users", "users"),
        ("/users/42?fields=name", "users"),
        ("/orders/7", "orders"),
        ("/orders/admin/refunds", "orders-admin"),
        ("/orders/administrators", "orders"),
    ] {
        let response = s.get_as_alice(path).send().await.unwrap();
        let (upstream, seen_path, _) = echo(response).await;
        assert_eq!(
            upstream, expected,
            "{path} goes to {expected} (the longest prefix that matches whole segments)"
        );
        assert_eq!(
            seen_path, path,
            "the path and query reach the upstream unchanged"
        );
    }
    let before = s.hits();
    for path in ["/usersettings", "/user", "/", "/payments/1"] {
        let response = s.get_as_alice(path).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::NOT_FOUND,
            "{path} matches no prefix at a segment boundary (`/users` is not a prefix of \
             `/usersettings`): 404 from the gateway"
        );
    }
    assert_eq!(s.hits(), before, "no upstream saw the unrouted requests");
}

#[tokio::test]
async fn without_a_valid_token_nothing_reaches_an_upstream() {
    let s = setup().await;
    let exp = now() + 600;
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD
        .encode(json!({ "sub": "admin", "iss": ISSUER, "aud": AUDIENCE, "exp": exp }).to_string());
    let cases = [
        (None, "no Authorization header"),
        (
            Some("Basic YWRtaW46YWRtaW4=".to_string()),
            "not a bearer token",
        ),
        (Some("Bearer".to_string()), "no token"),
        (Some("Bearer not.a.token".to_string()), "garbage"),
        (
            Some(format!("Bearer {none_header}.{payload}.")),
            "alg none: an unsigned token (RFC 8725 section 2.1)",
        ),
        (
            Some(format!(
                "Bearer {}",
                token_with(
                    json!({ "sub": "admin", "iss": ISSUER, "aud": AUDIENCE, "exp": exp }),
                    b"somebody else's key, also 32+ bytes long"
                )
            )),
            "signed with another key",
        ),
        (
            Some(format!(
                "Bearer {}",
                token_with(
                    json!({ "sub": "alice", "iss": ISSUER, "aud": AUDIENCE, "exp": now() - 3600 }),
                    SECRET
                )
            )),
            "expired an hour ago",
        ),
        (
            Some(format!(
                "Bearer {}",
                token_with(
                    json!({ "sub": "alice", "iss": ISSUER, "aud": "billing", "exp": exp }),
                    SECRET
                )
            )),
            "meant for another audience",
        ),
        (
            Some(format!(
                "Bearer {}",
                token_with(
                    json!({ "sub": "alice", "iss": "evil", "aud": AUDIENCE, "exp": exp }),
                    SECRET
                )
            )),
            "from another issuer",
        ),
        (
            Some(format!(
                "Bearer {}",
                token_with(
                    json!({ "iss": ISSUER, "aud": AUDIENCE, "exp": exp }),
                    SECRET
                )
            )),
            "no subject: whom would it identify?",
        ),
    ];
    for (authorization, why) in cases {
        let mut request = s
            .client
            .get(format!("{}/users/1", s.gateway))
            .header(USER_HEADER, "admin");
        if let Some(value) = &authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{why}: 401");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{why}: a 401 says which scheme it wants (RFC 6750 section 3)"
        );
    }
    assert_eq!(
        s.hits(),
        0,
        "the upstreams trust the gateway: a request it did not authenticate must not reach them"
    );
}

#[tokio::test]
async fn the_upstream_learns_the_identity_from_the_token_only() {
    let s = setup().await;
    let response = s
        .get_as_alice("/users/me")
        .header(USER_HEADER, "admin")
        .header("X-User-Id", "root")
        .send()
        .await
        .unwrap();
    let (_, _, headers) = echo(response).await;
    assert_eq!(
        values(&headers, USER_HEADER),
        vec!["alice"],
        "the client sent `x-user-id: admin` itself: an upstream that trusts the header would \
         make anyone admin. Exactly one x-user-id reaches it, the token's subject"
    );
    assert_eq!(
        values(&headers, "authorization"),
        Vec::<&str>::new(),
        "the token stays at the edge: upstreams get the identity, not a credential they could \
         replay"
    );
}

#[tokio::test]
async fn hop_by_hop_headers_stay_on_their_hop() {
    let s = setup().await;
    let response = s
        .get_as_alice("/orders/1")
        .header("connection", "keep-alive, x-client-hop")
        .header("x-client-hop", "1")
        .header("keep-alive", "timeout=5")
        .header("proxy-authorization", "Basic cHJveHk6cGFzcw==")
        .header("te", "trailers")
        .header("trailer", "x-checksum")
        .header("upgrade", "h2c")
        .header("x-end-to-end", "kept")
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    let served_by = response
        .headers()
        .get("x-served-by")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let hop_back = response.headers().get("x-internal-hop").cloned();
    let (_, _, headers) = echo(response).await;
    for name in [
        "x-client-hop",
        "keep-alive",
        "proxy-authorization",
        "te",
        "trailer",
        "upgrade",
    ] {
        assert_eq!(
            values(&headers, name),
            Vec::<&str>::new(),
            "`{name}` describes the client's connection to the gateway (RFC 9110 section \
             7.6.1; `x-client-hop` because `Connection` names it): it is not forwarded"
        );
    }
    assert_eq!(values(&headers, "x-end-to-end"), vec!["kept"]);
    assert_eq!(values(&headers, "accept-language"), vec!["fr"]);
    assert_eq!(
        served_by.as_deref(),
        Some("orders"),
        "end-to-end headers come back"
    );
    assert_eq!(
        hop_back, None,
        "the upstream's own `Connection: x-internal-hop` named a header of its hop: it does \
         not reach the client either"
    );
}

#[tokio::test]
async fn forwarded_says_what_the_gateway_saw_not_what_the_client_claims() {
    let s = setup().await;
    let response = s
        .get_as_alice("/users/1")
        .header("host", "api.example.test")
        .header("forwarded", "for=6.6.6.6;host=internal")
        .header("x-forwarded-for", "6.6.6.6")
        .header("x-real-ip", "6.6.6.6")
        .send()
        .await
        .unwrap();
    let (_, _, headers) = echo(response).await;
    let forwarded = values(&headers, "forwarded");
    assert_eq!(
        forwarded.len(),
        1,
        "one Forwarded header, the gateway's: {forwarded:?}"
    );
    let pairs: Vec<(String, String)> = forwarded[0]
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_ascii_lowercase(),
                v.trim().trim_matches('"').to_string(),
            )
        })
        .collect();
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        get("for"),
        Some("127.0.0.1"),
        "`for=` is the address the gateway's connection came from (RFC 7239), never the \
         client's `Forwarded: for=6.6.6.6`: rate limits and audit logs key on it"
    );
    assert_eq!(
        get("host"),
        Some("api.example.test"),
        "`host=` is the Host the client asked for"
    );
    assert_eq!(get("proto"), Some("http"));
    for name in ["x-forwarded-for", "x-real-ip"] {
        assert!(
            !values(&headers, name).iter().any(|v| v.contains("6.6.6.6")),
            "the client's own `{name}: 6.6.6.6` does not reach the upstream"
        );
    }
}

#[tokio::test]
async fn every_request_has_one_request_id_on_both_sides() {
    let s = setup().await;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = s.get_as_alice("/users/1").send().await.unwrap();
        let returned = response
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("the response carries the request id");
        let (_, _, headers) = echo(response).await;
        assert_eq!(
            values(&headers, REQUEST_ID),
            vec![returned.as_str()],
            "the upstream and the client see the same id: that is what joins a client's \
             complaint to the logs"
        );
        ids.push(returned);
    }
    assert_ne!(ids[0], ids[1], "each request gets an id of its own");

    for (theirs, kept) in [
        ("c0ffee-42", true),
        ("", false),
        ("has spaces", false),
        ("\"><script>", false),
        (&*"a".repeat(65), false),
    ] {
        let response = s
            .get_as_alice("/users/1")
            .header(REQUEST_ID, theirs)
            .send()
            .await
            .unwrap();
        let (_, _, headers) = echo(response).await;
        let seen = values(&headers, REQUEST_ID);
        assert_eq!(seen.len(), 1, "one request id upstream, got {seen:?}");
        if kept {
            assert_eq!(seen[0], theirs, "a well-formed id of the client's is kept");
        } else {
            assert!(
                seen[0] != theirs && !seen[0].is_empty(),
                "{theirs:?} is not a sane id (letters, digits, dashes, at most 64): it goes \
                 into every log line, so the gateway makes its own"
            );
        }
    }
}

#[tokio::test]
async fn bodies_and_statuses_pass_through() {
    let s = setup().await;
    let response = s
        .client
        .post(format!("{}/orders/new", s.gateway))
        .header("authorization", bearer("alice"))
        .header("content-type", "application/json")
        .body(r#"{"sku":"tea","qty":2}"#)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["body"], r#"{"sku":"tea","qty":2}"#);
    let missing = s.get_as_alice("/orders/missing").send().await.unwrap();
    assert_eq!(
        missing.status(),
        StatusCode::NOT_FOUND,
        "the upstream's own 404"
    );
}
