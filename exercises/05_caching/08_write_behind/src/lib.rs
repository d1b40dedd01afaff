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
        todo!()
    }

    /// Writes what was counted since the last flush in one statement; returns how many pages
    /// it wrote. Increments made while it runs are kept for the next flush; if the write fails,
    /// nothing is lost either.
    pub async fn flush(&self) -> sqlx::Result<usize> {
        todo!()
    }

    /// Flushes every `interval` until `shutdown` completes, then a last time. A failed flush is
    /// retried at the next tick.
    pub async fn run(
        self: Arc<Self>,
        interval: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> sqlx::Result<()> {
        todo!(
            "flush on every tick of a `tokio::time::interval`; when `shutdown` completes, once more"
        )
    }
}
