//! Cargo: which cargo to run, the one build invocation, its typed JSON messages, its human
//! status lines, and `cargo metadata`.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use cargo_metadata::diagnostic::DiagnosticLevel;
use cargo_metadata::{Message, TargetKind};

use super::process::{self, Cancel, Exit, Limits};

const BUILD_OUTPUT_CAP: usize = 64 * 1024 * 1024;

/// The cargo to run: under `cargo run`, CARGO names the very cargo that built us.
pub fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

pub fn command() -> Command {
    let mut cmd = Command::new(cargo());
    // Under `cargo run`, this process has the runner's own package variables. Build scripts
    // (ring's) fingerprint some of them: passed on, they would make every exercise build
    // differ between `cargo run` and `exercise`, and between a sandboxed build and not.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_") || RUNNER_PACKAGE_VARS.contains(&key.as_ref()) {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd
}

/// What `cargo run` sets about the package it runs (besides `CARGO_PKG_*`).
const RUNNER_PACKAGE_VARS: &[&str] = &[
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "OUT_DIR",
];

fn strip_ansi(text: &str) -> String {
    anstream::adapter::strip_str(text).to_string()
}

/// One of cargo's human status lines on stderr (`   Compiling serde v1.0.200`), as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// `Compiling`, `Blocking`, `Finished`…
    pub verb: String,
    /// What follows the verb.
    pub rest: String,
}

/// The verbs cargo starts its status lines with (right-aligned, then the subject).
const STATUS_VERBS: &[&str] = &[
    "Adding",
    "Blocking",
    "Building",
    "Checking",
    "Compiling",
    "Downloaded",
    "Downloading",
    "Finished",
    "Fresh",
    "Locking",
    "Running",
    "Updating",
];

impl StatusLine {
    /// Parses a stderr line (ANSI colours allowed); None when it is not a status line.
    pub fn parse(line: &str) -> Option<StatusLine> {
        let plain = strip_ansi(line);
        let plain = plain.trim();
        let (verb, rest) = plain.split_once(' ').unwrap_or((plain, ""));
        STATUS_VERBS.contains(&verb).then(|| StatusLine {
            verb: verb.to_owned(),
            rest: rest.trim().to_owned(),
        })
    }

    /// Worth showing while a build runs (not the closing `Finished`).
    pub fn is_progress(&self) -> bool {
        self.verb != "Finished"
    }
}

impl std::fmt::Display for StatusLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb, self.rest)
    }
}

/// cargo's stderr without its status lines: what is left explains a failure that is not a
/// compiler diagnostic (a broken Cargo.toml, a missing package).
pub fn without_status_lines(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            StatusLine::parse(l).is_none()
                && !strip_ansi(l)
                    .trim_start()
                    .starts_with("warning: build failed")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Clone)]
pub struct TestBinary {
    /// `src` for unit tests in the library, `tests/<name>` for integration test files.
    pub label: String,
    pub path: PathBuf,
    pub manifest_dir: PathBuf,
}

#[derive(Debug, Default)]
pub struct BuildOutput {
    pub binaries: BTreeMap<String, Vec<TestBinary>>,
    /// Rendered compiler errors per package, in the order cargo reported them, deduplicated.
    pub errors: BTreeMap<String, Vec<String>>,
    /// Whatever cargo printed on stderr, for failures that are not compiler diagnostics.
    pub cargo_stderr: String,
    pub success: bool,
    pub cancelled: bool,
}

impl BuildOutput {
    /// The compile failure of one package, as the learner should see it; None if it built.
    pub fn failure_of(&self, package: &str) -> Option<String> {
        if let Some(errs) = self.errors.get(package) {
            return Some(errs.join("\n"));
        }
        if self.binaries.contains_key(package) {
            return None;
        }
        Some(without_status_lines(&self.cargo_stderr))
    }
}

pub struct BuildRequest<'a> {
    pub workspace: &'a Path,
    pub packages: &'a [&'a str],
    /// Shared target dir when building a copy of the workspace (verify, grade).
    pub target_dir: Option<&'a Path>,
    pub cancel: Option<&'a Cancel>,
    pub on_progress: Option<&'a (dyn Fn(&BuildProgress) + Sync)>,
    /// Background work (watch's preparation): the lowest CPU priority.
    pub background: bool,
    /// Build in the sandbox (grade): the crates are fetched first, outside it.
    pub sandbox: Option<&'a crate::sandbox::Sandbox>,
}

/// Where a build stands: cargo's last status line, and the dependencies done so far of how many
/// this build needs (known once a dependency has to be compiled: warm builds never pay for
/// counting them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildProgress {
    pub status: Option<StatusLine>,
    /// Dependency crates (libraries and proc-macros, not ours) compiled or found fresh.
    pub done: usize,
    pub total: Option<usize>,
}

/// The number of dependency crates a build of `packages` compiles: `cargo tree` lists each
/// (crate, features) once per side, as cargo builds it.
pub fn dependency_count(workspace: &Path, packages: &[&str]) -> Option<usize> {
    let out = tree(workspace, packages)
        .args(["--prefix", "none"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let units: BTreeSet<&str> = text
        .lines()
        .map(|l| l.trim_end_matches(" (*)"))
        .filter(|l| !l.contains(" (/") && !l.is_empty())
        .collect();
    Some(units.len())
}

/// `cargo tree` over the test build of `packages` (the workspace if none), one `{p}|{f}` per
/// crate. Without an explicit target, cargo tree shows crates built for the host (macros,
/// build scripts) with the target's features; with the host's own triple it shows what a build
/// really compiles for each side.
pub fn tree(workspace: &Path, packages: &[&str]) -> Command {
    let mut cmd = command();
    cmd.args(["tree", "-e", "normal,build,dev", "-f", "{p}|{f}"]);
    if let Some(triple) = host_triple() {
        cmd.arg("--target").arg(triple);
    }
    if packages.is_empty() {
        cmd.arg("--workspace");
    }
    for p in packages {
        cmd.arg("-p").arg(p);
    }
    cmd.arg("--manifest-path").arg(workspace.join("Cargo.toml"));
    cmd
}

/// The triple rustc builds for by default (`rustc -vV`'s `host:` line).
pub fn host_triple() -> Option<String> {
    static TRIPLE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    TRIPLE
        .get_or_init(|| {
            let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
            let out = Command::new(rustc).arg("-vV").output().ok()?;
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("host: "))
                .map(str::to_owned)
        })
        .clone()
}

/// Follows a build's messages as they come and reports its progress.
struct ProgressTracker<'a> {
    req: &'a BuildRequest<'a>,
    state: std::sync::Mutex<BuildProgress>,
    counting: std::sync::atomic::AtomicBool,
}

impl ProgressTracker<'_> {
    fn report(&self, change: impl FnOnce(&mut BuildProgress)) {
        let Some(sink) = self.req.on_progress else {
            return;
        };
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        change(&mut state);
        sink(&state);
    }

    fn stderr_line(&self, line: &str) {
        if let Some(status) = StatusLine::parse(line) {
            self.report(|p| p.status = Some(status));
        }
    }

    /// A JSON line on stdout: a finished dependency counts; the first one that had to be
    /// compiled starts counting how many there are.
    fn stdout_line<'scope>(
        &'scope self,
        line: &str,
        scope: &'scope std::thread::Scope<'scope, '_>,
    ) {
        if !line.starts_with("{\"reason\":\"compiler-artifact\"") {
            return;
        }
        let Ok(Message::CompilerArtifact(art)) = serde_json::from_str::<Message>(line) else {
            return;
        };
        if art.package_id.repr.starts_with("path+")
            || art.target.kind.contains(&TargetKind::CustomBuild)
        {
            return;
        }
        if !art.fresh
            && !self
                .counting
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let (ws, packages) = (self.req.workspace, self.req.packages);
            scope.spawn(move || {
                let total = dependency_count(ws, packages);
                self.report(|p| p.total = total.map(|t| t.max(p.done)));
            });
        }
        self.report(|p| {
            p.done += 1;
            if let Some(t) = p.total.as_mut() {
                *t = (*t).max(p.done);
            }
        });
    }
}

/// Builds the test binaries of `packages` (all workspace members if empty) in one invocation,
/// so cargo parallelises and shares the target dir.
pub fn build(req: &BuildRequest) -> Result<BuildOutput> {
    let mut cmd = match req.sandbox {
        Some(sandbox) => {
            fetch(req.workspace)?;
            let target = target_dir(req.workspace, req.target_dir);
            sandbox.cargo_command(req.workspace, &target)?
        }
        None => command(),
    };
    cmd.current_dir(req.workspace)
        .arg("build")
        .arg("--tests")
        .arg("--keep-going")
        .arg("--message-format=json-diagnostic-rendered-ansi")
        .arg("--color=always")
        .arg("--manifest-path")
        .arg(req.workspace.join("Cargo.toml"));
    if req.packages.is_empty() {
        cmd.arg("--workspace");
    }
    for p in req.packages {
        cmd.arg("-p").arg(p);
    }
    if let Some(t) = req.target_dir {
        cmd.arg("--target-dir").arg(t);
    }
    if req.background {
        crate::sys::lowest_priority(&mut cmd);
    }
    let limits = Limits {
        deadline: None,
        output_cap: BUILD_OUTPUT_CAP,
        untrusted: false,
        group: None,
    };
    let tracker = ProgressTracker {
        req,
        state: std::sync::Mutex::new(BuildProgress::default()),
        counting: std::sync::atomic::AtomicBool::new(false),
    };
    let out = std::thread::scope(|scope| {
        let on_stderr = |line: &str| tracker.stderr_line(line);
        let on_stdout = |line: &str| tracker.stdout_line(line, scope);
        process::run(cmd, &limits, req.cancel, Some(&on_stderr), Some(&on_stdout))
    })
    .context("cannot run cargo; is the Rust toolchain installed and on PATH?")?;
    let mut build = parse_build_messages(&out.stdout);
    build.cargo_stderr = out.stderr;
    build.cancelled = out.exit == Exit::Cancelled;
    build.success = matches!(out.exit, Exit::Status(s) if s.success());
    Ok(build)
}

/// Where a build of `workspace` puts its artifacts: the one given, else cargo's own choice
/// (CARGO_TARGET_DIR, else `target/` beside the workspace's manifest).
pub fn target_dir(workspace: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from))
        .map(|t| {
            if t.is_relative() {
                workspace.join(t)
            } else {
                t
            }
        })
        .unwrap_or_else(|| workspace.join("target"))
}

/// Downloads what the workspace's lock file names, so that a build without network (the
/// sandbox's) finds every crate. Only the course's manifests decide what is fetched.
fn fetch(workspace: &Path) -> Result<()> {
    let out = command()
        .current_dir(workspace)
        .arg("fetch")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run cargo fetch")?;
    if !out.status.success() {
        bail!(
            "cannot fetch the course's crates before a sandboxed build: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Reads cargo's JSON messages: compiler errors per package, test executables per package.
fn parse_build_messages(stdout: &str) -> BuildOutput {
    let mut build = BuildOutput::default();
    let mut seen = BTreeSet::new();
    for message in Message::parse_stream(BufReader::new(stdout.as_bytes())).flatten() {
        match message {
            Message::CompilerMessage(msg) => {
                if msg.message.level != DiagnosticLevel::Error {
                    continue;
                }
                let package = package_name(&msg.package_id.repr);
                let rendered = msg.message.rendered.unwrap_or_default();
                // The lib and its unit-test build report the same errors twice.
                if seen.insert((package.clone(), rendered.clone())) {
                    build.errors.entry(package).or_default().push(rendered);
                }
            }
            Message::CompilerArtifact(art) => {
                let (Some(exe), true) = (art.executable, art.profile.test) else {
                    continue;
                };
                let label = if art.target.kind.contains(&TargetKind::Test) {
                    format!("tests/{}", art.target.name)
                } else {
                    "src".to_owned()
                };
                let manifest_dir = art
                    .manifest_path
                    .parent()
                    .map(|p| p.as_std_path().to_path_buf())
                    .unwrap_or_default();
                build
                    .binaries
                    .entry(package_name(&art.package_id.repr))
                    .or_default()
                    .push(TestBinary {
                        label,
                        path: exe.into_std_path_buf(),
                        manifest_dir,
                    });
            }
            _ => {}
        }
    }
    build
}

/// Clippy's errors (`-D warnings`) per package, deduplicated, from its JSON messages.
pub fn clippy_errors(stdout: &str) -> BTreeMap<String, Vec<String>> {
    let mut findings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for message in Message::parse_stream(BufReader::new(stdout.as_bytes())).flatten() {
        let Message::CompilerMessage(msg) = message else {
            continue;
        };
        if msg.message.level != DiagnosticLevel::Error {
            continue;
        }
        let list = findings
            .entry(package_name(&msg.package_id.repr))
            .or_default();
        let rendered = msg.message.rendered.unwrap_or_default();
        if !list.contains(&rendered) {
            list.push(rendered);
        }
    }
    findings
}

/// `path+file:///a/01_x#name@0.1.0` → `name`; `path+file:///a/name#0.1.0` → `name`.
pub fn package_name(id: &str) -> String {
    let (url, frag) = id.split_once('#').unwrap_or((id, ""));
    match frag.split_once('@') {
        Some((name, _)) => name.to_owned(),
        None => url.rsplit('/').next().unwrap_or(url).to_owned(),
    }
}

/// (package name, package dir) of every member of the workspace at `ws`, from cargo itself
/// (globs, excludes and all).
pub fn workspace_members(ws: &Path) -> Result<Vec<(String, PathBuf)>> {
    let meta = cargo_metadata::MetadataCommand::new()
        .cargo_path(cargo())
        .manifest_path(ws.join("Cargo.toml"))
        .no_deps()
        .exec()
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().trim()))?;
    Ok(meta
        .workspace_packages()
        .into_iter()
        .filter_map(|p| {
            let dir = p.manifest_path.parent()?.as_std_path();
            Some((p.name.to_string(), crate::fs::canonical(dir)))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn package_names_from_ids() {
        assert_eq!(
            package_name("path+file:///a/01_x#serde_json_basics@0.1.0"),
            "serde_json_basics"
        );
        assert_eq!(package_name("path+file:///tmp/kg/b#0.1.0"), "b");
    }

    #[test]
    fn build_messages_are_attributed_and_deduplicated() {
        let err = r#"{"reason":"compiler-message","package_id":"path+file:///w/x#b@0.1.0","manifest_path":"/w/x/Cargo.toml","target":{"kind":["lib"],"crate_types":["lib"],"name":"b","src_path":"/w/x/src/lib.rs","edition":"2024","doctest":true,"test":true},"message":{"message":"boom","code":null,"level":"error","spans":[],"children":[],"rendered":"E1"}}"#;
        let note = err.replace(r#""level":"error""#, r#""level":"failure-note""#);
        let art = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/a#0.1.0","manifest_path":"/w/a/Cargo.toml","target":{"kind":["test"],"crate_types":["bin"],"name":"checks","src_path":"/w/a/tests/checks.rs","edition":"2024","doctest":false,"test":true},"profile":{"opt_level":"0","debuginfo":0,"debug_assertions":true,"overflow_checks":true,"test":true},"features":[],"filenames":["/t/checks-1"],"executable":"/t/checks-1","fresh":false}"#;
        let lib = art
            .replace(r#""executable":"/t/checks-1""#, r#""executable":null"#)
            .replace(r#""test":true},"features""#, r#""test":false},"features""#);
        let text = [err, err, &note, art, &lib].join("\n");
        let b = parse_build_messages(&text);
        assert_eq!(b.errors["b"], ["E1"]);
        assert_eq!(b.binaries["a"].len(), 1, "{b:?}");
        assert_eq!(b.binaries["a"][0].label, "tests/checks");
        assert_eq!(b.binaries["a"][0].manifest_dir, Path::new("/w/a"));
        assert_eq!(b.failure_of("a"), None);
        assert_eq!(clippy_errors(&text)["b"], ["E1"]);
    }

    #[test]
    fn status_lines_are_recognised_and_filtered() {
        let s =
            StatusLine::parse("\u{1b}[1m\u{1b}[32m   Compiling\u{1b}[0m serde v1.0.200").unwrap();
        assert_eq!(s.to_string(), "Compiling serde v1.0.200");
        assert!(s.is_progress());
        assert!(
            !StatusLine::parse("    Finished `dev` profile")
                .unwrap()
                .is_progress()
        );
        assert_eq!(
            StatusLine::parse("error: could not find `Cargo.toml`"),
            None
        );
        let stderr = "   Compiling a v0.1.0\nerror: failed to parse manifest\n    Finished x\nwarning: build failed, waiting for other jobs to finish...";
        assert_eq!(
            without_status_lines(stderr),
            "error: failed to parse manifest"
        );
    }
}
