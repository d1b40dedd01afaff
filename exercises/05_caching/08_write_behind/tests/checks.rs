use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use backlings_support::within;
use backlings_support_db::db;
use sqlx::PgPool;
use write_behind::Counters;

async fn views(pool: &PgPool) -> HashMap<String, i64> {
    sqlx::query_as::<_, (String, i64)>("SELECT page, views FROM page_views")
        .fetch_all(pool)
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// `Counters::run` in a task, and the shutdown signal it waits for.
struct Running {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<sqlx::Result<()>>,
}

impl Running {
    fn start(counters: &Arc<Counters>, interval: Duration) -> Running {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(Arc::clone(counters).run(interval, async {
            let _ = stopped.await;
        }));
        Running { stop, task }
    }

    /// Signals shutdown and waits for `run` to finish its last flush.
    async fn shut_down(self) {
        self.stop.send(()).unwrap();
        within(
            Duration::from_secs(10),
            "run to finish after shutdown",
            self.task,
        )
        .await
        .unwrap()
        .expect("the last flush");
    }
}

/// 50 pages × 100 views, flushed three times, through a proxy that counts the round trips to
/// the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_views_are_written_in_a_statement_per_flush() {
    let pool = db::isolated_pool().await;
    let proxy = db::cut_proxy(&pool).await;
    let counters = Counters::new(db::pool_via(&proxy, &pool).await);
    let before = proxy.round_trips();
    for hit in 0..5000 {
        counters.incr(&format!("/page/{}", hit % 50), 1);
        if [1666, 3333, 4999].contains(&hit) {
            counters.flush().await.expect("flush");
        }
    }
    let round_trips = proxy.round_trips() - before;
    assert!(
        round_trips <= 12,
        "5000 views over 50 pages, flushed 3 times, took {round_trips} round trips to the \
         database: a flush writes all its pages in one statement (a multi-row upsert: `unnest` \
         of arrays, or a VALUES list), not one per page or per view"
    );
    let totals = views(&pool).await;
    assert_eq!(totals.len(), 50);
    assert_eq!(
        totals.values().sum::<i64>(),
        5000,
        "every view counted, exactly: {totals:?}"
    );
    assert!(
        totals.values().all(|&v| v == 100),
        "100 per page: {totals:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn counts_made_while_others_count_and_flush_are_exact() {
    let pool = db::isolated_pool().await;
    let counters = Counters::new(pool.clone());
    let running = Running::start(&counters, Duration::from_millis(5));
    let hitters: Vec<_> = (0..8)
        .map(|t| {
            let counters = Arc::clone(&counters);
            tokio::spawn(async move {
                for i in 0..2000 {
                    counters.incr(&format!("/page/{}", (t + i) % 10), 1);
                    if i % 100 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
            })
        })
        .collect();
    for hitter in hitters {
        hitter.await.unwrap();
    }
    running.shut_down().await;
    let totals = views(&pool).await;
    assert_eq!(
        totals.values().sum::<i64>(),
        16_000,
        "8 tasks counted 2000 views each while a flush ran every 5 ms; the table has {} — {}",
        totals.values().sum::<i64>(),
        "views counted between a flush reading the counts and clearing them are lost"
    );
}

/// The flush's statement is held at a proxy while more views arrive; then it goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn views_counted_during_a_flush_are_kept_for_the_next() {
    let pool = db::isolated_pool().await;
    let proxy = db::cut_proxy(&pool).await;
    let via = db::pool_via(&proxy, &pool).await;
    let counters = Counters::new(via);
    counters.incr("/home", 10);
    proxy.hold_after_round_trips(0);
    let flushing = tokio::spawn({
        let counters = Arc::clone(&counters);
        async move { counters.flush().await }
    });
    assert!(
        proxy.held_within(Duration::from_secs(5)).await,
        "flush sent nothing to the database"
    );
    counters.incr("/home", 5);
    counters.incr("/about", 1);
    proxy.release();
    within(Duration::from_secs(10), "the flush", flushing)
        .await
        .unwrap()
        .expect("flush");
    counters.flush().await.expect("the second flush");
    assert_eq!(
        views(&pool).await,
        HashMap::from([("/home".into(), 15), ("/about".into(), 1)]),
        "views counted while a flush was writing must be written by the next flush: take the \
         counts out (swap in an empty map) before writing, instead of clearing after"
    );
}

/// The connection is cut at every point of a flush in turn. Then the next flush must bring
/// the table to the exact totals: nothing lost, nothing counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_cut_short_loses_nothing() {
    for cut in 0..4 {
        let pool = db::isolated_pool().await;
        let proxy = db::cut_proxy(&pool).await;
        let counters = Counters::new(db::pool_via(&proxy, &pool).await);
        counters.incr("/home", 7);
        counters.incr("/about", 3);
        proxy.cut_after_round_trips(cut);
        let first = counters.flush().await;
        let was_cut = proxy.has_cut();
        proxy.disarm();
        counters.flush().await.unwrap_or_else(|e| {
            panic!("the flush after the cut (at round trip {cut}) failed: {e}")
        });
        assert_eq!(
            views(&pool).await,
            HashMap::from([("/home".into(), 7), ("/about".into(), 3)]),
            "cut at round trip {cut} (the first flush {}, cut: {was_cut}): counts taken out for \
             a write that failed must go back into the pending counts",
            if first.is_ok() { "succeeded" } else { "failed" }
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutting_down_writes_what_is_left() {
    let pool = db::isolated_pool().await;
    let counters = Counters::new(pool.clone());
    // An interval long enough that no tick flushes after the first.
    let running = Running::start(&counters, Duration::from_secs(3600));
    tokio::time::sleep(Duration::from_millis(50)).await;
    counters.incr("/checkout", 42);
    running.shut_down().await;
    assert_eq!(
        views(&pool).await.get("/checkout"),
        Some(&42),
        "views counted since the last tick were lost at shutdown: flush once more when \
         shutdown comes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counts_are_flushed_on_every_tick() {
    let pool = db::isolated_pool().await;
    let counters = Counters::new(pool.clone());
    let running = Running::start(&counters, Duration::from_millis(50));
    counters.incr("/pricing", 3);
    let mut seen = None;
    for _ in 0..100 {
        seen = views(&pool).await.get("/pricing").copied();
        if seen == Some(3) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.shut_down().await;
    assert_eq!(
        seen,
        Some(3),
        "5 s after the views were counted, with a flush due every 50 ms, they were not in the \
         table: run must flush on every tick, not only at shutdown"
    );
}
