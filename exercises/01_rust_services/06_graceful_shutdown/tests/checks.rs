use std::time::Duration;

use backlings_support::within;
use graceful_shutdown::*;
use tokio::sync::mpsc;
use tokio::time::Instant;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test(start_paused = true)]
async fn in_flight_work_finishes_before_shutdown_returns() {
    let server = Server::new();
    for work in [100, 200, 300] {
        server.handle(ms(work)).unwrap();
    }
    let start = Instant::now();
    let report = server.shutdown(ms(1_000)).await;
    assert_eq!(
        report,
        ShutdownReport {
            completed: 3,
            aborted: 0
        },
        "every in-flight request should finish during the drain"
    );
    assert_eq!(
        start.elapsed(),
        ms(300),
        "shutdown returns when the last request is done (300 ms), not after the whole grace period"
    );
}

#[tokio::test(start_paused = true)]
async fn new_work_is_refused_once_shutdown_begins() {
    let server = std::sync::Arc::new(Server::new());
    server.handle(ms(500)).unwrap();
    let s = std::sync::Arc::clone(&server);
    let shutdown = tokio::spawn(async move { s.shutdown(ms(1_000)).await });
    tokio::time::sleep(ms(10)).await;
    assert_eq!(
        server.handle(ms(1)),
        Err(ShuttingDown),
        "after shutdown has begun, handle() must refuse"
    );
    assert!(server.stopping().is_cancelled());
    let report = shutdown.await.unwrap();
    assert_eq!(report.completed, 1, "the refused request must not run");
}

#[tokio::test(start_paused = true)]
async fn grace_period_bounds_the_drain() {
    let server = Server::new();
    server.handle(ms(100)).unwrap();
    server.handle(ms(60_000)).unwrap();
    let start = Instant::now();
    let report = server.shutdown(ms(1_000)).await;
    assert_eq!(
        report,
        ShutdownReport {
            completed: 1,
            aborted: 1
        }
    );
    assert_eq!(
        start.elapsed(),
        ms(1_000),
        "after the grace period, cancel what is left and return"
    );
}

#[tokio::test(start_paused = true)]
async fn idle_server_shuts_down_at_once() {
    let server = Server::new();
    let start = Instant::now();
    assert_eq!(
        server.shutdown(ms(5_000)).await,
        ShutdownReport {
            completed: 0,
            aborted: 0
        }
    );
    assert_eq!(start.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn accept_loop_stops_on_shutdown_even_while_waiting() {
    let server = std::sync::Arc::new(Server::new());
    let (tx, rx) = mpsc::channel(8);
    tx.send(ms(50)).await.unwrap();
    tx.send(ms(50)).await.unwrap();
    let s = std::sync::Arc::clone(&server);
    let accepting = tokio::spawn(async move { accept_loop(&s, rx).await });
    tokio::time::sleep(ms(10)).await;
    // `tx` is still open: the loop is parked in recv() and must notice the shutdown anyway.
    let report = server.shutdown(ms(1_000)).await;
    let accepted = within(ms(100), "accept_loop after shutdown began", accepting)
        .await
        .unwrap();
    assert_eq!(accepted, 2);
    assert_eq!(report.completed, 2);
    drop(tx);
}

#[tokio::test(start_paused = true)]
async fn accept_loop_ends_when_the_listener_closes() {
    let server = Server::new();
    let (tx, rx) = mpsc::channel(8);
    tx.send(ms(5)).await.unwrap();
    drop(tx);
    assert_eq!(
        within(
            ms(100),
            "accept_loop after the channel closed",
            accept_loop(&server, rx)
        )
        .await,
        1
    );
}
