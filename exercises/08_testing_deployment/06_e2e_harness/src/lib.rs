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
    // Your fields.
}

/// Starts the service on 127.0.0.1 at a free port, on a fresh database with the migrations
/// applied and a Redis key prefix of its own, and returns once it accepts connections.
pub async fn spawn_app() -> TestApp {
    todo!("a server, a database, a prefix and a client of its own")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop the server: no test may leave one running.
    }
}

/// A user no other call returns: distinct in every test, whatever runs in parallel.
pub fn new_user() -> NewUser {
    todo!("a unique email and a name")
}
