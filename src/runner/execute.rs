//! Running one job's test binaries, one after the other, under a shared deadline, and reading
//! the verdict out of what they print.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::cargo::{BuildOutput, TestBinary};
use super::libtest::{self, TestCase, TestStatus};
use super::process::{self, Cancel, Exit, Limits};
use super::{Job, Outcome, Verdict};

/// Bytes of output kept per stream of a test binary: enough for any real failure message, small
/// enough that a runaway `println!` loop cannot flood the terminal or memory.
pub const TEST_OUTPUT_CAP: usize = 256 * 1024;

/// The verdict of one job after the build: a compile error, or what its tests say.
pub fn test_job(
    job: &Job,
    built: &BuildOutput,
    env: &[(String, String)],
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
    run_tests(&TestRequest {
        exercise: &job.package,
        binaries,
        env,
        timeout: job.timeout,
        cancel,
    })
}

struct TestRequest<'a> {
    pub exercise: &'a str,
    pub binaries: &'a [TestBinary],
    pub env: &'a [(String, String)],
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
            untrusted: true,
        };
        let out = process::run(cmd, &limits, req.cancel, None, None)
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
