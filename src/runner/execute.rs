//! Running one job's test binaries, one after the other, under a shared deadline, and reading
//! the verdict out of what they print.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::cargo::{BuildOutput, TestBinary};
use super::libtest::{self, TestCase, TestStatus};
use super::process::{self, Cancel, Exit, Limits};
use super::{Job, Outcome, Verdict};
use crate::sandbox::{Sandbox, ServiceAddr, TestBox};
use crate::services::Lease;

/// Bytes of output kept per stream of a test binary: enough for any real failure message, small
/// enough that a runaway `println!` loop cannot flood the terminal or memory.
pub const TEST_OUTPUT_CAP: usize = 256 * 1024;

/// Where the binaries were built, and the sandbox they run in, if any.
pub struct Place<'a> {
    pub workspace: &'a Path,
    pub target_dir: &'a Path,
    pub sandbox: Option<&'a Sandbox>,
}

/// The verdict of one job after the build: a compile error, or what its tests say.
pub fn test_job(
    job: &Job,
    built: &BuildOutput,
    lease: &Lease,
    place: &Place,
    cancel: Option<&Cancel>,
) -> Result<Outcome> {
    if built.cancelled {
        return Ok(Outcome::of_job(job, Verdict::Cancelled, String::new()));
    }
    if let Some(errors) = built.failure_of(&job.package) {
        return Ok(Outcome::of_job(job, Verdict::CompileError, errors));
    }
    let binaries = built
        .binaries
        .get(&job.package)
        .map_or(&[][..], Vec::as_slice);
    let mut services = Vec::new();
    for url in &lease.servers {
        match ServiceAddr::of_url(url) {
            Some(addr) => services.push(addr),
            None if place.sandbox.is_some() => {
                let message = format!("the sandbox cannot relay a service at `{url}`");
                return Ok(Outcome::of_job(job, Verdict::ServicesUnavailable, message));
            }
            None => {}
        }
    }
    run_tests(&TestRequest {
        exercise: &job.package,
        binaries,
        env: &lease.env,
        services: &services,
        place,
        timeout: job.timeout,
        cancel,
    })
}

struct TestRequest<'a> {
    pub exercise: &'a str,
    pub binaries: &'a [TestBinary],
    pub env: &'a [(String, String)],
    pub services: &'a [ServiceAddr],
    pub place: &'a Place<'a>,
    pub timeout: Duration,
    pub cancel: Option<&'a Cancel>,
}

/// Runs one exercise's test binaries, one after the other, under a shared deadline.
fn run_tests(req: &TestRequest) -> Result<Outcome> {
    let started = Instant::now();
    let deadline = started + req.timeout;
    let secs = req.timeout.as_secs();
    let mut outcome = Outcome::new(req.exercise, Verdict::Passed, String::new(), secs);
    for bin in req.binaries {
        let mut env: Vec<(String, String)> = vec![
            (
                "CARGO_MANIFEST_DIR".into(),
                bin.manifest_dir.to_string_lossy().into_owned(),
            ),
            ("CARGO_PKG_NAME".into(), req.exercise.into()),
            ("RUST_BACKTRACE".into(), "0".into()),
            // insta finds snapshots from the workspace root, which it asks `cargo metadata`
            // for: no cargo in a sandbox, and the runner knows the answer.
            (
                "INSTA_WORKSPACE_ROOT".into(),
                req.place.workspace.to_string_lossy().into_owned(),
            ),
        ];
        env.extend(req.env.iter().cloned());
        let args = ["--color", "never"];
        let boxed = match req.place.sandbox {
            Some(sandbox) => {
                let b = TestBox {
                    workspace: req.place.workspace,
                    target_dir: req.place.target_dir,
                    current_dir: &bin.manifest_dir,
                    env: &env,
                    services: req.services,
                };
                match sandbox.test_command(&bin.path, &args, &b) {
                    Ok(boxed) => Some(boxed),
                    Err(e) => {
                        outcome.verdict = Verdict::ServicesUnavailable;
                        outcome.details = format!("{e:#}");
                        break;
                    }
                }
            }
            None => None,
        };
        // The relay of the services lives until the process has ended.
        let (cmd, group, _relay) = match boxed {
            Some(b) => (b.command, b.group, b.relay),
            None => {
                let mut cmd = Command::new(&bin.path);
                cmd.current_dir(&bin.manifest_dir).args(args);
                for (k, v) in &env {
                    cmd.env(k, v);
                }
                (cmd, None, None)
            }
        };
        let limits = Limits {
            deadline: Some(deadline),
            output_cap: TEST_OUTPUT_CAP,
            untrusted: true,
            group: group.as_ref(),
        };
        let out = process::run(cmd, &limits, req.cancel, None, None)
            .with_context(|| format!("cannot run the test binary {}", bin.path.display()))?;
        if let Some(breach) = group.as_ref().and_then(|g| g.breach()) {
            outcome.verdict = Verdict::Killed;
            outcome.details = format!("{}: {}", bin.label, breach.verdict_text());
            outcome.tests.extend(libtest::parse(&out.stdout).tests);
            break;
        }
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
            // Not reached: a hit limit is a breach, handled above.
            Exit::LimitHit => {
                outcome.verdict = Verdict::Killed;
                outcome.details = format!("{}: killed at the sandbox's limits", bin.label);
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
