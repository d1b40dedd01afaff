use std::time::Duration;

use backlings_support::{hammer, within};
use shared_state::*;

const PATHS: [&str; 3] = ["/", "/login", "/api/items"];

#[test]
fn no_hit_is_lost_under_contention() {
    let counter = HitCounter::new();
    hammer(8, 5_000, |t| counter.record(PATHS[t % 3]));
    // threads 0,3,6 → "/", 1,4,7 → "/login", 2,5 → "/api/items"
    assert_eq!(
        (
            counter.get("/"),
            counter.get("/login"),
            counter.get("/api/items")
        ),
        (15_000, 15_000, 10_000),
        "hits were lost: read and write must happen under the same lock guard"
    );
    assert_eq!(counter.get("/never"), 0);
}

#[test]
fn clones_share_the_same_counts() {
    let a = HitCounter::new();
    let b = a.clone();
    a.record("/x");
    b.record("/x");
    assert_eq!(
        a.get("/x"),
        2,
        "a clone must share the map (that is what the Arc is for)"
    );
}

#[test]
fn top_orders_by_count_then_name() {
    let c = HitCounter::new();
    for (path, n) in [("/b", 3), ("/a", 3), ("/c", 5), ("/d", 1)] {
        for _ in 0..n {
            c.record(path);
        }
    }
    assert_eq!(
        c.top(3),
        vec![
            ("/c".to_string(), 5),
            ("/a".to_string(), 3),
            ("/b".to_string(), 3)
        ],
        "most hits first; ties by path name"
    );
    assert_eq!(
        c.top(10).len(),
        4,
        "asking for more than there are returns them all"
    );
    assert!(c.top(0).is_empty(), "the top 0 is nothing");
}

/// Twenty paths with the same count, recorded in reverse: a `HashMap` iterates them in an order
/// of its own, so only a tie-breaker in the sort puts them by name — every time.
#[test]
fn many_ties_are_ordered_by_name() {
    let c = HitCounter::new();
    let paths: Vec<String> = (0..20).rev().map(|i| format!("/p{i:02}")).collect();
    for p in &paths {
        c.record(p);
    }
    let mut expected: Vec<(String, u64)> = paths.iter().map(|p| (p.clone(), 1)).collect();
    expected.sort();
    assert_eq!(c.top(20), expected, "equal counts, ordered by path name");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn actor_counts_every_message() {
    let (handle, task) = spawn_counter();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let h = handle.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..200 {
                h.record(PATHS[i % 3]).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let total = within(Duration::from_secs(5), "get", async {
        handle.get("/").await + handle.get("/login").await + handle.get("/api/items").await
    })
    .await;
    assert_eq!(total, 10_000);
    assert_eq!(
        handle.get("/api/items").await,
        16 * 200,
        "tasks 2, 5, …, 47 record /api/items"
    );
    drop(handle);
    let map = within(
        Duration::from_secs(5),
        "the actor task after every handle was dropped",
        task,
    )
    .await
    .unwrap();
    assert_eq!(
        map["/"],
        17 * 200,
        "the actor returns its final map when the channel closes"
    );
}

#[tokio::test]
async fn actor_answers_in_order() {
    let (handle, _task) = spawn_counter();
    handle.record("/a").await;
    handle.record("/a").await;
    assert_eq!(
        handle.get("/a").await,
        2,
        "a Get sent after two Records must see both"
    );
    assert_eq!(handle.get("/missing").await, 0);
}
