//! One instance of a service that scales horizontally: it keeps nothing between requests.
//! Sessions and rate-limit counters live in Redis, shared by every instance.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use serde::Deserialize;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "sid";

#[derive(Clone)]
pub struct Config {
    /// Every Redis key this service writes starts with it.
    pub prefix: String,
    pub session_ttl: Duration,
    /// Requests per user per window, over all instances together.
    pub rate_limit: u32,
    pub window: Duration,
}

#[derive(Clone)]
struct Instance {
    redis: MultiplexedConnection,
    config: Config,
}

#[derive(Deserialize)]
struct Login {
    user: String,
}

/// One instance: `POST /login` `{"user": …}` (sets the session cookie), `GET /me` (the
/// session's user, rate-limited per user), `POST /logout`.
pub fn app(redis: MultiplexedConnection, config: Config) -> Router {
    Router::new()
        .route("/login", post(login))
        .route("/me", get(me))
        .route("/logout", post(logout))
        .with_state(Instance { redis, config })
}

impl Instance {
    fn session_key(&self, id: &str) -> String {
        format!("{}session:{id}", self.config.prefix)
    }

    /// The user of the request's session, if it has a live one.
    async fn user(&self, jar: &CookieJar) -> Result<Option<String>, redis::RedisError> {
        let Some(id) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Ok(None);
        };
        self.redis.clone().get(self.session_key(&id)).await
    }

    /// Counts one request of `user` in its window; whether it is within the limit.
    async fn admit(&self, user: &str) -> Result<bool, redis::RedisError> {
        let key = format!("{}rate:{user}", self.config.prefix);
        // One transaction: the count and the window's expiry never exist one without the other,
        // and INCR is atomic, so concurrent requests on any instance each get their own count.
        let (count,): (u32,) = redis::pipe()
            .atomic()
            .incr(&key, 1)
            .cmd("EXPIRE")
            .arg(&key)
            .arg(self.config.window.as_secs().max(1))
            .arg("NX")
            .ignore()
            .query_async(&mut self.redis.clone())
            .await?;
        Ok(count <= self.config.rate_limit)
    }
}

fn unavailable(e: redis::RedisError) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("session store: {e}"),
    )
        .into_response()
}

async fn login(State(s): State<Instance>, jar: CookieJar, Json(body): Json<Login>) -> Response {
    // Unguessable, and unique across instances without asking anybody: 128 random bits.
    let id = format!("{:032x}", rand::random::<u128>());
    let stored: Result<(), _> = s
        .redis
        .clone()
        .set_ex(
            s.session_key(&id),
            &body.user,
            s.config.session_ttl.as_secs().max(1),
        )
        .await;
    if let Err(e) = stored {
        return unavailable(e);
    }
    let cookie = Cookie::build((SESSION_COOKIE, id))
        .path("/")
        .http_only(true)
        .build();
    (StatusCode::NO_CONTENT, jar.add(cookie)).into_response()
}

async fn me(State(s): State<Instance>, jar: CookieJar) -> Response {
    let user = match s.user(&jar).await {
        Ok(Some(user)) => user,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(e) => return unavailable(e),
    };
    match s.admit(&user).await {
        Ok(true) => user.into_response(),
        Ok(false) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(
                header::RETRY_AFTER,
                s.config.window.as_secs().max(1).to_string(),
            )],
        )
            .into_response(),
        Err(e) => unavailable(e),
    }
}

async fn logout(State(s): State<Instance>, jar: CookieJar) -> Response {
    if let Some(id) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) {
        let deleted: Result<(), _> = s.redis.clone().del(s.session_key(&id)).await;
        if let Err(e) = deleted {
            return unavailable(e);
        }
    }
    (
        StatusCode::NO_CONTENT,
        jar.remove(Cookie::from(SESSION_COOKIE)),
    )
        .into_response()
}
