//! Server-side sessions behind a cookie: unguessable ids, cookie flags that keep scripts and
//! other sites out, a new id at login, logout that really ends the session, and timeouts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Json, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The cookie's name.
pub const COOKIE: &str = "session";
/// A session unused for this long is over (OWASP: 15–30 minutes for low-risk applications,
/// 2–5 for high-value ones).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// However active, a session is over this long after the login.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(8 * 60 * 60);

struct Session {
    user: String,
    created: Instant,
    last_seen: Instant,
}

#[derive(Clone, Default)]
pub struct AppState {
    sessions: Arc<Mutex<HashMap<String, Session>>>,
}

impl AppState {
    /// How many sessions the server holds.
    pub async fn live_sessions(&self) -> usize {
        self.sessions.lock().await.len()
    }

    /// The user of session `id` if it is still valid now: not idle for IDLE_TIMEOUT, not older
    /// than ABSOLUTE_TIMEOUT. A valid session's idle clock restarts (sliding expiry); an
    /// expired one is removed from the store.
    pub async fn current_user(&self, id: &str) -> Option<String> {
        let _ = (id, Instant::now(), &self.sessions);
        todo!()
    }
}

/// A new session id: 128 bits from a cryptographically secure generator, as 32 lowercase hex
/// digits (OWASP: at least 64 bits of entropy; guessing one must be hopeless).
pub fn new_session_id() -> String {
    todo!()
}

/// The session cookie for `id`: `HttpOnly` (no script can read it), `Secure` (HTTPS only),
/// `SameSite=Lax` (not sent with other sites' cross-site POSTs), `Path=/`, and no expiry date
/// (the browser forgets it when it closes; the server decides how long it is valid).
pub fn session_cookie(id: String) -> Cookie<'static> {
    let _ = (id, SameSite::Lax);
    todo!()
}

/// The demo's user store: (user, password). Real logins verify a hash (exercise 1).
const USERS: [(&str, &str); 2] = [("ada", "correct horse"), ("bob", "battery staple")];

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    pub user: String,
    pub password: String,
}

/// POST /login: 401 for wrong credentials. Otherwise a *new* session (a session id the request
/// already carried is ended first — whoever planted or saw it must not ride on this login), its
/// cookie, and 204.
async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(form): Json<LoginForm>,
) -> Result<(CookieJar, StatusCode), StatusCode> {
    let _ = (state, jar, form, USERS);
    todo!()
}

/// GET /me: the session's user, or 401.
async fn me(State(state): State<AppState>, jar: CookieJar) -> Result<Json<Value>, StatusCode> {
    let id = jar
        .get(COOKIE)
        .ok_or(StatusCode::UNAUTHORIZED)?
        .value()
        .to_owned();
    let user = state
        .current_user(&id)
        .await
        .ok_or(StatusCode::UNAUTHORIZED)?;
    Ok(Json(json!({ "user": user })))
}

/// POST /logout: the session ends on the server (the cookie alone is not the session: a copy
/// of it must stop working too), and the browser is told to drop the cookie. 204.
async fn logout(State(state): State<AppState>, jar: CookieJar) -> (CookieJar, StatusCode) {
    let _ = (state, jar);
    todo!()
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .with_state(state)
}
