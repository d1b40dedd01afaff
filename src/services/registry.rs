//! Servers left running by `exercise services up`, recorded in `.backlings/services.json` so that
//! later runs (and `services status` / `down`) find them.

use std::collections::BTreeMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Endpoint, ServicesError, Source};
use crate::course::{STATE_DIR, Service};

const FILE: &str = "services.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub url: String,
    pub provider: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<PathBuf>,
}

pub type Entries = BTreeMap<Service, Entry>;

fn path(course_root: &Path) -> PathBuf {
    course_root.join(STATE_DIR).join(FILE)
}

/// What `services up` recorded; nothing when it never ran. A file that cannot be read is an
/// error that says how to get rid of it, never an empty record (its servers would be orphaned).
pub fn load(course_root: &Path) -> Result<Entries, ServicesError> {
    let path = path(course_root);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Entries::new()),
        Err(e) => {
            return Err(ServicesError::Unavailable(format!(
                "cannot read {}: {e}",
                path.display()
            )));
        }
    };
    serde_json::from_str(&text).map_err(|e| {
        ServicesError::Unavailable(format!(
            "{} is not a record of `exercise services up` ({e}); stop those servers by hand and remove the file",
            path.display()
        ))
    })
}

pub fn save(course_root: &Path, entries: &Entries) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(entries).map_err(std::io::Error::other)?;
    crate::fs::write_atomically(&path(course_root), json.as_bytes())
}

pub fn remove(course_root: &Path) {
    let _ = std::fs::remove_file(path(course_root));
}

/// Whether something accepts TCP connections at the URL's host and port.
pub fn port_open(url: &str) -> bool {
    let Some(rest) = url.split_once("://").map(|(_, r)| r) else {
        return false;
    };
    let host_port = rest.split('/').next().unwrap_or(rest);
    let host_port = host_port.rsplit('@').next().unwrap_or(host_port);
    host_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok())
}

/// The endpoint `services up` left for `service`, if it still answers.
pub fn running(course_root: &Path, service: Service) -> Result<Option<Endpoint>, ServicesError> {
    let Some(entry) = load(course_root)?.remove(&service) else {
        return Ok(None);
    };
    Ok(port_open(&entry.url).then_some(Endpoint {
        url: entry.url,
        source: Source::ServicesUp,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_missing_record_is_empty_and_a_corrupt_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path()).unwrap().is_empty());
        let entries = Entries::from([(
            Service::Redis,
            Entry {
                url: "redis://127.0.0.1:1".into(),
                provider: Source::Local,
                container: None,
                pid: Some(7),
                dir: None,
            },
        )]);
        save(dir.path(), &entries).unwrap();
        assert_eq!(load(dir.path()).unwrap(), entries);
        assert!(
            running(dir.path(), Service::Redis).unwrap().is_none(),
            "port 1 does not answer"
        );
        std::fs::write(path(dir.path()), "{oops").unwrap();
        let err = load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("is not a record of `exercise services up`"),
            "{err}"
        );
    }
}
