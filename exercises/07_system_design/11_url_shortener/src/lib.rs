//! A URL shortener, designed end to end: the brief, the decisions of the capacity plan
//! (README.md), ids that never collide across instances, and a cache in front of Postgres.

use std::ops::Range;

use sqlx::PgPool;

// ---- The brief ---------------------------------------------------------------------------

/// New links per day.
pub const LINKS_PER_DAY: u64 = 10_000_000;
/// Redirects per new link (reads : writes).
pub const READS_PER_WRITE: u64 = 100;
/// The busiest second against the average one.
pub const PEAK_FACTOR: u64 = 3;
/// Links are kept this long…
pub const RETENTION_YEARS: u64 = 10;
/// …and the code space must hold that many times more (growth, and never running out).
pub const HEADROOM: u64 = 10;
/// One link stored: the row, its index entry and overhead.
pub const BYTES_PER_LINK: u64 = 500;
/// Copies of the database (a primary and two replicas).
pub const REPLICAS: u64 = 3;
/// The share of a day's links that draws most of the redirects, in percent.
pub const HOT_SHARE_PERCENT: u64 = 20;
/// One cached link in memory: key, URL and the cache's own overhead.
pub const BYTES_PER_CACHED_LINK: u64 = 200;

// ---- The design's decisions ---------------------------------------------------------------

/// Codes are base62: digits, then upper case, then lower case.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The longest code: the shortest length whose code space covers the links to plan for.
/// Decide it from the plan in README.md.
pub const CODE_LEN: u32 = 0;
/// Ids an instance takes from the sequence at once (the migration's INCREMENT BY).
pub const ID_BLOCK: i64 = 1_000;
/// Links the cache keeps: the hot share of a day's links.
pub const CACHE_CAPACITY: u64 = LINKS_PER_DAY * HOT_SHARE_PERCENT / 100;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not a link to shorten: {0}")]
    InvalidUrl(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// `n` in base62, most significant digit first.
pub fn base62(_n: u64) -> String {
    todo!("digits of ALPHABET, most significant first; 0 is \"0\"")
}

/// One instance of the service. Many run at once on one database.
#[allow(dead_code)]
pub struct Shortener {
    pool: PgPool,
    /// The ids of this instance's current block not handed out yet.
    block: tokio::sync::Mutex<Range<i64>>,
    cache: moka::future::Cache<String, String>,
}

impl Shortener {
    pub fn new(pool: PgPool) -> Shortener {
        Shortener {
            pool,
            block: tokio::sync::Mutex::new(0..0),
            cache: moka::future::Cache::new(CACHE_CAPACITY),
        }
    }

    /// A fresh code for `url` (absolute http or https only).
    pub async fn shorten(&self, _url: &str) -> Result<String, Error> {
        todo!(
            "validate; the next id of this instance's block (a new block from `link_ids` when it is empty); insert"
        )
    }

    /// Where `code` leads, through the cache: links never change; concurrent misses of one
    /// code make one query between them; an unknown code is not cached.
    pub async fn resolve(&self, _code: &str) -> Result<Option<String>, Error> {
        todo!()
    }
}
