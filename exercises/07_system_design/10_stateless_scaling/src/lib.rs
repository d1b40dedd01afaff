//! One instance of a service that scales horizontally: it keeps nothing between requests.
//! Sessions and rate-limit counters live in Redis, shared by every instance.

use std::time::Duration;

use axum::Router;
use redis::aio::MultiplexedConnection;

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

/// One instance: `POST /login` `{"user": …}` (sets the session cookie), `GET /me` (the
/// session's user, rate-limited per user), `POST /logout`.
pub fn app(_redis: MultiplexedConnection, _config: Config) -> Router {
    todo!("routes whose state is all in Redis: sessions with an expiry, a shared counter per user")
}
