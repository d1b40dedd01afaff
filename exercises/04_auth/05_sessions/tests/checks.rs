use std::collections::HashSet;
use std::time::Duration;

use auth_sessions::{ABSOLUTE_TIMEOUT, AppState, COOKIE, IDLE_TIMEOUT, new_session_id, router};
use axum::http::Method;
use axum::http::StatusCode;
use backlings_support_http::http::{TestResponse, send};
use serde_json::json;

async fn login(
    app: &axum::Router,
    user: &str,
    password: &str,
    cookie: Option<&str>,
) -> TestResponse {
    let header = cookie.map(|id| format!("{COOKIE}={id}"));
    let headers: Vec<(&str, &str)> = header.iter().map(|h| ("cookie", h.as_str())).collect();
    send(
        app,
        Method::POST,
        "/login",
        &headers,
        Some(json!({"user": user, "password": password})),
    )
    .await
}

/// The session id a response sets, and the attributes of its Set-Cookie.
fn set_cookie(res: &TestResponse) -> (String, Vec<String>) {
    let header = res
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no Set-Cookie in a {} response", res.status));
    let mut parts = header.split(';').map(str::trim);
    let (name, value) = parts.next().unwrap().split_once('=').unwrap();
    assert_eq!(name, COOKIE);
    (value.to_owned(), parts.map(str::to_lowercase).collect())
}

async fn me(app: &axum::Router, id: &str) -> TestResponse {
    let cookie = format!("{COOKIE}={id}");
    send(
        app,
        Method::GET,
        "/me",
        &[("cookie", cookie.as_str())],
        None,
    )
    .await
}

async fn logged_in(app: &axum::Router, user: &str, password: &str) -> String {
    let res = login(app, user, password, None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "login as {user}");
    set_cookie(&res).0
}

#[tokio::test]
async fn the_session_cookie_keeps_scripts_and_other_sites_out() {
    let app = router(AppState::default());
    let res = login(&app, "ada", "correct horse", None).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let (_, attrs) = set_cookie(&res);
    for want in ["httponly", "secure", "samesite=lax", "path=/"] {
        assert!(
            attrs.iter().any(|a| a == want),
            "the session cookie needs `{want}`: {attrs:?} (HttpOnly: no script reads it after an \
             XSS; Secure: never over plain HTTP; SameSite=Lax: not sent with other sites' POSTs)"
        );
    }
    assert!(
        !attrs
            .iter()
            .any(|a| a.starts_with("expires") || a.starts_with("max-age")),
        "a session cookie without an expiry: the server decides how long it is valid, {attrs:?}"
    );
}

#[test]
fn session_ids_are_128_random_bits() {
    let ids: Vec<String> = (0..2000).map(|_| new_session_id()).collect();
    for id in &ids {
        assert!(
            id.len() == 32
                && id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "32 lowercase hex digits (128 bits), got {id:?}"
        );
    }
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        ids.len(),
        "no id twice"
    );
    // Every one of the 32 hex positions varies: a counter, a timestamp or 64 random bits padded
    // to 32 digits leaves some positions (almost) constant.
    for pos in 0..32 {
        let seen: HashSet<u8> = ids.iter().map(|id| id.as_bytes()[pos]).collect();
        assert_eq!(
            seen.len(),
            16,
            "hex digit {pos} of 2000 ids takes only {} values: not 128 random bits",
            seen.len()
        );
    }
}

#[tokio::test]
async fn a_session_knows_its_user_and_nothing_else_gets_in() {
    let app = router(AppState::default());
    assert_eq!(
        login(&app, "ada", "wrong", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let id = logged_in(&app, "ada", "correct horse").await;
    assert_eq!(me(&app, &id).await.json(), json!({"user": "ada"}));
    let res = send(&app, Method::GET, "/me", &[], None).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "no cookie");
    assert_eq!(
        me(&app, &new_session_id()).await.status,
        StatusCode::UNAUTHORIZED,
        "an id the server never issued"
    );
}

/// Session fixation (OWASP Session Management Cheat Sheet): the attacker gets a valid session
/// id (here by logging in as himself), plants it in the victim's browser, and waits for the
/// victim to log in. A server that keeps the id it was sent hands the victim's account to the
/// attacker. A login always issues a new id, and ends the one it was sent.
#[tokio::test]
async fn a_login_issues_a_new_id_and_ends_the_old_one() {
    let state = AppState::default();
    let app = router(state.clone());
    let planted = logged_in(&app, "bob", "battery staple").await;
    let res = login(&app, "ada", "correct horse", Some(&planted)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let (fresh, _) = set_cookie(&res);
    assert_ne!(
        fresh, planted,
        "the login kept the session id the request carried"
    );
    assert_eq!(me(&app, &fresh).await.json(), json!({"user": "ada"}));
    assert_eq!(
        me(&app, &planted).await.status,
        StatusCode::UNAUTHORIZED,
        "the planted id must not stay valid (for bob or for ada)"
    );
    assert_eq!(state.live_sessions().await, 1, "one session: ada's");
}

/// A logout that only deletes the cookie leaves the session valid for anyone who copied it
/// (a shared computer, a proxy log, malware).
#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let state = AppState::default();
    let app = router(state.clone());
    let id = logged_in(&app, "ada", "correct horse").await;
    let cookie = format!("{COOKIE}={id}");
    let res = send(
        &app,
        Method::POST,
        "/logout",
        &[("cookie", cookie.as_str())],
        None,
    )
    .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let (value, attrs) = set_cookie(&res);
    assert!(
        value.is_empty()
            && attrs
                .iter()
                .any(|a| a == "max-age=0" || a.starts_with("expires")),
        "the browser is told to drop the cookie: {:?}",
        res.header("set-cookie")
    );
    assert_eq!(
        me(&app, &id).await.status,
        StatusCode::UNAUTHORIZED,
        "a copy of the cookie made before the logout must not work after it"
    );
    assert_eq!(state.live_sessions().await, 0);
}

#[tokio::test(start_paused = true)]
async fn an_idle_session_expires_and_activity_keeps_it_alive() {
    assert_eq!(IDLE_TIMEOUT, Duration::from_secs(900));
    let state = AppState::default();
    let app = router(state.clone());
    let id = logged_in(&app, "ada", "correct horse").await;
    for minute in [14, 28, 42] {
        tokio::time::advance(Duration::from_secs(14 * 60)).await;
        assert_eq!(
            me(&app, &id).await.status,
            StatusCode::OK,
            "used every 14 minutes, the session lives on (minute {minute}): the idle clock \
             restarts at each use"
        );
    }
    tokio::time::advance(IDLE_TIMEOUT).await;
    assert_eq!(
        me(&app, &id).await.status,
        StatusCode::UNAUTHORIZED,
        "15 minutes idle"
    );
    assert_eq!(
        state.live_sessions().await,
        0,
        "an expired session is removed from the store"
    );
}

#[tokio::test(start_paused = true)]
async fn no_session_outlives_the_absolute_timeout() {
    assert_eq!(ABSOLUTE_TIMEOUT, Duration::from_secs(8 * 3600));
    let app = router(AppState::default());
    let id = logged_in(&app, "ada", "correct horse").await;
    let step = Duration::from_secs(10 * 60);
    let mut elapsed = Duration::ZERO;
    while elapsed + step < ABSOLUTE_TIMEOUT {
        tokio::time::advance(step).await;
        elapsed += step;
        assert_eq!(
            me(&app, &id).await.status,
            StatusCode::OK,
            "active, {elapsed:?} after login"
        );
    }
    tokio::time::advance(ABSOLUTE_TIMEOUT - elapsed).await;
    assert_eq!(
        me(&app, &id).await.status,
        StatusCode::UNAUTHORIZED,
        "8 hours after the login, even an active session ends (a stolen cookie is not forever)"
    );
}
