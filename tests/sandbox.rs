//! The grading sandbox against hostile learner code (tests/fixtures/hostile): each escape a
//! learner's `add()` tries — read the grader's files, read a secret variable, reach a listener
//! that is not a service, write outside, fork bomb, allocate without bound — is contained with
//! a clear verdict, while the other exercises still grade. The escapes that are safe to let
//! happen are also graded with `--sandbox off`, where they must succeed: a fixture that
//! stopped attacking would fail here.
//!
//! Needs bubblewrap and cgroups: skipped with a reason without them, a failure when
//! BACKLINGS_REQUIRE_SANDBOX=1 (CI sets it).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Course, case, stderr};
use serde_json::Value;

fn sandbox_here() -> bool {
    if common::bwrap_installed() {
        return true;
    }
    let required = std::env::var("BACKLINGS_REQUIRE_SANDBOX").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "BACKLINGS_REQUIRE_SANDBOX=1 but bubblewrap is not installed"
    );
    eprintln!(
        "skipped: bubblewrap is not installed (BACKLINGS_REQUIRE_SANDBOX=1 makes this a failure)"
    );
    false
}

/// The mini course graded with `attack` (a file of tests/fixtures/hostile, placeholders
/// filled) as the learner's `add`, and greet solved.
struct Attack {
    course: Course,
    learner: Course,
}

impl Attack {
    fn new(attack: &str, fill: &[(&str, &str)]) -> Attack {
        let mut code = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/hostile")
                .join(attack),
        )
        .unwrap();
        for (placeholder, value) in fill {
            code = code.replace(placeholder, value);
        }
        assert!(
            !code.contains("@"),
            "every placeholder of {attack} is filled"
        );
        let learner = Course::fixture("mini");
        learner.write("exercises/01_basics/01_add/src/lib.rs", &code);
        learner.solve("01_basics/02_greet");
        Attack {
            course: Course::fixture("mini"),
            learner,
        }
    }

    /// Grades with `args`; returns the report and stderr.
    fn grade(&self, args: &[&str], env: &[(&str, &str)]) -> (Value, String) {
        let mut cmd = self.course.cmd();
        cmd.arg("grade")
            .arg(self.learner.path())
            .args(["--format", "json"])
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "grading itself succeeds: {}",
            stderr(&out)
        );
        let report =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
        (report, stderr(&out))
    }
}

/// What the attack said it got, from the report's output of `add`.
fn attack_said(report: &Value) -> String {
    let add = case(report, "add");
    add["output"].as_str().unwrap_or_default().to_owned()
}

/// Without the sandbox the attack works: the fixture really attacks.
fn assert_escaped(report: &Value, expected: &str) {
    let said = attack_said(report);
    assert!(
        said.contains(expected),
        "without the sandbox the attack works: {said}"
    );
}

/// The sandbox contained the attack: it said BLOCKED, and the grader's other work went on.
fn assert_blocked(report: &Value, secret: &str) {
    let said = attack_said(report);
    assert!(
        said.contains("BLOCKED"),
        "the attack was not blocked: {said}"
    );
    assert!(!said.contains("ESCAPED"), "{said}");
    let text = report.to_string();
    assert!(
        !text.contains(secret),
        "the secret is in the report: {text}"
    );
    assert_eq!(
        case(report, "greet")["status"],
        "pass",
        "the other exercises still grade"
    );
}

#[test]
fn the_graders_files_cannot_be_read() {
    if !sandbox_here() {
        return;
    }
    let grader = tempfile::tempdir().unwrap();
    let key = grader.path().join(".ssh/id_ed25519");
    std::fs::create_dir_all(key.parent().unwrap()).unwrap();
    std::fs::write(&key, "PRIVATE-KEY-7f3a9c").unwrap();
    let home = std::env::var("HOME").unwrap();
    let attack = Attack::new(
        "read_file.rs",
        &[("@SECRET_FILE@", key.to_str().unwrap()), ("@HOME@", &home)],
    );
    let (report, said) = attack.grade(&["--sandbox", "on"], &[]);
    assert!(
        said.starts_with("sandbox: bubblewrap"),
        "grade says it sandboxes: {said}"
    );
    assert_blocked(&report, "PRIVATE-KEY-7f3a9c");
    assert!(attack_said(&report).contains("No such file or directory"));

    let (report, _) = attack.grade(&["--sandbox", "off"], &[]);
    assert_escaped(&report, "ESCAPED: read the key: PRIVATE-KEY-7f3a9c");
}

#[test]
fn the_graders_environment_is_not_passed_on_at_run_or_compile_time() {
    if !sandbox_here() {
        return;
    }
    let attack = Attack::new("env_secret.rs", &[]);
    let secret = [("GRADER_SECRET", "hunter2-b81e")];
    let (report, _) = attack.grade(&["--sandbox", "on"], &secret);
    assert_blocked(&report, "hunter2-b81e");

    let (report, _) = attack.grade(&["--sandbox", "off"], &secret);
    assert_escaped(
        &report,
        "ESCAPED: GRADER_SECRET at compile time: hunter2-b81e",
    );
}

#[test]
fn a_listener_that_is_not_a_service_cannot_be_reached() {
    if !sandbox_here() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = Vec::new();
            let _ = conn.read_to_end(&mut buf);
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    let attack = Attack::new("connect.rs", &[("@PORT@", &port)]);
    let (report, _) = attack.grade(&["--sandbox", "on"], &[]);
    assert_blocked(&report, "ESCAPED");
    assert!(
        attack_said(&report).contains("Connection refused"),
        "{}",
        attack_said(&report)
    );
    assert_eq!(
        received.load(Ordering::SeqCst),
        0,
        "nothing reached the listener"
    );

    let (report, _) = attack.grade(&["--sandbox", "off"], &[]);
    assert_escaped(&report, "ESCAPED: connected");
    assert!(received.load(Ordering::SeqCst) > 0);
}

#[test]
fn nothing_outside_can_be_written() {
    if !sandbox_here() {
        return;
    }
    let grader = tempfile::tempdir().unwrap();
    let outside = grader.path().join("pwned");
    let attack = Attack::new(
        "write_outside.rs",
        &[("@OUTSIDE@", outside.to_str().unwrap())],
    );
    let (report, _) = attack.grade(&["--sandbox", "on"], &[]);
    assert_blocked(&report, "pwned\"");
    assert!(
        attack_said(&report).contains("Read-only file system"),
        "{}",
        attack_said(&report)
    );
    assert!(
        !outside.exists(),
        "the sandboxed code wrote {}",
        outside.display()
    );

    let (report, _) = attack.grade(&["--sandbox", "off"], &[]);
    assert_escaped(&report, "ESCAPED: wrote");
    assert!(outside.exists());
}

/// Never run without the sandbox: it would take the machine down.
#[test]
fn a_fork_bomb_is_killed_at_the_process_limit() {
    if !sandbox_here() {
        return;
    }
    let attack = Attack::new("fork_bomb.rs", &[]);
    let started = Instant::now();
    let (report, _) = attack.grade(&["--sandbox", "on", "--process-limit", "64"], &[]);
    let add = case(&report, "add");
    assert_eq!(add["status"], "fail");
    assert_eq!(
        add["message"],
        "killed: tried to run more than 64 processes and threads at once (a fork bomb?)",
        "{add:#}"
    );
    assert_eq!(case(&report, "greet")["status"], "pass");
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "killed at the limit, not at a deadline"
    );
    let bombs = std::process::Command::new("pgrep")
        .args(["-f", "bomb"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&bombs.stdout).trim().is_empty(),
        "no process of the bomb outlived grading"
    );
}

/// Never run without the sandbox: it would take the machine's memory.
#[test]
fn an_unbounded_allocation_is_killed_at_the_memory_limit() {
    if !sandbox_here() {
        return;
    }
    let attack = Attack::new("unbounded_alloc.rs", &[]);
    let (report, _) = attack.grade(&["--sandbox", "on", "--memory-limit", "256MiB"], &[]);
    let add = case(&report, "add");
    assert_eq!(add["status"], "fail");
    assert_eq!(add["points"], 0);
    assert_eq!(
        add["message"], "killed: used more than 256 MiB of memory",
        "{add:#}"
    );
    assert_eq!(case(&report, "greet")["status"], "pass");
}

#[test]
fn sandbox_on_refuses_where_it_cannot_and_auto_says_so() {
    let course = Course::fixture("mini");
    let learner = Course::fixture("mini");
    let grade = |mode: &str| {
        course
            .cmd()
            .arg("grade")
            .arg(learner.path())
            .args(["--sandbox", mode])
            .env("BACKLINGS_BWRAP", "/nonexistent/bwrap")
            .output()
            .unwrap()
    };
    let out = grade("on");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let first = stderr(&out).lines().next().unwrap_or_default().to_owned();
    assert_eq!(
        first,
        "error: --sandbox on: cannot sandbox here: bubblewrap is not installed (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap)"
    );

    let out = grade("auto");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("warning: no sandbox: bubblewrap is not installed"),
        "{err}"
    );
    assert!(err.contains("runs as you"), "{err}");
}

#[test]
fn bad_limits_are_usage_errors() {
    let course = Course::fixture("mini");
    let out = course
        .cmd()
        .args(["grade", ".", "--memory-limit", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`lots` is not a size: write e.g. 2GiB or 512MiB"));
}

/// run, check-all and verify sandbox on request only: a learner's own code is theirs to run.
#[test]
fn run_and_verify_use_the_sandbox_when_asked() {
    if !sandbox_here() {
        return;
    }
    let attack = Attack::new("env_secret.rs", &[]);
    let run = |args: &[&str]| {
        attack
            .learner
            .cmd()
            .args(["run", "add"])
            .args(args)
            .env("GRADER_SECRET", "hunter2-b81e")
            .output()
            .unwrap()
    };
    let out = run(&["--sandbox", "on"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let said = common::stdout(&out);
    assert!(said.contains("BLOCKED"), "{said}");
    assert!(!said.contains("hunter2"), "{said}");
    assert!(
        stderr(&out).starts_with("sandbox: bubblewrap"),
        "{}",
        stderr(&out)
    );

    let out = run(&[]);
    assert!(
        common::stdout(&out).contains("ESCAPED"),
        "without --sandbox, run is the learner's own cargo test"
    );

    let out = attack
        .course
        .cmd()
        .args([
            "verify",
            "--skip-style",
            "--sandbox",
            "on",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "the fixture course verifies in the sandbox: {}",
        common::stdout(&out)
    );
}
