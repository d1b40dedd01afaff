//! Postgres: a run's namespace is a database of its own, created from an empty template and
//! dropped (with the per-test databases the support crate names after it) when the run ends.
//!
//! The local provider keeps an initdb'd cluster per Postgres version beside its run folders, so
//! a start is a copy plus a server start, not a full initdb. When the CLI runs as root,
//! Postgres (which refuses to run as root) runs as the `postgres` user.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::{RunSpace, ServiceKind, redact, which};
use crate::course::Service;
use crate::services::ServicesError;
use crate::sys;

/// The empty database every run database is created from.
pub const TEMPLATE_DB: &str = "backlings_template";

pub struct Postgres;

impl ServiceKind for Postgres {
    fn service(&self) -> Service {
        Service::Postgres
    }
    fn title(&self) -> &'static str {
        "Postgres"
    }
    fn example_url(&self) -> &'static str {
        "postgres://user:password@127.0.0.1:5432/postgres"
    }
    fn image_var(&self) -> &'static str {
        "BACKLINGS_POSTGRES_IMAGE"
    }
    fn default_image(&self) -> &'static str {
        "postgres:16-alpine"
    }
    fn container_port(&self) -> u16 {
        5432
    }
    fn container_env(&self) -> Vec<String> {
        // The official image refuses to start without a password or this.
        vec!["POSTGRES_HOST_AUTH_METHOD=trust".to_owned()]
    }
    fn admin_url(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres")
    }
    fn binary_var(&self) -> &'static str {
        "BACKLINGS_POSTGRES_BIN"
    }
    fn package(&self) -> &'static str {
        "postgresql"
    }
    /// `postgres` in the folder named by BACKLINGS_POSTGRES_BIN, else on PATH, else in the
    /// newest /usr/lib/postgresql/*/bin (Debian's layout); `initdb` must be beside it.
    fn local_binary(&self) -> Option<PathBuf> {
        bin_dir().map(|d| d.join("postgres"))
    }
    fn local_command(
        &self,
        bin: &Path,
        run_dir: &Path,
        port: u16,
    ) -> Result<Command, ServicesError> {
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
        let bin_dir = bin.parent().unwrap_or(Path::new("/"));
        let templates = run_dir.parent().unwrap_or(run_dir);
        let template = ensure_template(bin_dir, templates, as_user)?;
        let data = run_dir.join("pg-data");
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
        let mut cmd = Command::new(bin);
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
        Ok(cmd)
    }
    fn process_name(&self) -> &'static str {
        "postgres"
    }

    /// A real connection and a query, not just an open port: Postgres accepts TCP connections
    /// before it accepts queries.
    fn wait_ready(&self, url: &str, timeout: Duration) -> Result<(), ServicesError> {
        let deadline = Instant::now() + timeout;
        loop {
            match connect(url).and_then(|mut c| c.simple_query("SELECT 1").map(|_| ())) {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() >= deadline => {
                    return Err(ServicesError::Unreachable(format!(
                        "Postgres at {} did not answer within {timeout:?}: {e}",
                        redact(url)
                    )));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
    fn start_timeout(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn lease(&self, admin_url: &str, run: &str) -> Result<RunSpace, ServicesError> {
        create_database(admin_url, run)?;
        let (admin, db) = (admin_url.to_owned(), run.to_owned());
        Ok(RunSpace::new(
            vec![(
                Service::Postgres.env_var().to_owned(),
                with_database(admin_url, run),
            )],
            move || drop_databases(&admin, &db),
        ))
    }
}

/// The folder with `postgres` and `initdb`.
fn bin_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(Postgres.binary_var()) {
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

/// An initdb'd cluster per Postgres version, made once in `dir` and copied for every start.
fn ensure_template(
    bin: &Path,
    dir: &Path,
    as_user: Option<(u32, u32)>,
) -> Result<PathBuf, ServicesError> {
    // `postgres (PostgreSQL) 15.18 (Debian …)` → `15.18`
    let version = Postgres.version(&bin.join("postgres")).unwrap_or_default();
    let tag = version
        .split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or("unknown")
        .to_owned();
    let template = dir.join(format!("pg-template-{tag}"));
    if template.join("PG_VERSION").is_file() {
        return Ok(template);
    }
    let staging = dir.join(format!("pg-template-{tag}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    crate::services::create_shared_dir(&staging)?;
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

fn connect(url: &str) -> Result<postgres::Client, postgres::Error> {
    let mut config: postgres::Config = url.parse()?;
    config.connect_timeout(Duration::from_secs(3));
    config.connect(postgres::NoTls)
}

/// Replaces the database name of a Postgres URL (`…/postgres?x=y` → `…/<db>?x=y`).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Creates `db` from the template (creating the template first if needed). The template is an
/// empty database: copying it is fast and leaves `template1` alone.
fn create_database(admin_url: &str, db: &str) -> Result<(), ServicesError> {
    let mut client = connect(admin_url).map_err(|e| pg_error(admin_url, "connect", e))?;
    // Runs lease concurrently: two may find no template and create it at the same moment (one
    // wins, the other sees a duplicate) or while the other copies template0 (in use: retry).
    // Within this process they take turns.
    static CREATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = CREATING.lock().unwrap_or_else(|e| e.into_inner());
    let mut attempts = 0;
    loop {
        let exists = client
            .query_opt(
                "SELECT 1 FROM pg_database WHERE datname = $1",
                &[&TEMPLATE_DB],
            )
            .map_err(|e| pg_error(admin_url, "look up the template", e))?
            .is_some();
        if exists {
            break;
        }
        match client.batch_execute(&format!("CREATE DATABASE {TEMPLATE_DB} TEMPLATE template0")) {
            Ok(()) => break,
            // A concurrent CREATE of the same name fails on pg_database's unique index.
            Err(e)
                if e.code() == Some(&postgres::error::SqlState::DUPLICATE_DATABASE)
                    || e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) =>
            {
                break;
            }
            Err(e)
                if attempts < 50 && e.code() == Some(&postgres::error::SqlState::OBJECT_IN_USE) =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(pg_error(admin_url, "create the template database", e)),
        }
    }
    let sql = format!("CREATE DATABASE \"{db}\" TEMPLATE {TEMPLATE_DB}");
    // CREATE DATABASE fails while another CREATE copies the same template; retry briefly.
    let mut attempts = 0;
    loop {
        match client.batch_execute(&sql) {
            Ok(()) => return Ok(()),
            Err(e)
                if attempts < 50 && e.code() == Some(&postgres::error::SqlState::OBJECT_IN_USE) =>
            {
                attempts += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return Err(pg_error(admin_url, "create the exercise's database", e)),
        }
    }
}

/// Drops `db` and any per-test databases named after it (`<db>_…`).
fn drop_databases(admin_url: &str, db: &str) {
    let Ok(mut client) = connect(admin_url) else {
        return;
    };
    let pattern = format!("{}\\_%", db.replace('_', "\\_"));
    let names: Vec<String> = client
        .query(
            "SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2",
            &[&db, &pattern],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default();
    for name in names {
        let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
    }
}

fn pg_error(url: &str, what: &str, e: postgres::Error) -> ServicesError {
    // The client's Display of a server error is just "db error": say what the server said.
    let detail = e.as_db_error().map_or_else(
        || e.to_string(),
        |d| format!("{} ({})", d.message(), d.code().code()),
    );
    ServicesError::Unreachable(format!(
        "Postgres at {}: cannot {what}: {detail}",
        redact(url)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_rewritten() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(with_database("postgres://h:1", "x"), "postgres://h:1/x");
        assert_eq!(
            with_database("postgres://h:1/a?sslmode=disable", "x"),
            "postgres://h:1/x?sslmode=disable"
        );
    }
}
