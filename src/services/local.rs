//! The local provider: `postgres` and `redis-server` from this machine, each in a private
//! folder on a free loopback port, stopped when the CLI exits.
//!
//! An initdb'd template cluster is kept (per Postgres version) so that a start is a copy plus a
//! server start, not a full initdb. Everything lives under the system temp folder, which every
//! user can traverse: when the CLI runs as root, Postgres (which refuses to run as root) runs as
//! the `postgres` user and must be able to reach its data folder.

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Endpoint, Provider, ServicesError, Source, clients, free_port};
use crate::cleanup;
use crate::course::Service;
use crate::sys::{self, cmdline, process_alive};

const RUN_PREFIX: &str = "run-";
const PIDS_FILE: &str = "pids";

pub fn base_dir() -> PathBuf {
    std::env::temp_dir().join("backlings-local")
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Where to look instead of searching (a Postgres or Redis installed somewhere unusual).
pub const POSTGRES_BIN_VAR: &str = "BACKLINGS_POSTGRES_BIN";
pub const REDIS_SERVER_VAR: &str = "BACKLINGS_REDIS_SERVER";

/// The folder with `postgres` and `initdb`: BACKLINGS_POSTGRES_BIN if set, else PATH, else the
/// newest /usr/lib/postgresql/*/bin.
pub fn postgres_bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(POSTGRES_BIN_VAR) {
        let dir = PathBuf::from(dir);
        return (dir.join("postgres").is_file() && dir.join("initdb").is_file()).then_some(dir);
    }
    if let (Some(pg), Some(_)) = (which("postgres"), which("initdb")) {
        return pg.parent().map(Path::to_path_buf);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("postgres").is_file() && bin.join("initdb").is_file()).then_some((v, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

/// `redis-server`: BACKLINGS_REDIS_SERVER if set, else PATH.
pub fn redis_server() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os(REDIS_SERVER_VAR) {
        let bin = PathBuf::from(bin);
        return bin.is_file().then_some(bin);
    }
    which("redis-server")
}

pub fn binaries_available(service: Service) -> bool {
    match service {
        Service::Postgres => postgres_bin_dir().is_some(),
        Service::Redis => redis_server().is_some(),
    }
}

/// `postgres --version` / `redis-server --version`, first line.
pub fn version_of(bin: &Path) -> Option<String> {
    let out = Command::new(bin).arg("--version").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .map(str::to_owned)
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
        if cmd.contains("postgres") || cmd.contains("redis-server") {
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

    fn start_postgres(&mut self) -> Result<(Child, Endpoint), ServicesError> {
        let bin = postgres_bin_dir().ok_or_else(|| {
            ServicesError::Unavailable(
                "no local Postgres: install it (`apt install postgresql`) or use another provider"
                    .into(),
            )
        })?;
        let as_user = if sys::is_root() {
            Some(sys::user_ids("postgres").ok_or_else(|| {
                ServicesError::Unavailable(
                    "Postgres refuses to run as root and there is no `postgres` user to run it as: \
                     create one (`useradd -r postgres`) or use --services container"
                        .into(),
                )
            })?)
        } else {
            None
        };
        let template = ensure_template(&bin, as_user)?;
        let data = self.run_dir.join("pg-data");
        let copied = Command::new("cp")
            .arg("-a")
            .arg(&template)
            .arg(&data)
            .status()
            .map_err(|e| {
                ServicesError::Unavailable(format!("cannot copy the Postgres template: {e}"))
            })?;
        if !copied.success() {
            return Err(ServicesError::Unavailable(format!(
                "cannot copy {} to {}",
                template.display(),
                data.display()
            )));
        }
        let port = free_port()?;
        let mut cmd = Command::new(bin.join("postgres"));
        cmd.arg("-D")
            .arg(&data)
            .args(["-p", &port.to_string()])
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "unix_socket_directories=",
            ])
            // Throwaway data: durability only costs time here.
            .args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ])
            .args(["-c", "max_connections=200"]);
        if let Some((uid, gid)) = as_user {
            cmd.uid(uid).gid(gid);
        }
        let child = self.spawn(cmd, "postgres.log")?;
        let endpoint = Endpoint {
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            source: Source::Local,
        };
        Ok((child, endpoint))
    }

    fn start_redis(&mut self) -> Result<(Child, Endpoint), ServicesError> {
        let bin = redis_server().ok_or_else(|| {
            ServicesError::Unavailable("no local redis-server: install it (`apt install redis-server`) or use another provider".into())
        })?;
        let port = free_port()?;
        let mut cmd = Command::new(bin);
        cmd.args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "no",
        ])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .arg("--dir")
        .arg(&self.run_dir);
        let child = self.spawn(cmd, "redis.log")?;
        Ok((
            child,
            Endpoint {
                url: format!("redis://127.0.0.1:{port}"),
                source: Source::Local,
            },
        ))
    }
}

fn create_shared_dir(dir: &Path) -> Result<(), ServicesError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir)
        .map_err(|e| ServicesError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
    // Traversable by the `postgres` user when we run as root.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    Ok(())
}

/// An initdb'd cluster per Postgres version, made once and copied for every start.
fn ensure_template(bin: &Path, as_user: Option<(u32, u32)>) -> Result<PathBuf, ServicesError> {
    // `postgres (PostgreSQL) 15.18 (Debian …)` → `15.18`
    let version = version_of(&bin.join("postgres")).unwrap_or_default();
    let tag = version
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or("unknown")
        .to_owned();
    let template = base_dir().join(format!("pg-template-{tag}"));
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    let staging = base_dir().join(format!("pg-template-{tag}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    create_shared_dir(&staging)?;
    if let Some((uid, gid)) = as_user {
        std::os::unix::fs::chown(&staging, Some(uid), Some(gid)).map_err(|e| {
            ServicesError::Unavailable(format!(
                "cannot hand {} to postgres: {e}",
                staging.display()
            ))
        })?;
    }
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D").arg(&staging).args([
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    ]);
    if let Some((uid, gid)) = as_user {
        cmd.uid(uid).gid(gid);
    }
    let out = cmd
        .output()
        .map_err(|e| ServicesError::Unavailable(format!("cannot run initdb: {e}")))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(ServicesError::Unavailable(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    // Publish atomically; a concurrent CLI may have won the race, which is fine.
    if std::fs::rename(&staging, &template).is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(template)
}

impl Provider for LocalProvider {
    fn start(&mut self, service: Service) -> Result<Endpoint, ServicesError> {
        if let Some((_, e)) = self.running.get(&service) {
            return Ok(e.clone());
        }
        let (mut child, endpoint) = match service {
            Service::Postgres => self.start_postgres()?,
            Service::Redis => self.start_redis()?,
        };
        let ready = match service {
            Service::Postgres => clients::wait_for_postgres(&endpoint.url, Duration::from_secs(30)),
            Service::Redis => clients::wait_for_redis(&endpoint.url, Duration::from_secs(15)),
        };
        if let Err(e) = ready {
            let _ = child.kill();
            let _ = child.wait();
            let log = match service {
                Service::Postgres => "postgres.log",
                Service::Redis => "redis.log",
            };
            let tail = std::fs::read_to_string(self.run_dir.join(log)).unwrap_or_default();
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
