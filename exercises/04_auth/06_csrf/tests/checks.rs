use auth_csrf::{AppState, ORIGIN, from_our_origin, is_safe, router, token_matches};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode};
use backlings_support_http::http::{TestResponse, send_request};

const TOKEN: &str = "q6Jw1N3wq0oK7mXgR2cV5yZ8bT4sL9eH";

async fn state() -> AppState {
    let state = AppState::default();
    let mut tokens = state.csrf_tokens.lock().await;
    tokens.insert("ada-session".into(), TOKEN.into());
    tokens.insert(
        "bob-session".into(),
        "bobs-own-token-0000000000000000".into(),
    );
    drop(tokens);
    state
}

/// A form POST to /transfer with these headers and this token, as a browser sends it.
async fn post(app: &axum::Router, headers: &[(&str, &str)], token: &str) -> TestResponse {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/transfer")
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = format!("to=mallory&amount=1000&csrf_token={token}");
    send_request(app, req.body(Body::from(body)).unwrap()).await
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in pairs {
        map.insert(*k, HeaderValue::from_str(v).unwrap());
    }
    map
}

#[test]
fn only_safe_methods_skip_the_check() {
    for m in [Method::GET, Method::HEAD, Method::OPTIONS] {
        assert!(is_safe(&m), "{m}");
    }
    for m in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
        assert!(!is_safe(&m), "{m} changes state: it is checked");
    }
}

#[test]
fn the_origin_must_be_ours_exactly() {
    assert!(from_our_origin(&headers(&[("origin", ORIGIN)])));
    for evil in [
        "https://evil.example",
        "https://bank.example.com.evil.com",
        "https://bank.example.comevil.com",
        "http://bank.example.com",
        "https://bank.example.com:8443",
        "null",
    ] {
        assert!(
            !from_our_origin(&headers(&[("origin", evil)])),
            "Origin: {evil} is not {ORIGIN} (compare the whole origin, not a prefix; `null` comes \
             from sandboxed frames and privacy redirects)"
        );
    }
    assert!(
        !from_our_origin(&headers(&[
            ("origin", "https://evil.example"),
            ("referer", "https://bank.example.com/")
        ])),
        "when Origin is there, it decides"
    );
}

#[test]
fn without_an_origin_the_referer_decides_and_without_both_no() {
    assert!(from_our_origin(&headers(&[(
        "referer",
        "https://bank.example.com/transfer?step=2"
    )])));
    assert!(from_our_origin(&headers(&[(
        "referer",
        "https://bank.example.com"
    )])));
    for evil in [
        "https://bank.example.com.evil.com/transfer",
        "https://bank.example.com@evil.com/",
        "https://evil.example/https://bank.example.com/",
    ] {
        assert!(
            !from_our_origin(&headers(&[("referer", evil)])),
            "Referer: {evil} is not a page of {ORIGIN}"
        );
    }
    assert!(
        !from_our_origin(&HeaderMap::new()),
        "no Origin and no Referer: refuse (OWASP: when the source cannot be verified, block)"
    );
}

#[test]
fn tokens_match_exactly() {
    assert!(token_matches(TOKEN, TOKEN));
    assert!(!token_matches(TOKEN, ""));
    assert!(
        !token_matches(TOKEN, &TOKEN[..31]),
        "a prefix is not the token"
    );
    assert!(!token_matches(TOKEN, &format!("{TOKEN}x")));
    assert!(
        !token_matches("", ""),
        "a session without a token accepts nothing"
    );
}

#[tokio::test]
async fn our_own_form_goes_through() {
    let state = state().await;
    let app = router(state.clone());
    let res = post(
        &app,
        &[("origin", ORIGIN), ("cookie", "session=ada-session")],
        TOKEN,
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text());
    assert_eq!(
        *state.transfers.lock().await,
        [("mallory".to_owned(), 1000)]
    );
}

/// The attack: a page on another site auto-submits a form to /transfer. The browser attaches the
/// victim's cookie (the session cookie, if SameSite does not stop it); the attacker cannot read
/// the token from our pages, and the browser says where the form came from.
#[tokio::test]
async fn a_forged_cross_site_form_is_refused() {
    let state = state().await;
    let app = router(state.clone());
    let cookie = ("cookie", "session=ada-session");
    for (headers, token, why) in [
        (
            vec![("origin", "https://evil.example"), cookie],
            "guess",
            "another site, no token",
        ),
        (
            vec![("origin", "https://evil.example"), cookie],
            TOKEN,
            "another site, even with the token (say it leaked)",
        ),
        (
            vec![("origin", ORIGIN), cookie],
            "guess",
            "our origin, but no valid token (e.g. a same-site subdomain we do not trust)",
        ),
        (
            vec![("origin", ORIGIN), cookie],
            "bobs-own-token-0000000000000000",
            "another session's token",
        ),
        (vec![cookie], TOKEN, "no Origin and no Referer"),
    ] {
        let res = post(&app, &headers, token).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{why}");
    }
    assert!(
        state.transfers.lock().await.is_empty(),
        "no forged request moved money"
    );
    let res = post(&app, &[("origin", ORIGIN)], TOKEN).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "no session at all");
}
