//! The grading sandbox: code a learner wrote runs in a box that shows it only what a test
//! needs (docs/instructors.md says what it does and does not protect).
//!
//! - **bubblewrap** (`bwrap`) makes the box: new user, PID, network, IPC and UTS namespaces; an
//!   unprivileged user without capabilities; a root that holds only the system's programs and
//!   libraries, a few files of /etc, the graded workspace and its target dir (read-only), and a
//!   private /tmp; an environment cleared to what the run needs.
//! - **cgroups** ([`cgroup`]) cap memory and processes for everything in the box, root or not,
//!   and say afterwards which limit was hit.
//! - **the relay** ([`relay`]) brings the run's own services into the box's empty network.
//!
//! Builds get a box too (the same root, the target dir writable, the toolchain and the crate
//! cache without the rest of the grader's home, no network, a cleared environment): learner
//! code runs nothing at compile time, but `include_str!` and `env!` read files and variables.

pub mod cgroup;
pub mod relay;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

pub use cgroup::Breach;
pub use relay::{HostRelay, ServiceAddr};

/// `--sandbox`: whether learner code runs in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Where the platform supports it; said on stderr where it does not
    #[default]
    Auto,
    /// Always; fail if this machine cannot sandbox
    On,
    /// Never
    Off,
}

/// What one sandboxed process tree may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub memory_bytes: u64,
    pub processes: u64,
}

impl Default for Limits {
    /// 2 GiB: ten times what the course's heaviest tests use. 1024 tasks: a test binary's
    /// threads count as tasks, and the busiest tests (50 journeys at once) stay far below.
    fn default() -> Limits {
        Limits {
            memory_bytes: 2 << 30,
            processes: 1024,
        }
    }
}

/// Sizes as people write them: `2GiB`, `512MiB`, `512M`, `1G`, or bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size: write e.g. 2GiB or 512MiB"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        other => return Err(format!("`{other}` is not a size unit: use KiB, MiB or GiB")),
    };
    n.checked_shl(shift)
        .filter(|b| b >> shift == n && *b > 0)
        .ok_or_else(|| format!("`{text}` is not a usable size"))
}

/// `2 GiB`, `512 MiB`: the words of a verdict.
pub fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

impl Breach {
    /// The verdict's words: "killed: used more than 2 GiB of memory".
    pub fn verdict_text(self) -> String {
        match self {
            Breach::Memory(bytes) => {
                format!("killed: used more than {} of memory", size_text(bytes))
            }
            Breach::Processes(n) => format!(
                "killed: tried to run more than {n} processes and threads at once (a fork bomb?)"
            ),
        }
    }
}

/// A sandbox this machine can make, found by [`Sandbox::new`].
#[derive(Debug)]
pub struct Sandbox {
    bwrap: PathBuf,
    version: String,
    cgroups: Option<cgroup::Layout>,
    /// Why there are no cgroup limits, when there are none.
    no_cgroups: Option<String>,
    limits: Limits,
    /// This binary, which runs the relay inside.
    exe: PathBuf,
    toolchain: Option<Toolchain>,
    /// Unix sockets of the relays live here (bound into each box).
    scratch: tempfile::TempDir,
}

/// What a sandboxed build sees of the Rust installation.
#[derive(Debug)]
struct Toolchain {
    sysroot: PathBuf,
    cargo_home: PathBuf,
}

/// What one sandboxed test process gets to see besides the system.
pub struct TestBox<'a> {
    /// The workspace the binary was built from (read-only: fixtures, migrations, snapshots).
    pub workspace: &'a Path,
    /// The target dir (read-only: the test binary, the binaries it runs).
    pub target_dir: &'a Path,
    pub current_dir: &'a Path,
    /// The run's variables (service URLs, CARGO_MANIFEST_DIR, …); nothing else is inherited.
    pub env: &'a [(String, String)],
    /// The run's services, relayed into the box.
    pub services: &'a [ServiceAddr],
}

/// A sandboxed test process, ready to spawn; keep it until the process has ended.
pub struct Boxed {
    pub command: Command,
    /// The cgroup the process joins (from `pre_exec`), if limits are enforced.
    pub group: Option<cgroup::Group>,
    /// The relay of the run's services and its sockets' folder.
    pub relay: Option<(HostRelay, tempfile::TempDir)>,
}

/// System folders the box holds, read-only (symlinks, as in merged-/usr systems, stay links).
const SYSTEM_DIRS: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32",
];
/// Files of /etc that programs read to start and to name things (no secrets: not shadow, not
/// the machine's ssh or sudo settings).
const ETC_FILES: &[&str] = &[
    "/etc/hosts",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/ca-certificates",
];
/// Inside the box: where this binary and the relays' sockets are.
const INSIDE_EXE: &str = "/run/backlings/exercise";
const INSIDE_SOCKETS: &str = "/run/backlings/services";
/// The user the box runs as (nobody), whoever runs the grader.
const INSIDE_UID: &str = "65534";
const PATH: &str = "/usr/local/bin:/usr/bin:/bin";

impl Sandbox {
    /// The sandbox `mode` asks for: `None` for `off`, and for `auto` where this machine cannot
    /// make one (the reason is returned, to be said); an error for `on` where it cannot.
    pub fn new(mode: Mode, limits: Limits) -> Result<(Option<Sandbox>, Option<String>)> {
        if mode == Mode::Off {
            return Ok((None, None));
        }
        match Sandbox::probe(limits) {
            Ok(sandbox) => {
                if mode == Mode::On
                    && let Some(why) = &sandbox.no_cgroups
                {
                    bail!(
                        "--sandbox on: cannot limit memory and processes: {why}\n\
                         (grade as root, or in a cgroup delegated to you with the memory and \
                         pids controllers)"
                    );
                }
                Ok((Some(sandbox), None))
            }
            Err(why) if mode == Mode::On => bail!("--sandbox on: cannot sandbox here: {why}"),
            Err(why) => Ok((None, Some(why))),
        }
    }

    fn probe(limits: Limits) -> Result<Sandbox, String> {
        if !cfg!(target_os = "linux") {
            return Err("the sandbox needs Linux namespaces (bubblewrap)".into());
        }
        // BACKLINGS_BWRAP: a bubblewrap that is not on PATH (or, in tests, none at all).
        let bwrap = match std::env::var_os("BACKLINGS_BWRAP") {
            Some(path) => Some(PathBuf::from(path)).filter(|p| p.is_file()),
            None => find_in_path("bwrap"),
        }
        .ok_or(
            "bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf \
             install bubblewrap)",
        )?;
        let version = Command::new(&bwrap)
            .arg("--version")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let exe = std::env::current_exe()
            .map_err(|e| format!("cannot find this program's own path: {e}"))?;
        let scratch = tempfile::Builder::new()
            .prefix("backlings-sandbox-")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        let (cgroups, no_cgroups) = match cgroup::Layout::find() {
            Ok(layout) => (Some(layout), None),
            Err(why) => (None, Some(why)),
        };
        let sandbox = Sandbox {
            bwrap,
            version,
            cgroups,
            no_cgroups,
            limits,
            exe,
            toolchain: Toolchain::find(),
            scratch,
        };
        // Proof by doing: user namespaces can be off (a sysctl, a container's seccomp profile).
        let mut check = sandbox.base_command(&[]);
        check.arg("--").arg("/bin/true");
        let out = check
            .output()
            .map_err(|e| format!("cannot run {}: {e}", sandbox.bwrap.display()))?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!(
                "bubblewrap cannot make a sandbox here ({}): are user namespaces enabled \
                 (sysctl kernel.unprivileged_userns_clone, a container's seccomp profile)?",
                err.lines().next().unwrap_or("no message").trim()
            ));
        }
        Ok(sandbox)
    }

    /// One line for the grader: what the box is and what it limits.
    pub fn describe(&self) -> String {
        let limits = match &self.cgroups {
            Some(layout) => format!(
                "at most {} of memory and {} processes per test binary ({})",
                size_text(self.limits.memory_bytes),
                self.limits.processes,
                layout.name()
            ),
            None => format!(
                "no memory or process limits: {}",
                self.no_cgroups.as_deref().unwrap_or("no cgroups")
            ),
        };
        format!(
            "sandbox: {} — no network but the run's services, no files but the course's, {limits}",
            if self.version.is_empty() {
                "bubblewrap"
            } else {
                &self.version
            },
        )
    }

    /// bwrap with the namespaces, the user and the system folders; `extra` go before `--`.
    fn base_command(&self, extra: &[OsString]) -> Command {
        let mut cmd = Command::new(&self.bwrap);
        cmd.args([
            "--die-with-parent",
            "--new-session",
            "--unshare-all",
            "--uid",
            INSIDE_UID,
            "--gid",
            INSIDE_UID,
            "--cap-drop",
            "ALL",
        ]);
        for dir in SYSTEM_DIRS {
            let path = Path::new(dir);
            match std::fs::read_link(path) {
                Ok(target) => {
                    cmd.arg("--symlink").arg(target).arg(path);
                }
                Err(_) if path.is_dir() => {
                    cmd.arg("--ro-bind").arg(path).arg(path);
                }
                Err(_) => {}
            }
        }
        for file in ETC_FILES {
            cmd.arg("--ro-bind-try").arg(file).arg(file);
        }
        cmd.args(["--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"]);
        cmd.args(extra);
        cmd.arg("--remount-ro").arg("/");
        cmd.arg("--clearenv");
        for (k, v) in [
            ("PATH", PATH),
            ("HOME", "/tmp"),
            ("TMPDIR", "/tmp"),
            ("USER", "nobody"),
            ("LANG", "C.UTF-8"),
        ] {
            cmd.arg("--setenv").arg(k).arg(v);
        }
        cmd
    }

    /// A test binary in a box of its own, its cgroup and the relays of its services.
    pub fn test_command(&self, program: &Path, args: &[&str], b: &TestBox) -> Result<Boxed> {
        let mut extra: Vec<OsString> = Vec::new();
        for p in [b.workspace, b.target_dir] {
            extra.extend(["--ro-bind".into(), p.into(), p.into()]);
        }
        let mut relay = None;
        let mut relay_args: Vec<OsString> = Vec::new();
        if !b.services.is_empty() {
            if let Some(far) = b.services.iter().find(|a| !a.is_loopback()) {
                bail!(
                    "the sandbox reaches only services on this machine, and a service URL \
                     points at {}:{} (grade with local or container services, or --sandbox off)",
                    far.host,
                    far.port
                );
            }
            let dir = tempfile::Builder::new()
                .prefix("run-")
                .tempdir_in(self.scratch.path())
                .context("cannot create the folder of the sandbox's service sockets")?;
            let host = HostRelay::start(dir.path(), b.services)
                .context("cannot start the relay of the run's services")?;
            extra.extend([
                "--ro-bind".into(),
                self.exe.clone().into(),
                INSIDE_EXE.into(),
                "--bind".into(),
                dir.path().into(),
                INSIDE_SOCKETS.into(),
            ]);
            relay_args.extend([INSIDE_EXE.into(), "__sandbox-exec".into()]);
            for (i, addr) in b.services.iter().enumerate() {
                // A name may resolve to ::1 first: both loopbacks answer.
                let mut listen = vec![format!("127.0.0.1:{}", addr.port)];
                if addr.host == "localhost" || addr.host == "::1" {
                    listen.push(format!("[::1]:{}", addr.port));
                }
                for l in listen {
                    relay_args.push("--relay".into());
                    relay_args.push(format!("{l}={INSIDE_SOCKETS}/{i}.sock").into());
                }
            }
            relay_args.push("--".into());
            relay = Some((host, dir));
        }
        extra.push("--chdir".into());
        extra.push(b.current_dir.into());
        let mut command = self.base_command(&extra);
        // Tests that need what the sandbox withholds (a container engine) say so and skip it.
        command.arg("--setenv").arg("BACKLINGS_SANDBOX").arg("1");
        for (k, v) in b.env {
            command.arg("--setenv").arg(k).arg(v);
        }
        command.arg("--").args(relay_args).arg(program).args(args);
        let group = match &self.cgroups {
            Some(layout) => Some(
                cgroup::Group::create(layout, &self.limits)
                    .map_err(anyhow::Error::msg)
                    .context("cannot create the test's cgroup")?,
            ),
            None => None,
        };
        if let Some(g) = &group {
            crate::sys::join_cgroups(&mut command, g.procs_files());
        }
        Ok(Boxed {
            command,
            group,
            relay,
        })
    }

    /// `cargo <args>` in a box: the workspace read-only, the target dir writable, the toolchain
    /// and the crate cache, no network (`--offline`: fetch first, outside), a cleared
    /// environment (so `env!` finds nothing of the grader's).
    pub fn cargo_command(&self, workspace: &Path, target_dir: &Path) -> Result<Command> {
        let tc = self.toolchain.as_ref().context(
            "cannot sandbox the build: the Rust toolchain's folder was not found (`rustc --print sysroot`)",
        )?;
        std::fs::create_dir_all(target_dir)
            .with_context(|| format!("cannot create {}", target_dir.display()))?;
        let mut extra: Vec<OsString> = Vec::new();
        let bind = |extra: &mut Vec<OsString>, flag: &str, p: &Path| {
            extra.extend([flag.into(), p.into(), p.into()]);
        };
        bind(&mut extra, "--ro-bind", &tc.sysroot);
        // A CARGO_HOME of the box's own (cargo keeps its lock file there) holding the crate
        // cache, without the rest of the grader's (credentials.toml, installed tools).
        extra.extend(["--tmpfs".into(), tc.cargo_home.clone().into()]);
        for sub in ["registry", "git"] {
            let dir = tc.cargo_home.join(sub);
            if dir.is_dir() {
                bind(&mut extra, "--bind", &dir);
            }
        }
        let config = tc.cargo_home.join("config.toml");
        if config.is_file() {
            bind(&mut extra, "--ro-bind", &config);
        }
        bind(&mut extra, "--ro-bind", workspace);
        bind(&mut extra, "--bind", target_dir);
        extra.push("--chdir".into());
        extra.push(workspace.into());
        let mut cmd = self.base_command(&extra);
        let rustc = tc.sysroot.join("bin").join("rustc");
        cmd.arg("--setenv").arg("CARGO_HOME").arg(&tc.cargo_home);
        cmd.arg("--setenv").arg("RUSTC").arg(&rustc);
        // What changes how cargo builds, never what a program might treat as a secret.
        for key in [
            "RUSTFLAGS",
            "CARGO_BUILD_JOBS",
            "CARGO_INCREMENTAL",
            "CARGO_TERM_COLOR",
        ] {
            if let Some(v) = std::env::var_os(key) {
                cmd.arg("--setenv").arg(key).arg(v);
            }
        }
        cmd.arg("--")
            .arg(tc.sysroot.join("bin").join("cargo"))
            .arg("--offline");
        Ok(cmd)
    }
}

impl Toolchain {
    fn find() -> Option<Toolchain> {
        let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
        let out = Command::new(rustc)
            .arg("--print")
            .arg("sysroot")
            .output()
            .ok()?;
        let sysroot = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !sysroot.join("bin").join("cargo").is_file() {
            return None;
        }
        let cargo_home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
        Some(Toolchain {
            sysroot,
            cargo_home,
        })
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("64 MiB"), Ok(64 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("2TB").is_err());
        assert!(parse_size("0").is_err());
        assert_eq!(size_text(2 << 30), "2 GiB");
        assert_eq!(size_text(256 << 20), "256 MiB");
    }

    #[test]
    fn a_breach_says_which_limit() {
        assert_eq!(
            Breach::Memory(2 << 30).verdict_text(),
            "killed: used more than 2 GiB of memory"
        );
        assert!(
            Breach::Processes(1024)
                .verdict_text()
                .contains("more than 1024 processes")
        );
    }
}
