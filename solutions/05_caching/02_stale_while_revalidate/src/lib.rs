//! Stale-while-revalidate inside the application (RFC 5861's semantics), with freshness
//! lifetimes spread so that entries loaded together do not expire together.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the source failed: {0}")]
pub struct LoadError(pub String);

/// Loads a value from the slow source of truth.
pub type Loader = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<u64, LoadError>> + Send>> + Send + Sync,
>;

/// How far an entry's freshness lifetime may differ from `fresh`, either way.
pub const JITTER: f64 = 0.10;

struct Entry {
    value: u64,
    fresh_until: Instant,
    stale_until: Instant,
    refreshing: bool,
}

pub struct SwrCache {
    entries: Mutex<HashMap<String, Entry>>,
    loader: Loader,
    fresh: Duration,
    stale: Duration,
}

impl SwrCache {
    /// Entries are fresh for about `fresh` (± JITTER) after they were loaded, then served stale
    /// for up to `stale` more while one refresh runs in the background.
    pub fn new(loader: Loader, fresh: Duration, stale: Duration) -> Arc<SwrCache> {
        Arc::new(SwrCache {
            entries: Mutex::new(HashMap::new()),
            loader,
            fresh,
            stale,
        })
    }

    /// Fresh: the cached value. Stale: the cached value at once, and one refresh in the
    /// background however many callers see it stale. Missing or past the stale window: loaded
    /// now, and the caller waits for it.
    pub async fn get(self: &Arc<Self>, key: &str) -> Result<u64, LoadError> {
        {
            let now = Instant::now();
            let mut entries = self.entries.lock().expect("the cache's lock");
            if let Some(entry) = entries.get_mut(key) {
                if now < entry.fresh_until {
                    return Ok(entry.value);
                }
                if now < entry.stale_until {
                    if !entry.refreshing {
                        entry.refreshing = true;
                        self.refresh_in_background(key.to_owned());
                    }
                    return Ok(entry.value);
                }
            }
        }
        let value = (self.loader)(key.to_owned()).await?;
        self.store(key, value);
        Ok(value)
    }

    fn refresh_in_background(self: &Arc<Self>, key: String) {
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            match (cache.loader)(key.clone()).await {
                Ok(value) => cache.store(&key, value),
                // Keep serving the stale value; the next stale read tries again.
                Err(_) => {
                    let mut entries = cache.entries.lock().expect("the cache's lock");
                    if let Some(entry) = entries.get_mut(&key) {
                        entry.refreshing = false;
                    }
                }
            }
        });
    }

    fn store(&self, key: &str, value: u64) {
        let now = Instant::now();
        let fresh = self
            .fresh
            .mul_f64(rand::random_range(1.0 - JITTER..=1.0 + JITTER));
        let entry = Entry {
            value,
            fresh_until: now + fresh,
            stale_until: now + fresh + self.stale,
            refreshing: false,
        };
        self.entries
            .lock()
            .expect("the cache's lock")
            .insert(key.to_owned(), entry);
    }
}
