//! Running exercises: build the test binaries with cargo (one invocation for any number of
//! packages, so cargo parallelises and shares the target dir), then run each package's binaries
//! under its timeout, and turn what they print into a [`Verdict`].
//!
//! Building and testing are separate steps on purpose: the exercise's timeout is about the
//! learner's code (an infinite loop, a deadlock), not about a cold first build of the dependencies.

pub mod exercise;
pub mod libtest;
pub mod process;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde::Serialize;

pub use libtest::{TestCase, TestStatus};
pub use process::Cancel;
use process::{Exit, Limits};

/// Bytes of output kept per stream of a test binary: enough for any real failure message, small
/// enough that a runaway `println!` loop cannot flood the terminal or memory.
pub const TEST_OUTPUT_CAP: usize = 256 * 1024;
const BUILD_OUTPUT_CAP: usize = 64 * 1024 * 1024;

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
    /// Whatever cargo printed on stderr, for failures that are not compiler diagnostics
    /// (a broken Cargo.toml, a missing package).
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
        Some(filter_cargo_noise(&self.cargo_stderr))
    }
}

pub struct BuildRequest<'a> {
    pub workspace: &'a Path,
    pub packages: &'a [&'a str],
    /// Shared target dir when building a copy of the workspace (verify, grade).
    pub target_dir: Option<&'a Path>,
    pub cancel: Option<&'a Cancel>,
    pub on_progress: Option<process::LineSink<'a>>,
}

fn cargo() -> OsString {
    // Under `cargo run`, CARGO names the very cargo that built us.
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// Builds the test binaries of `packages` (all workspace members if empty).
pub fn build(req: &BuildRequest) -> Result<BuildOutput> {
    let mut cmd = Command::new(cargo());
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
    let limits = Limits {
        deadline: None,
        output_cap: BUILD_OUTPUT_CAP,
        sandbox: false,
    };
    let out = process::run_with_progress(cmd, &limits, req.cancel, req.on_progress)
        .context("cannot run cargo; is the Rust toolchain installed and on PATH?")?;
    let mut build = parse_build_messages(&out.stdout);
    build.cargo_stderr = out.stderr;
    build.cancelled = out.exit == Exit::Cancelled;
    build.success = matches!(out.exit, Exit::Status(s) if s.success());
    Ok(build)
}

fn parse_build_messages(stdout: &str) -> BuildOutput {
    let mut build = BuildOutput::default();
    let mut seen = BTreeSet::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let package = msg["package_id"].as_str().map(package_name);
        match (msg["reason"].as_str(), package) {
            (Some("compiler-message"), Some(package)) => {
                if msg["message"]["level"] != "error" {
                    continue;
                }
                let rendered = msg["message"]["rendered"].as_str().unwrap_or_default();
                // The lib and its unit-test build report the same errors twice.
                if seen.insert((package.clone(), rendered.to_owned())) {
                    build
                        .errors
                        .entry(package)
                        .or_default()
                        .push(rendered.to_owned());
                }
            }
            (Some("compiler-artifact"), Some(package)) => {
                let (Some(exe), true) =
                    (msg["executable"].as_str(), msg["profile"]["test"] == true)
                else {
                    continue;
                };
                let kinds = &msg["target"]["kind"];
                let target = msg["target"]["name"].as_str().unwrap_or("?");
                let label = if kinds
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "test"))
                {
                    format!("tests/{target}")
                } else {
                    "src".to_owned()
                };
                let manifest_dir = msg["manifest_path"]
                    .as_str()
                    .and_then(|p| Path::new(p).parent())
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                build.binaries.entry(package).or_default().push(TestBinary {
                    label,
                    path: PathBuf::from(exe),
                    manifest_dir,
                });
            }
            _ => {}
        }
    }
    build
}

/// `path+file:///a/01_x#name@0.1.0` → `name`; `path+file:///a/name#0.1.0` → `name`.
pub fn package_name(id: &str) -> String {
    let (url, frag) = id.split_once('#').unwrap_or((id, ""));
    match frag.split_once('@') {
        Some((name, _)) => name.to_owned(),
        None => url.rsplit('/').next().unwrap_or(url).to_owned(),
    }
}

fn filter_cargo_noise(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| {
            let t = crate::ui::strip_ansi(l);
            let t = t.trim_start();
            !(t.starts_with("Compiling ")
                || t.starts_with("Finished ")
                || t.starts_with("Blocking ")
                || t.starts_with("Checking ")
                || t.starts_with("Locking ")
                || t.starts_with("Adding ")
                || t.starts_with("Building ")
                || t.starts_with("warning: build failed"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    CompileError,
    TestsFailed,
    TimedOut,
    /// The package built but has no tests: a broken exercise, never a pass.
    NoTests,
    ServicesUnavailable,
    Cancelled,
}

impl Verdict {
    pub fn passed(self) -> bool {
        self == Verdict::Passed
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub exercise: String,
    pub verdict: Verdict,
    /// Compiler errors (ANSI-rendered) or the services message.
    pub details: String,
    pub tests: Vec<TestCase>,
    /// Everything else worth saying: a crash, truncated output.
    pub notes: Vec<String>,
    pub timeout_secs: u64,
    pub duration: Duration,
}

impl Outcome {
    pub fn new(exercise: &str, verdict: Verdict, details: String, timeout_secs: u64) -> Outcome {
        Outcome {
            exercise: exercise.to_owned(),
            verdict,
            details,
            tests: Vec::new(),
            notes: Vec::new(),
            timeout_secs,
            duration: Duration::ZERO,
        }
    }

    pub fn failed_tests(&self) -> impl Iterator<Item = &TestCase> {
        self.tests.iter().filter(|t| t.status == TestStatus::Failed)
    }

    pub fn count(&self, status: TestStatus) -> usize {
        self.tests.iter().filter(|t| t.status == status).count()
    }
}

pub struct TestRequest<'a> {
    pub exercise: &'a str,
    pub binaries: &'a [TestBinary],
    pub env: &'a [(String, String)],
    pub timeout: Duration,
    pub cancel: Option<&'a Cancel>,
}

/// Runs one exercise's test binaries, one after the other, under a shared deadline.
pub fn run_tests(req: &TestRequest) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + req.timeout;
    let secs = req.timeout.as_secs();
    let mut outcome = Outcome::new(req.exercise, Verdict::Passed, String::new(), secs);
    for bin in req.binaries {
        let mut cmd = Command::new(&bin.path);
        cmd.current_dir(&bin.manifest_dir)
            .arg("--color")
            .arg("never")
            .env("CARGO_MANIFEST_DIR", &bin.manifest_dir)
            .env("CARGO_PKG_NAME", req.exercise)
            .env("RUST_BACKTRACE", "0");
        for (k, v) in req.env {
            cmd.env(k, v);
        }
        let limits = Limits {
            deadline: Some(deadline),
            output_cap: TEST_OUTPUT_CAP,
            sandbox: true,
        };
        let out = process::run(cmd, &limits, req.cancel)
            .with_context(|| format!("cannot run the test binary {}", bin.path.display()))?;
        let report = libtest::parse(&out.stdout);
        outcome.tests.extend(report.tests.into_iter().map(|mut t| {
            t.name = format!("{}: {}", bin.label, t.name);
            t
        }));
        if out.truncated {
            outcome.notes.push(format!(
                "{}: output was cut to its first and last {} KiB",
                bin.label,
                TEST_OUTPUT_CAP / 2048
            ));
        }
        match out.exit {
            Exit::TimedOut => {
                outcome.verdict = Verdict::TimedOut;
                outcome.details =
                    format!("timed out after {secs} s — an infinite loop or a deadlock?");
                break;
            }
            Exit::Cancelled => {
                outcome.verdict = Verdict::Cancelled;
                break;
            }
            Exit::Status(status) if !report.finished => {
                // The binary died before libtest could report (abort, stack overflow, exit()).
                let tail = tail_lines(&format!("{}{}", out.stdout, out.stderr), 20);
                outcome.tests.push(TestCase {
                    name: format!("{}: (test binary)", bin.label),
                    status: TestStatus::Failed,
                    message: Some(format!("the test process crashed ({status})\n{tail}")),
                    location: None,
                });
            }
            Exit::Status(_) => {}
        }
    }
    if outcome.verdict == Verdict::Passed {
        outcome.verdict = if outcome.failed_tests().next().is_some() {
            Verdict::TestsFailed
        } else if outcome.count(TestStatus::Passed) == 0 {
            Verdict::NoTests
        } else {
            Verdict::Passed
        };
    }
    outcome.duration = started.elapsed();
    Ok(outcome)
}

fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
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
        let err = r#"{"reason":"compiler-message","package_id":"path+file:///w/x#b@0.1.0","message":{"level":"error","rendered":"E1"}}"#;
        let note = r#"{"reason":"compiler-message","package_id":"path+file:///w/x#b@0.1.0","message":{"level":"failure-note","rendered":"N"}}"#;
        let art = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/a#0.1.0","manifest_path":"/w/a/Cargo.toml","target":{"kind":["test"],"name":"checks"},"profile":{"test":true},"executable":"/t/checks-1"}"#;
        let lib = r#"{"reason":"compiler-artifact","package_id":"path+file:///w/a#0.1.0","manifest_path":"/w/a/Cargo.toml","target":{"kind":["lib"],"name":"a"},"profile":{"test":false},"executable":null}"#;
        let text = [err, err, note, art, lib].join("\n");
        let b = parse_build_messages(&text);
        assert_eq!(b.errors["b"], ["E1"]);
        assert_eq!(b.binaries["a"].len(), 1);
        assert_eq!(b.binaries["a"][0].label, "tests/checks");
        assert_eq!(b.binaries["a"][0].manifest_dir, Path::new("/w/a"));
        assert_eq!(b.failure_of("a"), None);
    }
}
