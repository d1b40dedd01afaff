//! The service that goes into the image: `/livez`, `/readyz`, and a graceful stop on SIGTERM.
//! Given, like `main.rs`; your work is the `Containerfile` and the `.dockerignore`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use axum::Router;
use axum::routing::get;

/// Where the service listens: `APP_ADDR`, by default 127.0.0.1:8080 (this machine only).
pub fn address() -> Result<SocketAddr, String> {
    let raw = std::env::var("APP_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".to_owned());
    raw.parse()
        .map_err(|_| format!("APP_ADDR={raw}: not an address such as 0.0.0.0:8080"))
}

pub fn app() -> Router {
    Router::new()
        .route("/livez", get(|| async { "alive" }))
        .route("/readyz", get(|| async { "ready" }))
}

/// Serves until SIGTERM or SIGINT, then finishes what is in flight.
pub async fn serve(addr: SocketAddr) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("listening on {}", listener.local_addr()?);
    axum::serve(listener, app())
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
        .await
}

/// `service healthcheck`: asks the running service's `/readyz` (on the loopback interface, at
/// its port) and says whether it answered 200 — for a HEALTHCHECK, in an image without curl.
pub fn healthcheck(addr: SocketAddr) -> bool {
    let local = SocketAddr::from(([127, 0, 0, 1], addr.port()));
    let Ok(mut stream) = TcpStream::connect_timeout(&local, Duration::from_secs(2)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /readyz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.1 200")
}
