use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use backlings_support::within;
use backlings_support_db::db;
use pg_pooling::{AppError, handle_request, pool_options};
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

/// Your pool, on the run's database, with a name that lets a test find its connections in
/// pg_stat_activity (one name per test: the tests run at the same time).
async fn app_pool(app: &str) -> PgPool {
    connect(pool_options(), app).await
}

async fn connect(options: sqlx::postgres::PgPoolOptions, app: &str) -> PgPool {
    let connect: PgConnectOptions = db::database_url().parse().expect("DATABASE_URL");
    options
        .connect_with(connect.application_name(app))
        .await
        .expect("connect with pool_options()")
}

#[tokio::test]
async fn the_pool_is_sized_and_bounded_in_time() {
    let pool = app_pool("pooling-sized").await;
    assert_eq!(pool.options().get_max_connections(), 5, "max_connections");
    let wait = pool.options().get_acquire_timeout();
    assert!(
        wait >= Duration::from_millis(100) && wait <= Duration::from_secs(2),
        "acquire_timeout is {wait:?}: long enough to ride out a burst, short enough that a client \
         gets an answer (between 100 ms and 2 s)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_share_five_connections() {
    const APP: &str = "pooling-fifty";
    // Your pool with a generous acquire timeout: this test is about sharing five connections,
    // and the queue (50 × 50 ms through 5 ≈ 500 ms, longer on a busy machine) must not make it
    // depend on the timeout you chose, which the other tests check.
    let pool = connect(pool_options().acquire_timeout(Duration::from_secs(15)), APP).await;
    let watcher = db::pool().await;
    let done = Arc::new(AtomicBool::new(false));
    let most = Arc::new(AtomicI64::new(0));
    // Watch the server's side while the requests run.
    let sampler = {
        let (done, most) = (done.clone(), most.clone());
        tokio::spawn(async move {
            while !done.load(Ordering::SeqCst) {
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()",
                )
                .bind(APP)
                .fetch_one(&watcher)
                .await
                .unwrap();
                most.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let requests: Vec<_> = (0..50)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { handle_request(&pool).await })
        })
        .collect();
    for r in requests {
        let res = within(Duration::from_secs(20), "a request", r)
            .await
            .unwrap();
        assert!(
            matches!(res, Ok(1)),
            "50 requests of 50 ms through 5 connections: they queue, and all succeed ({res:?})"
        );
    }
    done.store(true, Ordering::SeqCst);
    sampler.await.unwrap();
    let most = most.load(Ordering::SeqCst);
    assert!(
        most <= 5,
        "the server saw {most} connections of this pool at once: at most 5"
    );
    assert!(
        most >= 2,
        "the requests ran one at a time ({most} connection): use the pool concurrently"
    );
}

#[tokio::test]
async fn an_exhausted_pool_answers_busy_in_time() {
    let pool = app_pool("pooling-exhausted").await;
    // Five requests hold every connection (think: five slow reports).
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(pool.acquire().await.expect("a connection"));
    }
    let err = within(
        Duration::from_secs(3),
        "a request on an exhausted pool",
        handle_request(&pool),
    )
    .await
    .expect_err("no connection is free");
    assert!(
        matches!(err, AppError::Busy),
        "a pool timeout is Busy, got {err:?}"
    );
    assert_eq!(
        err.status(),
        503,
        "Busy is 503 Service Unavailable: retry later"
    );
    drop(held);
    assert_eq!(
        handle_request(&pool).await.expect("connections are back"),
        1
    );
}

#[test]
fn other_errors_are_500() {
    let err = AppError::from(sqlx::Error::RowNotFound);
    assert!(matches!(err, AppError::Database(_)));
    assert_eq!(err.status(), 500);
}
