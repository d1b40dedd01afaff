//! The `exercise` CLI, driven as a learner would, on the small fixture course in
//! tests/fixtures/mini.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Course, stderr, stdout};
use predicates::prelude::*;

#[test]
fn run_fails_unsolved_and_passes_solved() {
    let course = Course::fixture("mini");
    let out = course.cmd().args(["run", "add"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "unsolved exercise must exit 1\n{}",
        stdout(&out)
    );
    let text = stdout(&out);
    assert!(text.contains("add: 2 of 2 tests failed"), "{text}");
    assert!(
        text.contains("tests/checks: adds"),
        "failing test names are shown: {text}"
    );
    assert!(
        text.contains("not yet implemented: add them"),
        "the panic message is shown: {text}"
    );
    assert!(
        !text.contains("RUST_BACKTRACE"),
        "libtest noise is stripped: {text}"
    );

    course.solve("01_basics/01_add");
    let out = course.cmd().args(["run", "add"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("add passed (2 tests"));
    assert!(
        stdout(&out).contains("solutions/01_basics/01_add"),
        "points at the solution to compare with"
    );
    assert_eq!(course.state()["done"], serde_json::json!(["add"]));
}

#[test]
fn failing_assertion_message_is_shown_compactly() {
    let course = Course::fixture("mini");
    let out = course.cmd().args(["run", "greet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("greet with a comma and an exclamation mark"),
        "{text}"
    );
    assert!(text.contains("left: \"Ada\""), "{text}");
    assert!(
        text.contains("at 01_basics/02_greet/tests/checks.rs:3:5"),
        "{text}"
    );
    assert!(
        !text.contains("\u{1b}["),
        "--color never prints no escapes: {text:?}"
    );
}

#[test]
fn compile_errors_are_shown_as_cargo_renders_them() {
    let course = Course::fixture("mini");
    course.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a + \"b\" }\n",
    );
    let out = course.cmd().args(["run", "add"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("add does not compile yet"), "{text}");
    assert!(
        text.contains("error[E0277]"),
        "rustc's error code is shown: {text}"
    );
    assert!(text.contains("src/lib.rs:1"), "with its location: {text}");
    assert!(
        !text.contains("Compiling add"),
        "cargo's progress lines are not part of the verdict: {text}"
    );
}

#[test]
fn run_defaults_to_the_current_exercise() {
    let course = Course::fixture("mini");
    course
        .cmd()
        .arg("run")
        .assert()
        .code(1)
        .stdout(predicate::str::contains("add: 2 of 2 tests failed"));
}

#[test]
fn looping_test_is_killed_at_its_timeout() {
    let course = Course::fixture("mini");
    // Build first so the timing below measures the run, not the compile.
    course.cmd().args(["run", "add"]).output().unwrap();
    let started = Instant::now();
    let out = course.cmd().args(["run", "looper"]).output().unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("timed out after 2 s — an infinite loop or a deadlock?"),
        "{text}"
    );
    assert!(
        took < Duration::from_secs(60),
        "the runner gave up after {took:?}"
    );
    // The test binary was killed with its process group, not left spinning.
    let ps = std::process::Command::new("pgrep")
        .args(["-f", "deps/checks-"])
        .output()
        .unwrap();
    let leftovers: Vec<_> = stdout(&ps)
        .lines()
        .filter_map(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).ok())
        .filter(|cwd| cwd.starts_with(course.path()))
        .collect();
    assert!(
        leftovers.is_empty(),
        "test processes survived the timeout: {leftovers:?}"
    );
}

#[test]
fn state_survives_a_restart() {
    let course = Course::fixture("mini");
    course.solve("01_basics/01_add");
    course.cmd().args(["run", "add"]).assert().success();
    let list = course.list_json();
    assert_eq!(
        list[0]["done"], true,
        "a fresh process reads the saved progress"
    );
    assert_eq!(list[1]["done"], false);
}

#[test]
fn state_survives_a_kill_during_write() {
    let course = Course::fixture("mini");
    course.solve("01_basics/01_add");
    course.cmd().args(["run", "add"]).assert().success();
    let before = course.read(".backlings/state.json");

    // `greet` solved too: the next write would add it. Kill the process inside the write.
    course.solve("01_basics/02_greet");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exercise"))
        .args(["--course", course.path().to_str().unwrap(), "run", "greet"])
        .env("BACKLINGS_TEST_PAUSE_BEFORE_RENAME_MS", "30000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the temp file exists, i.e. the write is under way, then kill -9.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let temp_exists = std::fs::read_dir(course.file(".backlings"))
            .unwrap()
            .any(|e| e.unwrap().file_name().to_string_lossy().starts_with(".tmp"));
        if temp_exists {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run never reached the state write"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        course.read(".backlings/state.json"),
        before,
        "the old state is intact after the kill"
    );
    let list = course.list_json();
    assert_eq!(list[0]["done"], true);
    assert_eq!(
        list[1]["done"], false,
        "the interrupted write left no half state"
    );
}

#[test]
fn corrupt_state_is_a_clear_error() {
    let course = Course::fixture("mini");
    course.write(".backlings/state.json", "{\"tool\": \"backlings\", \"for");
    let out = course.cmd().args(["list", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("error: ") && first.contains("state.json is unreadable"),
        "{err}"
    );
    assert!(err.contains("mv "), "it says how to get out: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn reset_restores_pristine_files_and_keeps_a_backup() {
    let course = Course::fixture("mini");
    let pristine = course.read("exercises/01_basics/01_add/src/lib.rs");
    course.cmd().arg("list").assert().success(); // first use: the pristine snapshot is taken
    course.solve("01_basics/01_add");
    course.cmd().args(["run", "add"]).assert().success();
    let mine = course.read("exercises/01_basics/01_add/src/lib.rs");

    // Without a terminal and without --yes, nothing happens.
    course
        .cmd()
        .args(["reset", "add"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(course.read("exercises/01_basics/01_add/src/lib.rs"), mine);

    let out = course
        .cmd()
        .args(["reset", "add", "--yes"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        course.read("exercises/01_basics/01_add/src/lib.rs"),
        pristine
    );
    let text = stdout(&out);
    let backup_line = text
        .lines()
        .find(|l| l.contains("Your version is in"))
        .expect("names the backup");
    let backup = std::path::PathBuf::from(backup_line.rsplit(' ').next().unwrap());
    assert_eq!(
        std::fs::read_to_string(backup.join("src/lib.rs")).unwrap(),
        mine,
        "the learner's version is kept"
    );
    assert_eq!(
        course.list_json()[0]["done"],
        false,
        "a reset exercise is pending again"
    );
}

#[test]
fn list_json_shape() {
    let course = Course::fixture("mini");
    let list = course.list_json();
    let arr = list.as_array().unwrap();
    assert_eq!(arr.len(), 3);
    let first = arr[0].as_object().unwrap();
    let mut keys: Vec<_> = first.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["current", "dir", "done", "name", "services", "topic"]
    );
    assert_eq!(arr[0]["name"], "add");
    assert_eq!(arr[0]["topic"], "basics");
    assert_eq!(arr[0]["dir"], "exercises/01_basics/01_add");
    assert_eq!(arr[0]["current"], true);
    assert_eq!(arr[1]["current"], false);
    assert_eq!(arr[0]["services"], serde_json::json!([]));
}

#[test]
fn plain_list_without_a_terminal() {
    let course = Course::fixture("mini");
    course
        .cmd()
        .arg("list")
        .assert()
        .success()
        .stdout(predicate::str::contains("pending add"))
        .stdout(predicate::str::contains("0/3 done"));
}

#[test]
fn malformed_manifest_is_one_clear_error_with_line_and_column() {
    let course = Course::fixture("mini");
    let text = course.read("info.toml").replace(
        "hint = \"Use the + operator.\"",
        "hint = \"Use the + operator.\"\nhnit = 1",
    );
    course.write("info.toml", &text);
    let out = course.cmd().arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.lines().count() <= 2, "short: {err}");
    let first = err.lines().next().unwrap();
    assert!(
        first.contains("info.toml:15:1: unknown field `hnit`"),
        "{first}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn missing_exercise_dir_is_a_clear_error() {
    let course = Course::fixture("mini");
    std::fs::remove_dir_all(course.file("exercises/01_basics/02_greet")).unwrap();
    let out = course.cmd().args(["run", "greet"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.starts_with("error: exercise `greet`:"), "{err}");
    assert!(err.contains("02_greet/Cargo.toml is missing"), "{err}");
}

#[test]
fn unknown_exercise_suggests_the_closest() {
    let course = Course::fixture("mini");
    course
        .cmd()
        .args(["hint", "gret"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "no exercise named `gret` (did you mean `greet`?",
        ));
    course
        .cmd()
        .args(["hint", "greet"])
        .assert()
        .success()
        .stdout(predicate::str::contains("format! builds strings."));
}

#[test]
fn no_course_suggests_init() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = assert_cmd::Command::cargo_bin("exercise").unwrap();
    cmd.current_dir(dir.path())
        .env_remove("BACKLINGS_COURSE")
        .arg("list")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("exercise init"));
}

#[test]
fn init_writes_the_embedded_course_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("course");
    let mut cmd = assert_cmd::Command::cargo_bin("exercise").unwrap();
    cmd.arg("init").arg(&target).assert().success();
    for f in [
        "info.toml",
        "exercises/Cargo.toml",
        "exercises/Cargo.lock",
        ".gitignore",
        ".vscode/settings.json",
    ] {
        assert!(target.join(f).is_file(), "{f} written");
    }
    assert!(
        target
            .join("solutions/01_rust_services/01_errors/src/lib.rs")
            .is_file()
    );
    assert!(
        !target.join("exercises/target").exists(),
        "no build output is embedded"
    );
    let embedded_manifest = std::fs::read(target.join("info.toml")).unwrap();
    let repo_manifest = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/info.toml")).unwrap();
    assert_eq!(embedded_manifest, repo_manifest);
    let mut again = assert_cmd::Command::cargo_bin("exercise").unwrap();
    again
        .arg("init")
        .arg(&target)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not empty"));
}

#[test]
fn check_all_updates_progress() {
    let course = Course::fixture("mini");
    course.solve("01_basics/01_add");
    course.solve("01_basics/03_looper");
    let out = course.cmd().arg("check-all").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "greet still fails");
    let text = stdout(&out);
    assert!(text.contains("✓ add"), "{text}");
    assert!(text.contains("✗ greet"), "{text}");
    assert!(
        text.contains("2 of 3 exercises done. Next up: greet"),
        "{text}"
    );
    let list = course.list_json();
    assert_eq!(
        (
            list[0]["done"].clone(),
            list[1]["current"].clone(),
            list[2]["done"].clone()
        ),
        (true.into(), true.into(), true.into())
    );
}

#[test]
fn dev_new_scaffolds_a_failing_exercise() {
    let course = Course::fixture("mini");
    course
        .cmd()
        .args(["dev", "new", "subtract", "--topic", "basics"])
        .assert()
        .success();
    let manifest = course.read("info.toml");
    assert!(manifest.contains("name = \"subtract\""));
    assert!(
        manifest.find("name = \"subtract\"") > manifest.find("name = \"looper\""),
        "appended after the topic's last exercise"
    );
    assert!(
        course
            .file("exercises/01_basics/04_subtract/README.md")
            .is_file()
    );
    assert!(
        course
            .file("solutions/01_basics/04_subtract/src/lib.rs")
            .is_file()
    );
    // It compiles, fails unsolved and passes with its solution.
    course
        .cmd()
        .args(["run", "subtract"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("subtract: 1 of 1 tests failed"));
    course.solve("01_basics/04_subtract");
    course.cmd().args(["run", "subtract"]).assert().success();
    course
        .cmd()
        .args(["dev", "new", "subtract", "--topic", "basics"])
        .assert()
        .code(2);
    course
        .cmd()
        .args(["dev", "new", "x", "--topic", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no topic `nope`"));
}

/// Watch mode end to end, through its machine-readable event stream: the verdict flips when the
/// file is saved, with no key pressed; `n` moves on; closing stdin quits.
#[test]
fn watch_reruns_on_save_and_moves_on() {
    let course = Course::fixture("mini");
    let mut child = common::spawn_watch(&course, &[], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<serde_json::Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Ok(v) = serde_json::from_str(&line) else {
                panic!("not JSON: {line}")
            };
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    let wait_for = |pred: &dyn Fn(&serde_json::Value) -> bool, what: &str| -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => continue,
                Err(_) => panic!("no {what} event within 120 s"),
            }
        }
    };
    let start = wait_for(&|v| v["event"] == "start", "start");
    assert_eq!(start["exercise"], "add");
    let first = wait_for(&|v| v["event"] == "verdict", "first verdict");
    assert_eq!(first["verdict"], "tests_failed");
    assert_eq!(first["failed_tests"].as_array().unwrap().len(), 2);

    // `n` before the exercise passes is refused.
    writeln!(stdin, "n").unwrap();
    wait_for(&|v| v["event"] == "error", "refusal of n");

    // Save the fix: the verdict flips without any key.
    course.solve("01_basics/01_add");
    let flipped = wait_for(&|v| v["event"] == "verdict", "verdict after save");
    assert_eq!(flipped["verdict"], "passed", "{flipped}");
    assert_eq!(course.state()["done"], serde_json::json!(["add"]));

    writeln!(stdin, "n").unwrap();
    let current = wait_for(&|v| v["event"] == "current", "next exercise");
    assert_eq!(current["exercise"], "greet");
    let next = wait_for(&|v| v["event"] == "verdict", "greet's verdict");
    assert_eq!(
        (next["exercise"].as_str(), next["verdict"].as_str()),
        (Some("greet"), Some("tests_failed"))
    );

    writeln!(stdin, "h").unwrap();
    let hint = wait_for(&|v| v["event"] == "hint", "hint");
    assert_eq!(hint["hint"], "format! builds strings.");

    drop(stdin);
    wait_for(&|v| v["event"] == "quit", "quit");
    assert!(child.wait().unwrap().success());
    assert_eq!(course.state()["current"], "greet", "the position is saved");
}

#[test]
fn watch_reset_asks_and_restores() {
    let course = Course::fixture("mini");
    course.cmd().arg("list").assert().success(); // first use: the pristine snapshot is taken
    course.solve("01_basics/01_add");
    let mut child = common::spawn_watch(&course, &[], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_event = |name: &str| loop {
        let line = lines.next().expect("event stream ended").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["event"] == name {
            return v;
        }
    };
    assert_eq!(next_event("verdict")["verdict"], "passed");
    writeln!(stdin, "x").unwrap();
    next_event("confirm");
    writeln!(stdin, "y").unwrap();
    let reset = next_event("reset");
    assert!(reset["backup"].as_str().unwrap().contains("backups"));
    assert!(
        course
            .read("exercises/01_basics/01_add/src/lib.rs")
            .contains("todo!")
    );
    // The restored file is an edit like any other: it is re-run and fails again.
    assert_eq!(next_event("verdict")["verdict"], "tests_failed");
    drop(stdin);
    next_event("quit");
    child.wait().unwrap();
}

/// Check-all runs off watch's event loop: `q` pressed right after `c` quits at once instead of
/// waiting for every exercise to be built and tested (looper alone runs into its 2 s timeout).
#[test]
fn watch_quits_while_check_all_runs() {
    let course = Course::fixture("mini");
    let mut child = common::spawn_watch(&course, &[], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next_event = || {
        let line = lines.next().expect("event stream ended").unwrap();
        serde_json::from_str::<serde_json::Value>(&line).unwrap()
    };
    while next_event()["event"] != "verdict" {}
    // Both keys are queued before the loop sees the first: a check-all on the loop's own
    // thread would finish (and report) before `q` is read.
    writeln!(stdin, "c\nq").unwrap();
    let mut after = Vec::new();
    loop {
        let event = next_event()["event"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if event == "quit" {
            break;
        }
        after.push(event);
    }
    assert!(
        !after.iter().any(|e| e == "check_all"),
        "quit waited for check-all: {after:?}"
    );
    assert!(child.wait().unwrap().success());
}

/// Ctrl-C is an event, not an exit from the signal handler: the running test binary is
/// stopped, the interrupted run is not recorded as a verdict, and the command exits 130.
#[test]
fn ctrl_c_during_a_run_exits_130_and_records_nothing() {
    let course = Course::fixture("mini");
    let looping = course.read("exercises/01_basics/03_looper/src/lib.rs");
    course.solve("01_basics/03_looper");
    course.cmd().args(["run", "looper"]).assert().success();
    course.write("exercises/01_basics/03_looper/src/lib.rs", &looping);

    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exercise"))
        .arg("--course")
        .arg(course.path())
        .args(["run", "looper"])
        .env_remove("CARGO_TARGET_DIR")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until looper's test binary (below this course's target dir) is running.
    let deps = course.path().join("exercises/target/debug/deps");
    let deps = deps.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let running = std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
            std::fs::read(p.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).starts_with(&deps))
        });
        if running {
            break;
        }
        assert!(Instant::now() < deadline, "looper's tests never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    backlings::sys::interrupt(child.id() as i32);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stdout(&out));
    assert!(
        !stdout(&out).contains("timed out"),
        "an interrupted run is not a verdict: {}",
        stdout(&out)
    );
    assert_eq!(
        course.state()["done"],
        serde_json::json!(["looper"]),
        "the interrupted run did not undo the earlier pass"
    );
}

/// The mini course plus an exercise whose build takes seconds (its build script sleeps), so a
/// background preparation is still running when the test saves a file.
fn course_with_a_slow_build() -> Course {
    let course = Course::fixture("mini");
    let dir = "exercises/01_basics/04_slow";
    course.write(
        &format!("{dir}/Cargo.toml"),
        "[package]\nname = \"slow\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n",
    );
    course.write(
        &format!("{dir}/build.rs"),
        "fn main() { std::thread::sleep(std::time::Duration::from_secs(4)); }\n",
    );
    course.write(&format!("{dir}/src/lib.rs"), "pub fn one() -> u32 { 1 }\n");
    course.write(
        &format!("{dir}/tests/checks.rs"),
        "#[test]\nfn one() { assert_eq!(slow::one(), 1); }\n",
    );
    let manifest = course.read("info.toml")
        + "\n[[exercises]]\nname = \"slow\"\ntopic = \"basics\"\ndir = \"01_basics/04_slow\"\nhint = \"h\"\n";
    course.write("info.toml", &manifest);
    course
}

/// Events of a watch process, one JSON value per line.
fn events(child: &mut std::process::Child) -> impl FnMut() -> serde_json::Value + use<> {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    move || {
        let line = lines.next().expect("event stream ended").unwrap();
        serde_json::from_str(&line).unwrap()
    }
}

/// After the first verdict, watch builds the rest of the course in the background: a save
/// preempts it and gets its verdict, then it resumes and finishes, though one exercise does
/// not compile.
#[test]
fn background_preparation_yields_to_a_save_and_resumes() {
    let course = course_with_a_slow_build();
    course.write(
        "exercises/01_basics/02_greet/src/lib.rs",
        "pub fn greet( {}\n",
    );
    let mut child = common::spawn_watch(&course, &[], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let mut next = events(&mut child);
    let mut until = |name: &str| -> serde_json::Value {
        loop {
            let v = next();
            if v["event"] == name {
                return v;
            }
        }
    };
    assert_eq!(until("verdict")["verdict"], "tests_failed");
    assert_eq!(until("prepare")["state"], "started");
    course.solve("01_basics/01_add");
    assert_eq!(
        until("prepare")["state"],
        "preempted",
        "a save stops the preparation"
    );
    let verdict = until("verdict");
    assert_eq!(
        verdict["verdict"], "passed",
        "the save gets its verdict: {verdict}"
    );
    assert_eq!(
        until("prepare")["state"],
        "started",
        "and the preparation resumes"
    );
    assert_eq!(
        until("prepare")["state"],
        "done",
        "a broken exercise does not stop it"
    );
    writeln!(stdin, "q").unwrap();
    until("quit");
    assert!(child.wait().unwrap().success());
    let built = course.path().join("exercises/target/debug/build");
    assert!(
        std::fs::read_dir(&built)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("slow-")),
        "the slow exercise was built ahead of time"
    );
}

/// `--no-prepare`, or BACKLINGS_NO_PREPARE=1 for a learner who wants it off for good.
#[test]
fn background_preparation_can_be_turned_off() {
    let course = course_with_a_slow_build();
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("exercise"))
        .arg("--course")
        .arg(course.path())
        .args(["watch", "--events"])
        .env_remove("CARGO_TARGET_DIR")
        .env("BACKLINGS_NO_PREPARE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut next = events(&mut child);
    let mut seen = Vec::new();
    loop {
        let v = next();
        if v["event"] == "verdict" {
            writeln!(stdin, "q").unwrap();
        }
        let name = v["event"].as_str().unwrap_or_default().to_owned();
        if name == "quit" {
            break;
        }
        seen.push(name);
    }
    assert!(!seen.iter().any(|e| e == "prepare"), "{seen:?}");
    assert!(child.wait().unwrap().success());
}

/// A learner walks an exercise where they write the tests, through watch's event stream: no
/// tests catch no bug, each save moves the count, `n` waits until every bug is caught; reset
/// restores their test file and keeps their version.
#[test]
fn watch_walks_a_tests_exercise_by_bugs_caught() {
    let course = Course::fixture("hunt");
    let mut child = common::spawn_watch(&course, &[], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let mut next = events(&mut child);
    let mut verdict = || loop {
        let v = next();
        if v["event"] == "verdict" {
            return v;
        }
    };
    let tests = "exercises/01_basics/01_fizzbuzz/tests/fizzbuzz.rs";
    let first = verdict();
    assert_eq!(
        (first["exercise"].as_str(), first["verdict"].as_str()),
        (Some("fizzbuzz"), Some("bugs_missed"))
    );
    assert_eq!(
        (
            first["bugs"]["caught"].as_u64(),
            first["bugs"]["total"].as_u64()
        ),
        (Some(0), Some(3))
    );

    course.write(
        tests,
        "use fizzbuzz::fizzbuzz;\n#[test]\nfn numbers() { assert_eq!(fizzbuzz(1), \"1\"); }\n",
    );
    let one = verdict();
    assert_eq!(one["bugs"]["caught"], 1, "{one}");
    assert_eq!(
        one["bugs"]["missed"],
        serde_json::json!([
            "says Buzz for multiples of 15",
            "says Fizz for 3 but not for its other multiples"
        ])
    );
    writeln!(stdin, "n").unwrap();

    // A test that fails on the correct implementation is the learner's mistake, named as such.
    course.write(
        tests,
        "use fizzbuzz::fizzbuzz;\n#[test]\nfn wrong() { assert_eq!(fizzbuzz(3), \"3\"); }\n",
    );
    let wrong = verdict();
    assert_eq!(wrong["verdict"], "tests_failed", "{wrong}");

    course.write(
        tests,
        &course.read("solutions/01_basics/01_fizzbuzz/tests/fizzbuzz.rs"),
    );
    let done = verdict();
    assert_eq!(done["verdict"], "passed", "{done}");
    assert_eq!(done["bugs"]["caught"], 3);
    assert_eq!(course.state()["done"], serde_json::json!(["fizzbuzz"]));
    writeln!(stdin, "n").unwrap();
    let add = verdict();
    assert_eq!(add["exercise"], "add");
    writeln!(stdin, "q").unwrap();
    assert!(child.wait().unwrap().success());

    course
        .cmd()
        .args(["reset", "fizzbuzz", "--yes"])
        .assert()
        .success();
    assert!(
        !course.read(tests).contains("#[test]"),
        "the shipped test file is back"
    );
    let backups = std::fs::read_dir(course.file(".backlings/backups")).unwrap();
    let backup = backups.flatten().next().unwrap().path();
    assert!(
        std::fs::read_to_string(backup.join("tests/fizzbuzz.rs"))
            .unwrap()
            .contains("multiples_of_fifteen_fizzbuzz"),
        "the learner's tests are kept"
    );
}

/// `exercise run` on a tests exercise names the bugs still let through.
#[test]
fn run_names_the_bugs_a_learners_tests_let_through() {
    let course = Course::fixture("hunt");
    let out = course.cmd().args(["run", "fizzbuzz"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("✗ fizzbuzz: 0 of 3 bugs caught"), "{text}");
    assert!(text.contains("• writes the number after n"), "{text}");
}
