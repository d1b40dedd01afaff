//! The few administrative operations the runner performs on the services: wait until they answer,
//! create and drop per-run databases, flush Redis databases.

use std::time::{Duration, Instant};

use super::{ServicesError, resp};

/// Postgres refuses identifiers longer than 63 bytes.
const MAX_IDENT: usize = 63;
/// The empty database every run database is created from.
pub const TEMPLATE_DB: &str = "backlings_template";

fn pg_connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(3));
    config.connect(postgres::NoTls)
}

/// Waits until a real Postgres connection succeeds (not just an open port: Postgres accepts TCP
/// connections before it accepts queries).
pub fn wait_for_postgres(url: &str, timeout: Duration) -> Result<(), ServicesError> {
    let deadline = Instant::now() + timeout;
    loop {
        match pg_connect(url).and_then(|mut c| c.simple_query("SELECT 1").map(|_| ())) {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(ServicesError::Unreachable(format!(
                    "Postgres at {} did not answer within {timeout:?}: {e}",
                    redact(url)
                )));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

pub fn wait_for_redis(url: &str, timeout: Duration) -> Result<(), ServicesError> {
    let deadline = Instant::now() + timeout;
    loop {
        let attempt = resp::Connection::open(url, Duration::from_secs(2)).and_then(|mut c| {
            c.command(&["PING"])
                .and_then(|_| c.command(&["INFO", "server"]))
        });
        match attempt {
            Ok(info) => return check_redis_version(url, &info),
            Err(e) if Instant::now() >= deadline => {
                return Err(ServicesError::Unreachable(format!(
                    "Redis at {} did not answer within {timeout:?}: {e}",
                    redact(url)
                )));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

/// The oldest Redis the course runs on: its exercises use `EXPIRE … NX` (Redis 7.0).
pub const MIN_REDIS: (u32, u32) = (7, 0);

/// Refuses a server older than MIN_REDIS, from its `INFO server` text, with what is needed.
fn check_redis_version(url: &str, info: &str) -> Result<(), ServicesError> {
    let Some(version) = info
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(str::trim)
    else {
        // Not Redis itself (a compatible server that does not say): let the tests decide.
        return Ok(());
    };
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let found = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    if found >= MIN_REDIS {
        return Ok(());
    }
    Err(ServicesError::Unavailable(format!(
        "Redis at {} is version {version}; the course needs Redis {}.{} or newer (its exercises use EXPIRE … NX). Install a newer redis-server, or use the container provider (`--services container`)",
        redact(url),
        MIN_REDIS.0,
        MIN_REDIS.1
    )))
}

/// Replaces the database name of a Postgres URL (`…/postgres?x=y` → `…/<db>?x=y`).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// `redis://host:port[/n]` → `redis://host:port/<db>`.
pub fn with_redis_db(url: &str, db: u8) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let base = match url[scheme_end..].find('/') {
        Some(slash) => &url[..scheme_end + slash],
        None => url,
    };
    format!("{base}/{db}")
}

/// Hides a password in a URL for messages.
pub fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    match (rest.find('@'), rest.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

/// The longest run database name: the support crate names a test's own database
/// `<run>_<pid>_<n>` (up to 22 more bytes), and Postgres silently truncates identifiers past
/// 63 bytes, which would make two tests' databases one.
pub const MAX_RUN_DB: usize = MAX_IDENT - 23;

/// A database name for one run of one exercise, unique within this machine. The unique part
/// comes first: only the exercise name, there for whoever reads `\l`, is ever cut short.
pub fn run_database_name(exercise: &str, serial: u64) -> String {
    let mut name = format!("bk_{}_{serial}_{exercise}", std::process::id());
    let mut end = name.len().min(MAX_RUN_DB);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    name
}

/// Creates `db` from the template (creating the template first if needed). The template is an
/// empty database: copying it is fast and leaves `template1` alone.
pub fn create_database(admin_url: &str, db: &str) -> Result<(), ServicesError> {
    let mut client = pg_connect(admin_url).map_err(|e| pg_error(admin_url, "connect", e))?;
    let exists = client
        .query_opt(
            "SELECT 1 FROM pg_database WHERE datname = $1",
            &[&TEMPLATE_DB],
        )
        .map_err(|e| pg_error(admin_url, "look up the template", e))?
        .is_some();
    if !exists
        && let Err(e) =
            client.batch_execute(&format!("CREATE DATABASE {TEMPLATE_DB} TEMPLATE template0"))
    {
        // Another run created it at the same moment: fine.
        if e.code() != Some(&postgres::error::SqlState::DUPLICATE_DATABASE) {
            return Err(pg_error(admin_url, "create the template database", e));
        }
    }
    let sql = format!("CREATE DATABASE \"{db}\" TEMPLATE {TEMPLATE_DB}");
    // CREATE DATABASE fails while another CREATE copies the same template; retry briefly.
    let mut attempts = 0;
    loop {
        match client.batch_execute(&sql) {
            Ok(()) => return Ok(()),
            Err(e)
                if attempts < 50 && e.code() == Some(&postgres::error::SqlState::OBJECT_IN_USE) =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(pg_error(admin_url, "create the exercise's database", e)),
        }
    }
}

/// Drops `db` and any per-test databases named after it (`<db>_…`).
pub fn drop_databases(admin_url: &str, db: &str) {
    let Ok(mut client) = pg_connect(admin_url) else {
        return;
    };
    let pattern = format!("{}\\_%", db.replace('_', "\\_"));
    let names: Vec<String> = client
        .query(
            "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2",
            &[&db, &pattern],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    for name in names {
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }
}

pub fn flush_redis_db(url: &str) -> Result<(), ServicesError> {
    let mut conn = resp::Connection::open(url, Duration::from_secs(3))
        .map_err(|e| ServicesError::Unreachable(format!("Redis at {}: {e}", redact(url))))?;
    conn.command(&["FLUSHDB"]).map(|_| ()).map_err(|e| {
        ServicesError::Unreachable(format!("Redis at {}: FLUSHDB failed: {e}", redact(url)))
    })
}

fn pg_error(url: &str, what: &str, e: postgres::Error) -> ServicesError {
    ServicesError::Unreachable(format!("Postgres at {}: cannot {what}: {e}", redact(url)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
        assert_eq!(
            with_database("postgres://h:1/a?sslmode=disable", "x"),
            "postgres://h:1/x?sslmode=disable"
        );
        assert_eq!(with_redis_db("redis://h:6379", 3), "redis://h:6379/3");
        assert_eq!(with_redis_db("redis://h:6379/0", 3), "redis://h:6379/3");
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("redis://h:6379"), "redis://h:6379");
    }

    #[test]
    fn redis_older_than_7_is_refused_with_what_is_needed() {
        let info = |v: &str| format!("# Server\r\nredis_version:{v}\r\nredis_mode:standalone\r\n");
        assert!(check_redis_version("redis://h:1", &info("7.0.15")).is_ok());
        assert!(check_redis_version("redis://h:1", &info("7.2.4")).is_ok());
        let err = check_redis_version("redis://h:1", &info("6.2.14"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("6.2.14") && err.contains("7.0 or newer"),
            "{err}"
        );
        assert!(check_redis_version("redis://h:1", "# Server\r\n").is_ok());
    }

    #[test]
    fn run_database_names_fit_postgres_and_stay_unique() {
        let long = "rest_capstone__select_before_insert_duplicate_url_mutant";
        let a = run_database_name(long, 7);
        let b = run_database_name(long, 8);
        assert!(a.len() <= MAX_RUN_DB, "{a}");
        assert!(a.starts_with("bk_"));
        assert_ne!(a, b, "the serial survives truncation");
        // Room for the support crate's per-test suffix `_<pid>_<n>` within 63 bytes.
        assert!(format!("{a}_{}_{}", u32::MAX, u32::MAX).len() <= MAX_IDENT);
    }
}
