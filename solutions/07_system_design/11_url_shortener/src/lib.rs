//! A URL shortener, designed end to end: the brief, the decisions of the capacity plan
//! (README.md), ids that never collide across instances, and a cache in front of Postgres.

use std::ops::Range;
use std::sync::Arc;

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
pub const CODE_LEN: u32 = 7;
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
pub fn base62(mut n: u64) -> String {
    let mut digits = Vec::new();
    loop {
        digits.push(ALPHABET[(n % 62) as usize]);
        n /= 62;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).expect("the alphabet is ASCII")
}

/// One instance of the service. Many run at once on one database.
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
    pub async fn shorten(&self, url: &str) -> Result<String, Error> {
        let parsed = url::Url::parse(url).map_err(|_| Error::InvalidUrl(url.to_owned()))?;
        // A redirect to `javascript:` or `data:` runs in the victim's browser: refuse it.
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(Error::InvalidUrl(url.to_owned()));
        }
        let id = self.next_id().await?;
        let code = base62(id as u64);
        sqlx::query("INSERT INTO links (code, url) VALUES ($1, $2)")
            .bind(&code)
            .bind(parsed.as_str())
            .execute(&self.pool)
            .await?;
        Ok(code)
    }

    /// The next id of this instance's block; a new block from the sequence when it is used up.
    async fn next_id(&self) -> Result<i64, sqlx::Error> {
        let mut block = self.block.lock().await;
        if block.is_empty() {
            // nextval hands each caller a different multiple: [start, start + ID_BLOCK) is ours.
            let start: i64 = sqlx::query_scalar("SELECT nextval('link_ids')")
                .fetch_one(&self.pool)
                .await?;
            *block = start..start + ID_BLOCK;
        }
        Ok(block.next().expect("a block is never empty here"))
    }

    /// Where `code` leads. Links never change, so a cached answer never goes stale; concurrent
    /// misses of one code make one query between them.
    pub async fn resolve(&self, code: &str) -> Result<Option<String>, Error> {
        let pool = self.pool.clone();
        let lookup = async move {
            let url: Option<String> = sqlx::query_scalar("SELECT url FROM links WHERE code = $1")
                .bind(code)
                .fetch_optional(&pool)
                .await?;
            url.ok_or(Missing::NotFound)
        };
        match self.cache.try_get_with(code.to_owned(), lookup).await {
            Ok(url) => Ok(Some(url)),
            Err(e) => match Arc::unwrap_or_clone(e) {
                // Not cached: the code may not be handed out yet.
                Missing::NotFound => Ok(None),
                Missing::Db(e) => Err(Error::Db(e)),
            },
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum Missing {
    #[error("no such code")]
    NotFound,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl Clone for Missing {
    fn clone(&self) -> Missing {
        match self {
            Missing::NotFound => Missing::NotFound,
            // sqlx errors are not Clone; a shared failure is reported once, by message.
            Missing::Db(e) => Missing::Db(sqlx::Error::Protocol(e.to_string())),
        }
    }
}
