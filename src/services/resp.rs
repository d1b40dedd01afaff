//! The runner's two Redis commands (PING to see a server answer, FLUSHDB to empty a run's
//! database), spoken in RESP over a plain TCP connection. The exercises use the `redis` crate;
//! the runner needs no client library for two fixed commands, and not building one takes about
//! ten seconds off its first build.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What a `redis://[user[:password]@]host[:port][/db]` URL says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisUrl {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub password: Option<String>,
    pub db: u8,
}

impl RedisUrl {
    pub fn parse(url: &str) -> Result<RedisUrl, String> {
        let rest = url
            .strip_prefix("redis://")
            .ok_or_else(|| format!("`{url}` is not a redis:// URL"))?;
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((c, h)) => (Some(c), h),
            None => (None, authority),
        };
        let (user, password) = match credentials.map(|c| c.split_once(':').unwrap_or((c, ""))) {
            Some((u, p)) => (
                (!u.is_empty()).then(|| u.to_owned()),
                (!p.is_empty()).then(|| p.to_owned()),
            ),
            None => (None, None),
        };
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse()
                    .map_err(|_| format!("`{p}` in `{url}` is not a port"))?,
            ),
            _ => (host_port, 6379),
        };
        let db = match path.split(['?', '#']).next().unwrap_or("") {
            "" => 0,
            n => n
                .parse()
                .map_err(|_| format!("`{n}` in `{url}` is not a database number"))?,
        };
        if host.is_empty() {
            return Err(format!("`{url}` names no host"));
        }
        Ok(RedisUrl {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port,
            user,
            password,
            db,
        })
    }
}

/// One connection to a Redis server, authenticated and on the URL's database.
pub struct Connection {
    reader: BufReader<TcpStream>,
}

impl Connection {
    pub fn open(url: &str, timeout: Duration) -> Result<Connection, String> {
        let target = RedisUrl::parse(url)?;
        let addr = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or_else(|| format!("{} does not resolve", target.host))?;
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| e.to_string())?;
        let mut conn = Connection {
            reader: BufReader::new(stream),
        };
        match (&target.user, &target.password) {
            (Some(user), Some(password)) => conn.command(&["AUTH", user, password])?,
            (None, Some(password)) => conn.command(&["AUTH", password])?,
            _ => String::new(),
        };
        if target.db != 0 {
            conn.command(&["SELECT", &target.db.to_string()])?;
        }
        Ok(conn)
    }

    /// Sends a command and returns its simple-string reply (`PONG`, `OK`) or bulk-string reply
    /// (`INFO`); an error reply is an error.
    pub fn command(&mut self, args: &[&str]) -> Result<String, String> {
        let mut request = format!("*{}\r\n", args.len());
        for arg in args {
            request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.reader
            .get_mut()
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.reader
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let line = line.trim_end();
        match line.split_at_checked(1) {
            Some(("+", reply)) => Ok(reply.to_owned()),
            Some(("-", error)) => Err(error.to_owned()),
            Some(("$", len)) => {
                let len: usize = len
                    .parse()
                    .map_err(|_| format!("unexpected reply `{line}`"))?;
                let mut body = vec![0u8; len + 2];
                self.reader
                    .read_exact(&mut body)
                    .map_err(|e| e.to_string())?;
                body.truncate(len);
                String::from_utf8(body).map_err(|_| "a reply that is not UTF-8".to_owned())
            }
            _ if line.is_empty() => Err("the server closed the connection".to_owned()),
            _ => Err(format!("unexpected reply `{line}`")),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_say_host_port_credentials_and_database() {
        let u = RedisUrl::parse("redis://127.0.0.1:6380/3").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.db), ("127.0.0.1", 6380, 3));
        assert_eq!((u.user, u.password), (None, None));
        let u = RedisUrl::parse("redis://:secret@cache").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.db), ("cache", 6379, 0));
        assert_eq!(u.password.as_deref(), Some("secret"));
        let u = RedisUrl::parse("redis://ada:pw@[::1]:7000/0").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 7000));
        assert_eq!(u.user.as_deref(), Some("ada"));
        for bad in ["http://h", "redis://h:port", "redis://h/x", "redis://"] {
            assert!(RedisUrl::parse(bad).is_err(), "{bad}");
        }
    }

    /// A one-connection fake server: for each (request, reply), checks the exact bytes of the
    /// request, then answers.
    fn fake(script: &'static [(&'static str, &'static str)]) -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            for (request, reply) in script {
                let mut got = vec![0; request.len()];
                std::io::Read::read_exact(&mut s, &mut got).unwrap();
                assert_eq!(String::from_utf8(got).unwrap(), *request);
                s.write_all(reply.as_bytes()).unwrap();
            }
        });
        format!("{port}")
    }

    #[test]
    fn it_authenticates_selects_and_reports_errors() {
        let port = fake(&[
            ("*2\r\n$4\r\nAUTH\r\n$2\r\npw\r\n", "+OK\r\n"),
            ("*2\r\n$6\r\nSELECT\r\n$1\r\n5\r\n", "+OK\r\n"),
            ("*1\r\n$7\r\nFLUSHDB\r\n", "-ERR nope\r\n"),
        ]);
        let mut c = Connection::open(
            &format!("redis://:pw@127.0.0.1:{port}/5"),
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(c.command(&["FLUSHDB"]).unwrap_err(), "ERR nope");
    }
}
