//! Fault injection: a TCP proxy on 127.0.0.1 between an exercise and its server that cuts the
//! connection at a chosen point, so a test can fail a write *halfway* and look for half-state —
//! or holds one message back until the test lets it go, so that another client's command lands
//! *between* two of the code under test's (a check and the write that trusted it).
//!
//! The cut point is counted in round trips, which needs no knowledge of the protocol: a round
//! trip is the client speaking and the server answering. `cut_after_round_trips(n)` lets the
//! next `n` round trips through and drops both sides of the connection the moment the client
//! starts the one after (nothing of it reaches the server). A write done in one command, one
//! pipeline or one transaction is all-or-nothing at any cut; two separate commands are not.
//!
//! ```no_run
//! # async fn demo() {
//! use backlings_support::fault::CutProxy;
//! let proxy = CutProxy::start("127.0.0.1:6379").await;
//! // connect the code under test to proxy.addr(), warm it up, then:
//! proxy.cut_after_round_trips(1);
//! // ... run the write; then check, through a direct connection, that nothing is half-done.
//! assert!(proxy.has_cut());
//!
//! // Or: let one round trip through, hold the next, act from another connection, release.
//! proxy.hold_after_round_trips(1);
//! // ... start the code under test; then, if proxy.held_within(limit).await, interleave:
//! proxy.release();
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Default)]
struct Plan {
    /// Round trips still allowed; None: the proxy only relays.
    allowed: Option<usize>,
    /// The client has spoken and the server has not answered yet.
    awaiting_reply: bool,
    cut: bool,
    /// Round trips to let through before holding the client's next message; None: no hold.
    hold_after: Option<usize>,
    hold_awaiting_reply: bool,
    /// A message is held back.
    holding: bool,
    /// Connections open when `cut_now` was called; they are dropped at once.
    cut_generation: u64,
    /// Round trips started since the proxy started (see `round_trips`).
    round_trips: usize,
    count_awaiting_reply: bool,
}

#[derive(Default)]
struct Shared {
    plan: Mutex<Plan>,
    /// Signalled when a message is held and when it is released.
    changed: Notify,
}

/// A proxy that relays every connection to `upstream` until told to cut or to hold.
pub struct CutProxy {
    addr: SocketAddr,
    plan: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    /// Listens on a free port of 127.0.0.1 and relays to `upstream` (`host:port`).
    pub async fn start(upstream: &str) -> CutProxy {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("[test infrastructure] bind the fault proxy on 127.0.0.1");
        let addr = listener
            .local_addr()
            .expect("[test infrastructure] the fault proxy's address");
        let plan = Arc::new(Shared::default());
        let upstream = upstream.to_owned();
        let accept = {
            let plan = Arc::clone(&plan);
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (plan, upstream) = (Arc::clone(&plan), upstream.clone());
                    tokio::spawn(async move {
                        if let Ok(server) = TcpStream::connect(&upstream).await {
                            relay(client, server, &plan).await;
                        }
                    });
                }
            })
        };
        CutProxy { addr, plan, accept }
    }

    /// A proxy in front of the server of `url` (`scheme://[user@]host[:port]/…`; without a port,
    /// Postgres's 5432 or Redis's 6379 by the scheme).
    pub async fn in_front_of(url: &str) -> CutProxy {
        CutProxy::start(&address_of(url)).await
    }

    /// Where the code under test connects instead of the server.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `url` (`scheme://[user@]host:port/rest`) with its host and port replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        let (scheme, rest) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("[test infrastructure] not a URL: {url}"));
        let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
        let user = authority.rsplit_once('@').map(|(u, _)| format!("{u}@"));
        format!("{scheme}://{}{}{path}", user.unwrap_or_default(), self.addr)
    }

    /// Lets `n` more round trips through (across all connections), then cuts.
    pub fn cut_after_round_trips(&self, n: usize) {
        let mut plan = lock(&self.plan);
        plan.allowed = Some(n);
        plan.awaiting_reply = false;
        plan.cut = false;
    }

    /// Back to relaying everything.
    pub fn disarm(&self) {
        lock(&self.plan).allowed = None;
    }

    /// Whether a cut happened since the last `cut_after_round_trips`.
    pub fn has_cut(&self) -> bool {
        lock(&self.plan).cut
    }

    /// How many round trips clients have started through the proxy: a count of the requests
    /// the code under test made, whatever the protocol (a statement sent as a prepare and an
    /// execute may take two).
    pub fn round_trips(&self) -> usize {
        lock(&self.plan).round_trips
    }

    /// `round_trips` once it has stopped changing (50 ms without a new one, 2 s at most). A
    /// client can still speak a moment after its call returned (a Postgres connection sends a
    /// last message after its first query): take a count to compare with from this.
    pub async fn settled_round_trips(&self) -> usize {
        let mut last = self.round_trips();
        for _ in 0..40 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = self.round_trips();
            if now == last {
                break;
            }
            last = now;
        }
        last
    }

    /// Drops every connection open now, both sides, as a network failure would; connections
    /// made afterwards are relayed as before (a client that reconnects gets through).
    pub fn cut_now(&self) {
        let mut plan = lock(&self.plan);
        plan.cut_generation += 1;
        plan.cut = true;
        drop(plan);
        self.plan.changed.notify_waiters();
    }

    /// Lets `n` more round trips through (across all connections), then holds the next message a
    /// client sends: it reaches the server only at `release`.
    pub fn hold_after_round_trips(&self, n: usize) {
        let mut plan = lock(&self.plan);
        plan.hold_after = Some(n);
        plan.hold_awaiting_reply = false;
    }

    /// Whether a message is held back within `limit` (false: the code under test sent no more).
    pub async fn held_within(&self, limit: Duration) -> bool {
        let wait = async {
            loop {
                let changed = self.plan.changed.notified();
                if lock(&self.plan).holding {
                    return;
                }
                changed.await;
            }
        };
        tokio::time::timeout(limit, wait).await.is_ok()
    }

    /// Sends on what is held, and holds nothing more.
    pub fn release(&self) {
        let mut plan = lock(&self.plan);
        plan.hold_after = None;
        plan.holding = false;
        drop(plan);
        self.plan.changed.notify_waiters();
    }
}

/// `host:port` of a URL.
fn address_of(url: &str) -> String {
    let (scheme, rest) = url
        .split_once("://")
        .unwrap_or_else(|| panic!("[test infrastructure] not a URL: {url}"));
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        return host.to_owned();
    }
    let port = match scheme {
        "postgres" | "postgresql" => 5432,
        "redis" => 6379,
        other => panic!("[test infrastructure] no default port for {other}:// in {url}"),
    };
    format!("{host}:{port}")
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, Plan> {
    shared.plan.lock().unwrap_or_else(|e| e.into_inner())
}

/// Copies both ways until either side closes, or the plan says cut (then both are dropped). A
/// held message waits here, and so does the rest of its connection.
async fn relay(mut client: TcpStream, mut server: TcpStream, plan: &Shared) {
    let (mut from_client, mut from_server) = ([0u8; 16 * 1024], [0u8; 16 * 1024]);
    let generation = lock(plan).cut_generation;
    loop {
        let changed = plan.changed.notified();
        if lock(plan).cut_generation != generation {
            return;
        }
        tokio::select! {
            () = changed => continue,
            read = client.read(&mut from_client) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                {
                    let mut plan = lock(plan);
                    if let Some(allowed) = plan.allowed
                        && !plan.awaiting_reply
                    {
                        if allowed == 0 {
                            plan.cut = true;
                            plan.allowed = None;
                            return;
                        }
                        plan.allowed = Some(allowed - 1);
                        plan.awaiting_reply = true;
                    }
                }
                {
                    let mut plan = lock(plan);
                    if !plan.count_awaiting_reply {
                        plan.round_trips += 1;
                        plan.count_awaiting_reply = true;
                    }
                }
                if should_hold(plan) {
                    plan.changed.notify_waiters();
                    loop {
                        let changed = plan.changed.notified();
                        if !lock(plan).holding {
                            break;
                        }
                        changed.await;
                    }
                }
                if server.write_all(&from_client[..n]).await.is_err() {
                    return;
                }
            }
            read = server.read(&mut from_server) => {
                let n = match read { Ok(0) | Err(_) => return, Ok(n) => n };
                {
                    let mut plan = lock(plan);
                    plan.awaiting_reply = false;
                    plan.hold_awaiting_reply = false;
                    plan.count_awaiting_reply = false;
                }
                if client.write_all(&from_server[..n]).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Counts a client message against the hold plan; true when this one is to be held.
fn should_hold(shared: &Shared) -> bool {
    let mut plan = lock(shared);
    match plan.hold_after {
        Some(_) if plan.hold_awaiting_reply => false,
        Some(0) => {
            plan.hold_after = None;
            plan.holding = true;
            true
        }
        Some(before) => {
            plan.hold_after = Some(before - 1);
            plan.hold_awaiting_reply = true;
            false
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo server: every write is answered.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(s: &mut TcpStream, msg: &[u8]) -> std::io::Result<Vec<u8>> {
        s.write_all(msg).await?;
        let mut buf = vec![0u8; msg.len()];
        s.read_exact(&mut buf).await?;
        Ok(buf)
    }

    #[tokio::test]
    async fn cuts_at_the_start_of_the_round_trip_after_the_allowed_ones() {
        let proxy = CutProxy::start(&echo().await.to_string()).await;
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"warm").await.unwrap(), b"warm");
        proxy.cut_after_round_trips(2);
        assert_eq!(round_trip(&mut s, b"one").await.unwrap(), b"one");
        assert_eq!(round_trip(&mut s, b"two").await.unwrap(), b"two");
        assert!(!proxy.has_cut());
        assert!(
            round_trip(&mut s, b"three").await.is_err(),
            "the third is cut"
        );
        assert!(proxy.has_cut());
        assert_eq!(
            proxy.round_trips(),
            3,
            "warm, one, two (three was cut before it went)"
        );
    }

    #[tokio::test]
    async fn settled_round_trips_waits_for_a_late_word() {
        let proxy = CutProxy::start(&echo().await.to_string()).await;
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"query").await.unwrap(), b"query");
        // A client that says one more thing a moment later, as a Postgres connection does.
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            round_trip(&mut s, b"bye").await.unwrap();
            s
        });
        assert_eq!(proxy.settled_round_trips().await, 2);
        drop(late.await.unwrap());
    }

    #[tokio::test]
    async fn holds_the_message_after_the_allowed_round_trips_until_released() {
        let proxy = CutProxy::start(&echo().await.to_string()).await;
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        proxy.hold_after_round_trips(1);
        assert_eq!(round_trip(&mut s, b"one").await.unwrap(), b"one");
        assert!(
            !proxy.held_within(Duration::from_millis(50)).await,
            "nothing sent yet"
        );
        s.write_all(b"two").await.unwrap();
        assert!(
            proxy.held_within(Duration::from_secs(5)).await,
            "the second is held"
        );
        let mut buf = [0u8; 3];
        let early = tokio::time::timeout(Duration::from_millis(100), s.read_exact(&mut buf)).await;
        assert!(early.is_err(), "a held message gets no answer");
        proxy.release();
        s.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"two", "released, it goes through");
        assert_eq!(round_trip(&mut s, b"three").await.unwrap(), b"three");
    }

    #[tokio::test]
    async fn cut_now_drops_open_connections_and_lets_new_ones_through() {
        let proxy = CutProxy::start(&echo().await.to_string()).await;
        let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut s, b"one").await.unwrap(), b"one");
        proxy.cut_now();
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await;
        assert!(
            matches!(read, Ok(Ok(0)) | Ok(Err(_))),
            "the open connection is closed without a message from the client: {read:?}"
        );
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        assert_eq!(round_trip(&mut again, b"two").await.unwrap(), b"two");
    }

    #[test]
    fn url_for_keeps_everything_but_the_address() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let proxy = CutProxy::start("127.0.0.1:1").await;
            let a = proxy.addr();
            assert_eq!(
                proxy.url_for("postgres://u:p@localhost:5432/db?sslmode=disable"),
                format!("postgres://u:p@{a}/db?sslmode=disable")
            );
            assert_eq!(
                proxy.url_for("redis://127.0.0.1:6379/3"),
                format!("redis://{a}/3")
            );
            assert_eq!(address_of("postgres://u:p@db:6000/x"), "db:6000");
            assert_eq!(address_of("redis://cache/2"), "cache:6379");
        });
    }
}
