//! Page-view counters that a busy page increments thousands of times a second: counted in
//! memory, written behind in batches — one statement per flush, however many pages and hits.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::PgPool;

pub struct Counters {
    /// Increments not written yet, by page.
    pending: Mutex<HashMap<String, i64>>,
    pool: PgPool,
}

impl Counters {
    pub fn new(pool: PgPool) -> Arc<Counters> {
        Arc::new(Counters {
            pending: Mutex::new(HashMap::new()),
            pool,
        })
    }

    /// Counts `by` views of `page`, in memory: no database round trip.
    pub fn incr(&self, page: &str, by: i64) {
        let mut pending = self.pending.lock().expect("the counters' lock");
        *pending.entry(page.to_owned()).or_default() += by;
    }

    /// Writes what was counted since the last flush in one statement; returns how many pages
    /// it wrote. Increments made while it runs are kept for the next flush; if the write fails,
    /// nothing is lost either.
    pub async fn flush(&self) -> sqlx::Result<usize> {
        let batch = std::mem::take(&mut *self.pending.lock().expect("the counters' lock"));
        if batch.is_empty() {
            return Ok(0);
        }
        let (pages, views): (Vec<String>, Vec<i64>) =
            batch.iter().map(|(page, n)| (page.clone(), *n)).unzip();
        let written = sqlx::query(
            "INSERT INTO page_views (page, views)
             SELECT * FROM unnest($1::TEXT[], $2::BIGINT[])
             ON CONFLICT (page) DO UPDATE SET views = page_views.views + EXCLUDED.views",
        )
        .bind(&pages)
        .bind(&views)
        .execute(&self.pool)
        .await;
        if let Err(e) = written {
            // Back into the counts, on top of whatever arrived meanwhile.
            let mut pending = self.pending.lock().expect("the counters' lock");
            for (page, n) in batch {
                *pending.entry(page).or_default() += n;
            }
            return Err(e);
        }
        Ok(batch.len())
    }

    /// Flushes every `interval` until `shutdown` completes, then a last time. A failed flush is
    /// retried at the next tick.
    pub async fn run(
        self: Arc<Self>,
        interval: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> sqlx::Result<()> {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = ticker.tick() => {
                    let _ = self.flush().await;
                }
                () = &mut shutdown => break,
            }
        }
        self.flush().await.map(|_| ())
    }
}
