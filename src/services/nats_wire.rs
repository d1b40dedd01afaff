//! Just enough of the NATS client protocol for the runner's own checks: connect, wait until the
//! server answers with JetStream on, and the JetStream API's request-replies that list and delete a
//! run's streams. The exercises use async-nats; the runner needs three requests, and the protocol is
//! lines of text (https://docs.nats.io/reference/reference-protocols/nats-protocol), so a
//! blocking client of ~150 lines costs less than a TLS stack and an async client in every build
//! of the runner (the same trade as `resp` for Redis).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// What the server says about itself when a client connects.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ServerInfo {
    pub version: String,
    #[serde(default)]
    pub jetstream: bool,
}

/// `nats://[user:pass@|token@]host[:port]`: the parts the protocol needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub user: Option<String>,
    pub pass: Option<String>,
}

pub fn parse_url(url: &str) -> Result<Target, String> {
    // A list of servers (`nats://a:4222,nats://b:4222`): the first is enough for admin requests.
    let first = url.split(',').next().unwrap_or(url).trim();
    let rest = first
        .strip_prefix("nats://")
        .or_else(|| first.strip_prefix("tcp://"))
        .ok_or_else(|| format!("`{first}` is not a nats:// URL"))?;
    let rest = rest.split('/').next().unwrap_or(rest);
    let (auth, host_port) = match rest.rsplit_once('@') {
        Some((auth, hp)) => (Some(auth), hp),
        None => (None, rest),
    };
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("`{p}` is not a port in `{first}`"))?,
        ),
        _ => (host_port, 4222),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("`{first}` names no host"));
    }
    let (user, pass) = match auth {
        Some(a) => match a.split_once(':') {
            Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
            // A lone credential is a token, sent as `auth_token`.
            None => (Some(a.to_owned()), None),
        },
        None => (None, None),
    };
    Ok(Target {
        host: host.to_owned(),
        port,
        user,
        pass,
    })
}

pub struct Connection {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    pub info: ServerInfo,
    next_sid: u64,
}

impl Connection {
    /// Connects, reads the server's INFO and proves the connection with a PING.
    pub fn open(url: &str, timeout: Duration) -> Result<Connection, String> {
        let target = parse_url(url)?;
        let addr = (target.host.as_str(), target.port)
            .to_socket_addrs()
            .map_err(|e| e.to_string())?
            .next()
            .ok_or_else(|| format!("{} resolves to no address", target.host))?;
        let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| e.to_string())?;
        let writer = stream.try_clone().map_err(|e| e.to_string())?;
        let mut reader = BufReader::new(stream);
        let line = read_line(&mut reader)?;
        let json = line
            .strip_prefix("INFO ")
            .ok_or_else(|| format!("not a NATS server (it said `{}`)", line.trim()))?;
        let info: ServerInfo =
            serde_json::from_str(json).map_err(|e| format!("unreadable INFO: {e}"))?;
        let mut connect = serde_json::json!({
            "verbose": false, "pedantic": false, "protocol": 1, "headers": false,
            "name": "backlings-runner", "lang": "rust",
        });
        match (&target.user, &target.pass) {
            (Some(u), Some(p)) => {
                connect["user"] = u.clone().into();
                connect["pass"] = p.clone().into();
            }
            (Some(token), None) => connect["auth_token"] = token.clone().into(),
            _ => {}
        }
        let mut conn = Connection {
            reader,
            writer,
            info,
            next_sid: 1,
        };
        conn.send(format!("CONNECT {connect}\r\nPING\r\n").as_bytes())?;
        loop {
            let line = read_line(&mut conn.reader)?;
            match line.trim_end() {
                "PONG" => return Ok(conn),
                "PING" => conn.send(b"PONG\r\n")?,
                other if other.starts_with("-ERR") => return Err(other.to_owned()),
                _ => {}
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.writer.write_all(bytes).map_err(|e| e.to_string())
    }

    /// A request-reply: publishes `payload` on `subject` and waits for the one answer.
    pub fn request(&mut self, subject: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        // Replies go to the inbox, and every client subscribed to it gets them: it must be
        // unique across connections (two at once in this process, other processes too).
        static INBOXES: AtomicU64 = AtomicU64::new(0);
        let sid = self.next_sid;
        self.next_sid += 1;
        let inbox = format!(
            "_INBOX.backlings.{}.{}",
            std::process::id(),
            INBOXES.fetch_add(1, Ordering::Relaxed)
        );
        let mut out = format!(
            "SUB {inbox} {sid}\r\nUNSUB {sid} 1\r\nPUB {subject} {inbox} {}\r\n",
            payload.len()
        )
        .into_bytes();
        out.extend_from_slice(payload);
        out.extend_from_slice(b"\r\n");
        self.send(&out)?;
        loop {
            let line = read_line(&mut self.reader)?;
            let line = line.trim_end();
            if line == "PING" {
                self.send(b"PONG\r\n")?;
                continue;
            }
            if line.starts_with("-ERR") {
                return Err(line.to_owned());
            }
            // MSG <subject> <sid> [reply-to] <#bytes>
            let Some(args) = line.strip_prefix("MSG ") else {
                continue;
            };
            let parts: Vec<&str> = args.split_whitespace().collect();
            let len = parts
                .last()
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| format!("malformed MSG line `{line}`"))?;
            let mut body = vec![0; len + 2];
            self.reader
                .read_exact(&mut body)
                .map_err(|e| e.to_string())?;
            body.truncate(len);
            if parts.get(1) == Some(&sid.to_string().as_str()) {
                return Ok(body);
            }
        }
    }

    /// A JetStream API request whose answer is JSON; the API's own errors become `Err`.
    pub fn js_request(
        &mut self,
        subject: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let answer = self.request(subject, body.to_string().as_bytes())?;
        let value: serde_json::Value = serde_json::from_slice(&answer)
            .map_err(|e| format!("unreadable answer to {subject}: {e}"))?;
        if let Some(err) = value.get("error") {
            return Err(format!(
                "{subject}: {}",
                err.get("description")
                    .and_then(|d| d.as_str())
                    .unwrap_or("error")
            ));
        }
        Ok(value)
    }

    /// Every stream's name, page by page.
    pub fn stream_names(&mut self) -> Result<Vec<String>, String> {
        let mut names = Vec::new();
        loop {
            let page = self.js_request(
                "$JS.API.STREAM.NAMES",
                &serde_json::json!({ "offset": names.len() }),
            )?;
            let batch: Vec<String> = page
                .get("streams")
                .and_then(|s| s.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let total = page.get("total").and_then(|t| t.as_u64()).unwrap_or(0) as usize;
            let done = batch.is_empty();
            names.extend(batch);
            if done || names.len() >= total {
                return Ok(names);
            }
        }
    }

    pub fn delete_stream(&mut self, name: &str) -> Result<(), String> {
        self.js_request(
            &format!("$JS.API.STREAM.DELETE.{name}"),
            &serde_json::json!({}),
        )
        .map(|_| ())
    }
}

fn read_line(reader: &mut BufReader<TcpStream>) -> Result<String, String> {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => Err("the server closed the connection".into()),
        Ok(_) => Ok(line),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn urls_say_host_port_and_credentials() {
        let t = parse_url("nats://127.0.0.1:4333").unwrap();
        assert_eq!((t.host.as_str(), t.port, t.user), ("127.0.0.1", 4333, None));
        let t = parse_url("nats://app:s3cret@broker").unwrap();
        assert_eq!(
            (
                t.host.as_str(),
                t.port,
                t.user.as_deref(),
                t.pass.as_deref()
            ),
            ("broker", 4222, Some("app"), Some("s3cret"))
        );
        let t = parse_url("nats://tok@[::1]:4222,nats://other:4222").unwrap();
        assert_eq!(
            (t.host.as_str(), t.user.as_deref(), t.pass),
            ("::1", Some("tok"), None)
        );
        assert!(
            parse_url("redis://h:1")
                .unwrap_err()
                .contains("not a nats:// URL")
        );
        assert!(parse_url("nats://h:x").unwrap_err().contains("not a port"));
    }
}
