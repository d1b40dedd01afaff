//! Redis for exercise tests. `exercise` gives every run a logical database of its own through
//! REDIS_URL, flushed before and after the run.

/// REDIS_URL, or a panic that says how to get one.
pub fn redis_url() -> String {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "[test infrastructure] REDIS_URL is not set. Run this exercise through `exercise` (it starts Redis for you), \
             or set REDIS_URL to a Redis database you can write to."
        ),
    }
}

/// A multiplexed connection to the run's Redis database (cheap to clone, safe to share).
pub async fn connection() -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(redis_url()).unwrap_or_else(|e| {
        panic!("[test infrastructure] REDIS_URL is not a valid Redis URL: {e}")
    });
    client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot connect to REDIS_URL: {e}"))
}

/// A connection to the run's Redis database through `proxy` (see `fault`), to cut it halfway.
pub async fn connection_via(proxy: &crate::fault::CutProxy) -> redis::aio::MultiplexedConnection {
    let client = redis::Client::open(proxy.url_for(&redis_url())).unwrap_or_else(|e| {
        panic!("[test infrastructure] REDIS_URL is not a valid Redis URL: {e}")
    });
    client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| {
            panic!("[test infrastructure] cannot connect through the fault proxy: {e}")
        })
}

/// Deletes `keys` from the run's database. `exercise` flushes it before every run, but someone
/// may run the tests again with `cargo test` against a REDIS_URL of their own: a test that
/// accumulates (a counter, a leaderboard) deletes its keys first so it starts from nothing.
pub async fn forget(keys: &[&str]) {
    let mut conn = connection().await;
    let _: () = redis::cmd("DEL")
        .arg(keys)
        .query_async(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot DEL {keys:?}: {e}"));
}

/// A pub/sub channel name only this test process uses: `<name>:<url>:<pid>`. Unlike keys, Redis
/// channels are not per logical database — every run on the server shares them — so a test that
/// publishes must not let another run's publications (a mutant's, a second `cargo test`'s)
/// reach it. The run's REDIS_URL (its own logical database) is part of the name: in a sandbox
/// every test process is pid 2 or 3 of its own PID namespace, so a pid alone is not unique.
pub fn channel(name: &str) -> String {
    let url = std::env::var("REDIS_URL").unwrap_or_default();
    format!("{name}:{url}:{}", std::process::id())
}
