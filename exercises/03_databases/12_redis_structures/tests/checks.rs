use std::time::Duration;

use backlings_support_kv::fault::CutProxy;
use backlings_support_kv::kv;
use redis::AsyncCommands;
use redis_structures::{Leaderboard, Sessions, hit};

#[tokio::test]
async fn a_leaderboard_accumulates_points_and_ranks_players() {
    kv::forget(&["leaderboard:spring"]).await;
    let mut board = Leaderboard::new(kv::connection().await, "spring");
    assert_eq!(board.add_points("ada", 30).await.unwrap(), 30);
    board.add_points("grace", 50).await.unwrap();
    board.add_points("linus", 10).await.unwrap();
    assert_eq!(
        board.add_points("ada", 25).await.unwrap(),
        55,
        "points add up (ZINCRBY), they do not replace the score"
    );
    assert_eq!(
        board.top(2).await.unwrap(),
        [("ada".to_owned(), 55), ("grace".to_owned(), 50)],
        "the best first"
    );
    assert_eq!(board.top(10).await.unwrap().len(), 3);
    assert!(board.top(0).await.unwrap().is_empty(), "top 0 is nobody");
    assert_eq!(
        board.rank("ada").await.unwrap(),
        Some(1),
        "ranks start at 1"
    );
    assert_eq!(board.rank("linus").await.unwrap(), Some(3));
    assert_eq!(board.rank("nobody").await.unwrap(), None);
    let mut raw = kv::connection().await;
    let kind: String = redis::cmd("TYPE")
        .arg("leaderboard:spring")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(
        kind, "zset",
        "one sorted set per board, under leaderboard:<name>"
    );
}

#[tokio::test]
async fn concurrent_points_all_count() {
    kv::forget(&["leaderboard:race"]).await;
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            tokio::spawn(async {
                let mut board = Leaderboard::new(kv::connection().await, "race");
                board.add_points("p", 1).await.unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let mut board = Leaderboard::new(kv::connection().await, "race");
    assert_eq!(board.top(1).await.unwrap(), [("p".to_owned(), 40)]);
}

#[tokio::test]
async fn a_session_is_a_hash_that_expires() {
    let mut sessions = Sessions::new(kv::connection().await, Duration::from_secs(1800));
    sessions
        .create("abc", &[("user_id", "42"), ("role", "admin")])
        .await
        .unwrap();
    let got = sessions
        .get("abc")
        .await
        .unwrap()
        .expect("the session exists");
    assert_eq!(got.get("user_id").map(String::as_str), Some("42"));
    assert_eq!(got.get("role").map(String::as_str), Some("admin"));
    let mut raw = kv::connection().await;
    let kind: String = redis::cmd("TYPE")
        .arg("session:abc")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(kind, "hash", "one hash per session, under session:<id>");
    let ttl: i64 = raw.ttl("session:abc").await.unwrap();
    assert!(
        (1..=1800).contains(&ttl),
        "a session always has a TTL of at most 30 min, got {ttl}"
    );
    assert_eq!(
        sessions.get("nope").await.unwrap(),
        None,
        "a missing session is None, not an empty map"
    );
    let ttl: i64 = raw.ttl("session:nope").await.unwrap();
    assert_eq!(ttl, -2, "reading a missing session must not create it");
}

#[tokio::test]
async fn reading_a_session_extends_it_and_create_replaces_it() {
    let mut sessions = Sessions::new(kv::connection().await, Duration::from_secs(600));
    sessions
        .create("slide", &[("user_id", "7"), ("cart", "3 items")])
        .await
        .unwrap();
    let mut raw = kv::connection().await;
    let _: () = raw.expire("session:slide", 5).await.unwrap(); // as if it had been idle
    sessions.get("slide").await.unwrap().expect("still alive");
    let ttl: i64 = raw.ttl("session:slide").await.unwrap();
    assert!(
        ttl > 500,
        "a read restarts the idle timeout (sliding expiry): TTL {ttl}"
    );
    sessions.create("slide", &[("user_id", "8")]).await.unwrap();
    let got = sessions.get("slide").await.unwrap().unwrap();
    assert_eq!(
        got.len(),
        1,
        "create starts a fresh session: no field of the old one survives ({got:?})"
    );
    sessions.destroy("slide").await.unwrap();
    assert_eq!(sessions.get("slide").await.unwrap(), None);
}

#[tokio::test]
async fn counters_are_atomic_and_windows_end() {
    kv::forget(&["hits:home"]).await;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            tokio::spawn(async {
                let mut conn = kv::connection().await;
                hit(&mut conn, "hits:home", Duration::from_secs(60))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for t in tasks {
        counts.push(t.await.unwrap());
    }
    counts.sort();
    assert_eq!(
        counts,
        (1..=50).collect::<Vec<u64>>(),
        "50 concurrent hits count 1 to 50, each once"
    );
    let mut raw = kv::connection().await;
    let ttl: i64 = raw.ttl("hits:home").await.unwrap();
    assert!((1..=60).contains(&ttl), "the window expires (TTL {ttl})");
}

#[tokio::test]
async fn later_hits_do_not_extend_the_window() {
    kv::forget(&["hits:api"]).await;
    let mut conn = kv::connection().await;
    assert_eq!(
        hit(&mut conn, "hits:api", Duration::from_secs(60))
            .await
            .unwrap(),
        1
    );
    let _: () = conn.expire("hits:api", 3).await.unwrap(); // the window is nearly over
    assert_eq!(
        hit(&mut conn, "hits:api", Duration::from_secs(60))
            .await
            .unwrap(),
        2
    );
    let ttl: i64 = conn.ttl("hits:api").await.unwrap();
    assert!(
        ttl <= 3,
        "a hit inside a window must not restart it (TTL is {ttl}): a steady client would never be reset"
    );
}

/// Cuts the connection that `write` gets after 0, 1, 2… round trips and calls `check` on what
/// Redis holds after each cut; ends when `write` runs to completion uncut.
async fn at_every_cut(
    key: &str,
    mut write: impl AsyncFnMut(redis::aio::MultiplexedConnection) -> redis::RedisResult<()>,
    check: impl Fn(usize, i64),
) {
    kv::forget(&[key]).await;
    let proxy = CutProxy::in_front_of(&kv::redis_url()).await;
    let mut raw = kv::connection().await;
    for cut in 0.. {
        assert!(cut < 10, "still talking to Redis after 10 round trips");
        let conn = kv::connection_via(&proxy).await;
        proxy.cut_after_round_trips(cut);
        let result = write(conn).await;
        let was_cut = proxy.has_cut();
        proxy.disarm();
        check(cut, raw.ttl(key).await.unwrap());
        let _: () = raw.del(key).await.unwrap();
        if !was_cut {
            result.expect("the write succeeds when nothing is cut");
            return;
        }
    }
}

/// A session written with HSET and then EXPIRE as two commands lives forever if the connection
/// drops in between (a login that never logs out). MULTI/EXEC applies all of it or nothing.
#[tokio::test]
async fn a_connection_lost_halfway_never_leaves_a_session_without_expiry() {
    at_every_cut(
        "session:cut",
        async |conn| {
            let mut sessions = Sessions::new(conn, Duration::from_secs(600));
            sessions.create("cut", &[("user", "ada")]).await
        },
        |cut, ttl| {
            assert_ne!(
                ttl, -1,
                "the connection was lost after {cut} round trip(s) of create, and Redis holds the \
                 session without an expiry: send its fields and its EXPIRE as one transaction"
            )
        },
    )
    .await;
}

/// The first hit of a window: INCR and EXPIRE as two commands, cut in between, make a counter
/// that never resets — that client is limited forever.
#[tokio::test]
async fn a_connection_lost_halfway_never_leaves_a_counter_without_expiry() {
    at_every_cut(
        "hits:cut",
        async |mut conn| hit(&mut conn, "hits:cut", Duration::from_secs(60)).await.map(drop),
        |cut, ttl| {
            assert_ne!(
                ttl, -1,
                "the connection was lost after {cut} round trip(s) of the first hit, and the \
                 counter has no expiry: its window never ends. INCR and EXPIRE belong in one transaction"
            )
        },
    )
    .await;
}
