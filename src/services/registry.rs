//! Servers left running by `exercise services up`, recorded in `.backlings/services.json` so that
//! later runs (and `services status` / `down`) find them.

use std::collections::BTreeMap;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Endpoint;
use crate::course::STATE_DIR;
use crate::manifest::Service;

const FILE: &str = "services.json";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    pub url: String,
    pub provider: String,
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

pub fn load(course_root: &Path) -> Entries {
    std::fs::read_to_string(path(course_root))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn save(course_root: &Path, entries: &Entries) -> std::io::Result<()> {
    let json = serde_json::to_string_pretty(entries).map_err(std::io::Error::other)?;
    crate::state::write_atomically(&path(course_root), json.as_bytes())
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
pub fn running(course_root: &Path, service: Service) -> Option<Endpoint> {
    let entry = load(course_root).remove(&service)?;
    port_open(&entry.url).then_some(Endpoint {
        url: entry.url,
        provider: "services up",
    })
}
