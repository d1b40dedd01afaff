//! The service under test: users in Postgres, sessions in Redis behind a `sid` cookie. Given;
//! nothing to change here.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use redis::AsyncCommands;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;

/// Servers running right now, in this process: a harness that leaks its servers leaves this
/// above zero after its tests.
pub static LIVE_SERVERS: AtomicUsize = AtomicUsize::new(0);

#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub redis: redis::aio::MultiplexedConnection,
    /// Every Redis key of this instance starts with it.
    pub prefix: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub email: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub id: i64,
    pub email: String,
    pub name: String,
}

#[derive(Deserialize)]
struct Login {
    email: String,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/users", post(sign_up))
        .route("/sessions", post(log_in).delete(log_out))
        .route("/me", get(me))
        .with_state(state)
}

/// Serves `router` on `listener`, counted in [`LIVE_SERVERS`] for as long as it runs (an
/// aborted task is counted out).
pub async fn serve(listener: tokio::net::TcpListener, router: Router) -> std::io::Result<()> {
    struct Live;
    impl Drop for Live {
        fn drop(&mut self) {
            LIVE_SERVERS.fetch_sub(1, Ordering::SeqCst);
        }
    }
    LIVE_SERVERS.fetch_add(1, Ordering::SeqCst);
    let _live = Live;
    axum::serve(listener, router).await
}

async fn sign_up(
    State(s): State<AppState>,
    Json(u): Json<NewUser>,
) -> Result<(StatusCode, Json<Me>), StatusCode> {
    let id: i64 =
        sqlx::query_scalar("INSERT INTO users (email, name) VALUES ($1, $2) RETURNING id")
            .bind(&u.email)
            .bind(&u.name)
            .fetch_one(&s.db)
            .await
            .map_err(|e| match e.as_database_error().and_then(|d| d.code()) {
                Some(code) if code == "23505" => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            })?;
    Ok((
        StatusCode::CREATED,
        Json(Me {
            id,
            email: u.email,
            name: u.name,
        }),
    ))
}

async fn log_in(
    State(mut s): State<AppState>,
    jar: CookieJar,
    Json(l): Json<Login>,
) -> Result<(CookieJar, StatusCode), StatusCode> {
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(&l.email)
        .fetch_optional(&s.db)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let id = id.ok_or(StatusCode::UNAUTHORIZED)?;
    let sid = uuid::Uuid::new_v4().simple().to_string();
    let _: () = s
        .redis
        .set_ex(format!("{}session:{sid}", s.prefix), id, 3600)
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let cookie = Cookie::build(("sid", sid))
        .path("/")
        .http_only(true)
        .build();
    Ok((jar.add(cookie), StatusCode::NO_CONTENT))
}

async fn user_of(s: &mut AppState, jar: &CookieJar) -> Result<i64, StatusCode> {
    let sid = jar
        .get("sid")
        .ok_or(StatusCode::UNAUTHORIZED)?
        .value()
        .to_owned();
    let id: Option<i64> = s
        .redis
        .get(format!("{}session:{sid}", s.prefix))
        .await
        .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    id.ok_or(StatusCode::UNAUTHORIZED)
}

async fn me(State(mut s): State<AppState>, jar: CookieJar) -> Result<Json<Me>, StatusCode> {
    let id = user_of(&mut s, &jar).await?;
    let (email, name): (String, String) =
        sqlx::query_as("SELECT email, name FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&s.db)
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    Ok(Json(Me { id, email, name }))
}

async fn log_out(
    State(mut s): State<AppState>,
    jar: CookieJar,
) -> Result<(CookieJar, StatusCode), StatusCode> {
    if let Some(sid) = jar.get("sid").map(|c| c.value().to_owned()) {
        let _: () = s
            .redis
            .del(format!("{}session:{sid}", s.prefix))
            .await
            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    }
    Ok((jar.remove(Cookie::from("sid")), StatusCode::NO_CONTENT))
}
