//! Serving an axum `Router` for real, on 127.0.0.1, for tests of code that calls other
//! services over the network (a client, a gateway, an orchestrator): the services it calls are
//! real HTTP servers in the test.

use axum::Router;

/// Serves `app` on a free port of 127.0.0.1, in a task of the test's runtime (it stops with
/// the test), and returns its base URL, `http://127.0.0.1:<port>`.
pub async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot listen on 127.0.0.1: {e}"));
    let addr = listener
        .local_addr()
        .unwrap_or_else(|e| panic!("[test infrastructure] no local address: {e}"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}
