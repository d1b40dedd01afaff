//! The run's services, reachable from inside a network namespace that has nothing else.
//!
//! The sandbox has its own loopback and no route out. For each service address the run uses
//! (`127.0.0.1:5432`), the grader listens on a Unix socket in a folder bound into the sandbox,
//! and a small relay inside (this binary, `exercise __sandbox-exec`) listens on the same
//! address in the sandbox's loopback and forwards each connection to that socket. The tests see
//! the URLs they always see; a listener on the host that is not one of the run's services is
//! simply not there.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

/// One service address as a run's URLs name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAddr {
    pub host: String,
    pub port: u16,
}

impl ServiceAddr {
    /// The host and port of a service URL (`postgres://u:p@127.0.0.1:5432/db`).
    pub fn of_url(url: &str) -> Option<ServiceAddr> {
        let rest = url.split_once("://")?.1;
        let authority = rest.split(['/', '?', '#']).next()?;
        let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        let (host, port) = hostport.rsplit_once(':')?;
        Some(ServiceAddr {
            host: host.trim_matches(['[', ']']).to_owned(),
            port: port.parse().ok()?,
        })
    }

    /// Only this machine's services can be relayed: the sandbox has no route anywhere else.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    fn connect_target(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// The grader's side: a Unix socket per service address, forwarding to the real server.
/// Dropping it stops accepting; connections already made end with their peers.
pub struct HostRelay {
    stop: Arc<AtomicBool>,
    sockets: Vec<PathBuf>,
}

impl HostRelay {
    /// Listens on `dir/<n>.sock` for each address. Returns the relay and, per address, the
    /// socket's file name.
    pub fn start(dir: &Path, addrs: &[ServiceAddr]) -> std::io::Result<HostRelay> {
        let stop = Arc::new(AtomicBool::new(false));
        let mut sockets = Vec::new();
        for (i, addr) in addrs.iter().enumerate() {
            let path = dir.join(format!("{i}.sock"));
            let listener = UnixListener::bind(&path)?;
            sockets.push(path);
            let (stop, target) = (stop.clone(), addr.connect_target());
            thread::spawn(move || {
                for conn in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(inside) = conn else { continue };
                    let Ok(server) = TcpStream::connect(&target) else {
                        continue; // the test sees its connection closed, as with a dead server
                    };
                    let _ = server.set_nodelay(true);
                    splice(Box::new(inside), server);
                }
            });
        }
        Ok(HostRelay { stop, sockets })
    }
}

impl Drop for HostRelay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for path in &self.sockets {
            // Wakes the accept loop so that it sees the flag.
            let _ = UnixStream::connect(path);
            let _ = std::fs::remove_file(path);
        }
    }
}

trait Duplex: Read + Write + Send {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Duplex>>;
    fn shutdown_write(&self);
}

impl Duplex for UnixStream {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Duplex>> {
        Ok(Box::new(self.try_clone()?))
    }
    fn shutdown_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

impl Duplex for TcpStream {
    fn try_clone_box(&self) -> std::io::Result<Box<dyn Duplex>> {
        Ok(Box::new(self.try_clone()?))
    }
    fn shutdown_write(&self) {
        let _ = self.shutdown(Shutdown::Write);
    }
}

/// Copies both ways until each side has said all it will (a half-close is passed on).
fn splice(a: Box<dyn Duplex>, b: TcpStream) {
    let (Ok(a2), Ok(b2)) = (a.try_clone_box(), b.try_clone()) else {
        return;
    };
    thread::spawn(move || pump(a, Box::new(b2)));
    thread::spawn(move || pump(Box::new(b), a2));
}

fn pump(mut from: Box<dyn Duplex>, mut to: Box<dyn Duplex>) {
    let _ = std::io::copy(&mut from, &mut to);
    to.shutdown_write();
}

/// Inside the sandbox (`exercise __sandbox-exec`): listen on each `host:port=socket`, forward
/// to the socket, run the command, and exit as it did.
pub fn exec_inside(relays: &[String], command: &[std::ffi::OsString]) -> anyhow::Result<i32> {
    use anyhow::Context;
    for spec in relays {
        let (addr, socket) = spec
            .split_once('=')
            .with_context(|| format!("a relay is host:port=socket, not `{spec}`"))?;
        let listener =
            TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?;
        let socket = PathBuf::from(socket);
        thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(tcp) = conn else { continue };
                let _ = tcp.set_nodelay(true);
                let Ok(unix) = UnixStream::connect(&socket) else {
                    continue;
                };
                splice(Box::new(unix), tcp);
            }
        });
    }
    let (program, args) = command
        .split_first()
        .context("__sandbox-exec needs a command after --")?;
    let status = Command::new(program)
        .args(args)
        .status()
        .with_context(|| format!("cannot run {}", Path::new(program).display()))?;
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_url_gives_its_address() {
        let of = |u| ServiceAddr::of_url(u).map(|a| (a.host, a.port));
        assert_eq!(
            of("postgres://postgres:pw@127.0.0.1:5432/run_1?sslmode=disable"),
            Some(("127.0.0.1".into(), 5432))
        );
        assert_eq!(
            of("redis://localhost:6379/3"),
            Some(("localhost".into(), 6379))
        );
        assert_eq!(of("nats://[::1]:4222"), Some(("::1".into(), 4222)));
        assert_eq!(of("not a url"), None);
        assert!(
            ServiceAddr::of_url("redis://[::1]:1")
                .unwrap()
                .is_loopback()
        );
        assert!(
            !ServiceAddr::of_url("postgres://db.example:5432/x")
                .unwrap()
                .is_loopback()
        );
    }

    #[test]
    fn the_host_relay_forwards_a_socket_to_the_server() {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        thread::spawn(move || {
            let (mut s, _) = server.accept().unwrap();
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).unwrap();
            s.write_all(&buf.map(|b| b.to_ascii_uppercase())).unwrap();
        });
        let dir = tempfile::tempdir().unwrap();
        let addr = ServiceAddr {
            host: "127.0.0.1".into(),
            port,
        };
        let relay = HostRelay::start(dir.path(), &[addr]).unwrap();
        let mut c = UnixStream::connect(dir.path().join("0.sock")).unwrap();
        c.write_all(b"ping").unwrap();
        let mut back = [0u8; 4];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"PING");
        drop(relay);
        assert!(!dir.path().join("0.sock").exists());
    }
}
