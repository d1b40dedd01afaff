//! Postgres for exercise tests. `exercise` gives every run a database of its own through
//! DATABASE_URL; these helpers connect to it with a clear message when it is missing, apply the
//! exercise's migrations, and make extra per-test databases when a test needs a clean slate.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

/// DATABASE_URL, or a panic that says how to get one.
pub fn database_url() -> String {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "[test infrastructure] DATABASE_URL is not set. Run this exercise through `exercise` (it starts Postgres for you), \
             or set DATABASE_URL to a Postgres database you can write to."
        ),
    }
}

/// The options of every pool these helpers make.
fn test_pool_options() -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(10)
        // A test that waits seconds for a connection has starved its pool (a connection held
        // while asking for another): fail with PoolTimedOut instead of hanging to the deadline.
        .acquire_timeout(std::time::Duration::from_secs(5))
}

/// A pool on the run's database.
pub async fn pool() -> PgPool {
    let url = database_url();
    test_pool_options()
        .connect(&url)
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot connect to DATABASE_URL: {e}"))
}

/// Applies `migrations/` of the exercise (CARGO_MANIFEST_DIR) to `pool`, in order.
pub async fn migrate(pool: &PgPool) {
    let dir =
        Path::new(&std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
            .join("migrations");
    let migrator = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "[test infrastructure] cannot read the migrations in {}: {e}",
                dir.display()
            )
        });
    migrator.run(pool).await.unwrap_or_else(|e| {
        panic!(
            "a migration failed: {e}\n(check the SQL in {})",
            dir.display()
        )
    });
}

/// A pool on the run's database with the exercise's migrations applied. Tests that share it
/// must not assume an empty table: use unique values, or `isolated_pool`.
pub async fn migrated_pool() -> PgPool {
    let pool = pool().await;
    migrate(&pool).await;
    pool
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A brand-new database for one test (named after the run's, so `exercise` drops it with the
/// run), with the exercise's migrations applied: the `#[sqlx::test]` pattern without macros.
pub async fn isolated_pool() -> PgPool {
    let pool = isolated_empty_pool().await;
    migrate(&pool).await;
    pool
}

/// A brand-new database for one test, without any migration: for tests that apply the
/// migrations themselves, one step at a time.
pub async fn isolated_empty_pool() -> PgPool {
    let base: PgConnectOptions = database_url()
        .parse()
        .expect("[test infrastructure] DATABASE_URL is a valid Postgres URL");
    let run_db = base.get_database().unwrap_or("postgres");
    let suffix = format!(
        "_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    // Postgres cuts identifiers at 63 bytes without an error: a long DATABASE_URL name would
    // make every test's database the same one. `exercise` keeps its run names short enough
    // for the whole name to be kept (so it drops them with the run); shorten anyone else's.
    let mut keep = run_db.len().min(63 - suffix.len());
    while !run_db.is_char_boundary(keep) {
        keep -= 1;
    }
    let name = format!("{}{suffix}", &run_db[..keep]);
    let mut admin = base
        .connect()
        .await
        .expect("[test infrastructure] connect to the run's database");
    // Identifiers cannot be bound as parameters; `name` is made of our own digits and the run's name.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE \"{name}\" TEMPLATE template0"
    )))
    .execute(&mut admin)
    .await
    .unwrap_or_else(|e| {
        panic!("[test infrastructure] cannot create a database for this test: {e}")
    });
    admin.close().await.ok();
    test_pool_options()
        .connect_with(base.database(&name))
        .await
        .expect("[test infrastructure] connect to the test's database")
}

/// A fault proxy (see `fault`) in front of the server `pool` connects to.
pub async fn cut_proxy(pool: &PgPool) -> crate::fault::CutProxy {
    let options = pool.connect_options();
    crate::fault::CutProxy::start(&format!("{}:{}", options.get_host(), options.get_port())).await
}

/// A one-connection pool on `pool`'s database that goes through `proxy`, connected before it
/// returns (so the connection's start-up is never what the proxy cuts).
pub async fn pool_via(proxy: &crate::fault::CutProxy, pool: &PgPool) -> PgPool {
    let addr = proxy.addr();
    let options = (*pool.connect_options())
        .clone()
        .host(&addr.ip().to_string())
        .port(addr.port());
    let via = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options)
        .await
        .unwrap_or_else(|e| {
            panic!("[test infrastructure] cannot connect through the fault proxy: {e}")
        });
    sqlx::query("SELECT 1")
        .execute(&via)
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] the fault proxy does not relay: {e}"));
    via
}

/// The SQLSTATE of a database error (e.g. `23505` for a unique violation), if it is one.
pub fn sqlstate(err: &sqlx::Error) -> Option<String> {
    err.as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned())
}

/// Runs `fut` and returns its output with every SQL statement it sent, as sqlx reports them
/// (one `tracing` event per statement, target `sqlx::query`). Statements are attributed to the
/// thread that sends them: use it in a `#[tokio::test]` (one thread), where everything the
/// future does, spawned tasks included, runs on that thread.
///
/// The recorder is one global subscriber, installed at the first call, that keeps a statement
/// when its thread is recording. A subscriber per call (`set_default`) is not reliable: tests
/// of one binary run on several threads, and tracing's cached callsite interest and maximum
/// level, shared by all threads, let such a recorder miss every statement of a run now and then.
pub async fn record_statements<T>(fut: impl std::future::Future<Output = T>) -> (T, Vec<String>) {
    use tracing_subscriber::layer::SubscriberExt;

    static INSTALLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let installed = *INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(StatementRecorder);
        tracing::subscriber::set_global_default(subscriber).is_ok()
    });
    assert!(
        installed,
        "[test infrastructure] record_statements needs the global tracing subscriber, and this \
         test binary already installed one"
    );
    let statements = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    RECORDING.with(|r| *r.borrow_mut() = Some(std::sync::Arc::clone(&statements)));
    let out = fut.await;
    RECORDING.with(|r| *r.borrow_mut() = None);
    let recorded = std::mem::take(&mut *statements.lock().unwrap_or_else(|e| e.into_inner()));
    (out, recorded)
}

thread_local! {
    /// Where this thread's statements go while it records.
    static RECORDING: std::cell::RefCell<Option<std::sync::Arc<std::sync::Mutex<Vec<String>>>>> =
        const { std::cell::RefCell::new(None) };
}

struct StatementRecorder;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for StatementRecorder {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        #[derive(Default)]
        struct Sql {
            summary: String,
            statement: String,
        }
        impl tracing::field::Visit for Sql {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "summary" => self.summary = value.to_owned(),
                    "db.statement" => self.statement = value.trim().to_owned(),
                    _ => {}
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "summary" && self.summary.is_empty() {
                    self.summary = format!("{value:?}");
                }
            }
        }
        let mut sql = Sql::default();
        event.record(&mut sql);
        // sqlx sends the whole statement only when the summary had to shorten it.
        let text = if sql.statement.is_empty() {
            sql.summary
        } else {
            sql.statement
        };
        RECORDING.with(|r| {
            if let Some(statements) = r.borrow().as_ref() {
                statements
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(text);
            }
        });
    }
}
