//! The local provider: each service's server binary from this machine (`postgres`,
//! `redis-server`, `nats-server`: see `kinds`), in a private folder on a free loopback port,
//! stopped when the CLI exits; run folders of a killed CLI are reaped at the next start.
//!
//! Everything lives under the system temp folder, which every user can traverse: when the CLI
//! runs as root, Postgres (which refuses to run as root) runs as the `postgres` user and must be
//! able to reach its data folder.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Endpoint, Provider, ServicesError, Source, create_shared_dir, free_port, kinds};
use crate::cleanup;
use crate::course::Service;
use crate::sys::{self, cmdline, process_alive};

const RUN_PREFIX: &str = "run-";
const PIDS_FILE: &str = "pids";

pub fn base_dir() -> PathBuf {
    std::env::temp_dir().join("backlings-local")
}

pub fn binaries_available(service: Service) -> bool {
    kinds::of(service).local_binary().is_some()
}

/// Stops the servers of run folders whose CLI is gone, and removes the folders.
pub fn reap_orphans() -> usize {
    let Ok(entries) = std::fs::read_dir(base_dir()) else {
        return 0;
    };
    let mut reaped = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(owner) = name
            .strip_prefix(RUN_PREFIX)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if process_alive(owner) || entry.path().join(".keep").exists() {
            continue;
        }
        stop_recorded(&entry.path());
        let _ = std::fs::remove_dir_all(entry.path());
        reaped += 1;
    }
    reaped
}

/// Kills the servers recorded in `dir/pids`, checking that each pid is still one of ours.
pub fn stop_recorded(dir: &Path) {
    let pids = std::fs::read_to_string(dir.join(PIDS_FILE)).unwrap_or_default();
    for pid in pids.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
        let cmd = cmdline(pid);
        if kinds::all().any(|k| cmd.contains(k.process_name())) {
            stop_pid(pid);
        }
    }
}

fn stop_pid(pid: i32) {
    sys::interrupt(pid);
    let deadline = Instant::now() + Duration::from_secs(5);
    while process_alive(pid) && !cmdline(pid).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if process_alive(pid) && !cmdline(pid).is_empty() {
        sys::kill(pid);
    }
}

pub struct LocalProvider {
    run_dir: PathBuf,
    keep: bool,
    running: BTreeMap<Service, (Child, Endpoint)>,
}

impl LocalProvider {
    pub fn new() -> Result<LocalProvider, ServicesError> {
        Self::with_keep(false)
    }

    pub fn with_keep(keep: bool) -> Result<LocalProvider, ServicesError> {
        reap_orphans();
        let base = base_dir();
        create_shared_dir(&base)?;
        let run_dir = base.join(format!("{RUN_PREFIX}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&run_dir);
        create_shared_dir(&run_dir)?;
        if keep {
            let _ = std::fs::write(run_dir.join(".keep"), b"");
        } else {
            cleanup::track_dir(run_dir.clone());
        }
        Ok(LocalProvider {
            run_dir,
            keep,
            running: BTreeMap::new(),
        })
    }

    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    pub fn pid(&self, service: Service) -> Option<u32> {
        self.running.get(&service).map(|(c, _)| c.id())
    }

    fn record_pid(&self, pid: u32) {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.run_dir.join(PIDS_FILE))
        {
            let _ = writeln!(f, "{pid}");
        }
    }

    fn spawn(&self, mut cmd: Command, log: &str) -> Result<Child, ServicesError> {
        let log_file = std::fs::File::create(self.run_dir.join(log)).map_err(|e| {
            ServicesError::Unavailable(format!("cannot write {}: {e}", self.run_dir.display()))
        })?;
        let log_err = log_file
            .try_clone()
            .map_err(|e| ServicesError::Unavailable(e.to_string()))?;
        cmd.stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err)
            // Its own group: Ctrl-C at the terminal must not kill it before we drop the
            // run's databases; we stop it ourselves.
            .process_group(0);
        let child = cmd.spawn().map_err(|e| {
            ServicesError::Unavailable(format!("cannot start {:?}: {e}", cmd.get_program()))
        })?;
        self.record_pid(child.id());
        if !self.keep {
            cleanup::track_process_group(child.id() as i32);
        }
        Ok(child)
    }
}

impl Provider for LocalProvider {
    fn start(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        if let Some((_, e)) = self.running.get(&service) {
            return Ok(e.clone());
        }
        let kind = kinds::of(service);
        let bin = kind.local_binary().ok_or_else(|| {
            ServicesError::Unavailable(format!(
                "no local {}: install it (`apt install {}`, or set {}) or use another provider",
                kind.title(),
                kind.package(),
                kind.binary_var()
            ))
        })?;
        let port = free_port()?;
        let cmd = kind.local_command(&bin, &self.run_dir, port)?;
        let log = format!("{}.log", service.as_str());
        let mut child = self.spawn(cmd, &log)?;
        let endpoint = Endpoint {
            url: kind.admin_url(port),
            source: Source::Local,
        };
        if let Err(e) = kind.wait_ready(&endpoint.url, kind.start_timeout()) {
            let _ = child.kill();
            let _ = child.wait();
            let tail = std::fs::read_to_string(self.run_dir.join(&log)).unwrap_or_default();
            let tail: Vec<&str> = tail.lines().rev().take(5).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(ServicesError::Unreachable(format!(
                "{e}\n{}",
                tail.join("\n")
            )));
        }
        self.running.insert(service, (child, endpoint.clone()));
        Ok(endpoint)
    }

    fn stop(&mut self) {
        if self.keep {
            self.running.clear();
            return;
        }
        for (_, (mut child, _)) in std::mem::take(&mut self.running) {
            stop_pid(child.id() as i32);
            let _ = child.wait();
            cleanup::untrack_process_group(child.id() as i32);
        }
        let _ = std::fs::remove_dir_all(&self.run_dir);
        cleanup::untrack_dir(&self.run_dir);
    }
}

impl Drop for LocalProvider {
    fn drop(&mut self) {
        self.stop();
    }
}
