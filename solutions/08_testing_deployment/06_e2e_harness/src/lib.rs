//! An end-to-end test harness for the service in `app`: everything a test needs to run the
//! real thing — a server on a port of its own, its own database and Redis keys, a client that
//! keeps cookies like a browser — and factories for test data that never collide.

pub mod app;

pub use app::{LIVE_SERVERS, Me, NewUser};

/// A running instance of the service, for one test. Dropping it stops the server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The instance's own database: for arranging data and asserting on it.
    pub db: sqlx::PgPool,
    /// A client with a cookie store: a user's session, as a browser keeps it.
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

pub async fn spawn_app() -> TestApp {
    // Port 0: the kernel picks a free port, so any number of instances run side by side.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a port for the app");
    let address = format!(
        "http://{}",
        listener
            .local_addr()
            .expect("[test infrastructure] local address")
    );
    // The run's database, migrated (sqlx's migrator locks, so parallel instances may all
    // ask), with a small pool per instance: fifty instances must not exhaust the server.
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&backlings_support_db::db::database_url())
        .await
        .expect("[test infrastructure] connect to DATABASE_URL");
    backlings_support_db::db::migrate(&db).await;
    let redis = backlings_support_kv::kv::connection().await;
    // A key prefix of its own: this instance's sessions are no other's.
    let prefix = format!("test:{}:", uuid::Uuid::new_v4().simple());
    let state = app::AppState {
        db: db.clone(),
        redis,
        prefix,
    };
    // The listener is bound before the task starts: connections wait in its backlog, so
    // the app accepts them as soon as this returns.
    let server = tokio::spawn(app::serve(listener, app::router(state)));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("[test infrastructure] build the client");
    TestApp {
        address,
        db,
        client,
        server,
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn new_user() -> NewUser {
    // Random, not counted: unique across threads, test binaries and reruns on a database
    // that still holds the last run's rows.
    let n = uuid::Uuid::new_v4().simple().to_string();
    NewUser {
        email: format!("user-{n}@example.com"),
        name: format!("User {}", &n[..8]),
    }
}
