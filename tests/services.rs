//! The services layer, end to end: provider selection, per-run isolation, container reuse and
//! cleanup (normal exit, SIGINT, orphans after SIGKILL), and the clear errors.
//!
//! Tests that need a container engine or local binaries skip with a printed reason when those
//! are missing, and fail instead when BACKLINGS_REQUIRE_SERVICES=1 (CI sets it).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Course, stderr, stdout};

const PROBES: [&str; 5] = [
    "01_db/01_pg_probe",
    "01_db/02_pg_probe_two",
    "01_db/03_redis_probe",
    "02_bus/01_nats_probe",
    "02_bus/02_nats_probe_two",
];

/// The first probe of each service, and its service's title in messages.
const ONE_PER_SERVICE: [(&str, &str); 2] = [("pg_probe", "Postgres"), ("nats_probe", "NATS")];

fn solved_svc() -> Course {
    let course = Course::fixture("svc");
    for dir in PROBES {
        course.solve(dir);
    }
    course
}

/// The solved fixture with only `exercises` in its manifest: watch starts on the first.
fn solved_only(exercises: &[&str]) -> Course {
    let course = solved_svc();
    let manifest = course.read("info.toml");
    let mut blocks = manifest.split("\n[[exercises]]\n");
    let mut text = blocks.next().unwrap().to_owned();
    let kept: Vec<&str> = blocks
        .filter(|b| {
            exercises
                .iter()
                .any(|e| b.starts_with(&format!("name = \"{e}\"\n")))
        })
        .collect();
    assert_eq!(
        kept.len(),
        exercises.len(),
        "{exercises:?} are in the fixture"
    );
    for block in kept {
        text.push_str("\n[[exercises]]\n");
        text.push_str(block);
    }
    course.write("info.toml", &text);
    course
}

/// The streams on a NATS server, through the protocol (the runner's own client is not under
/// test here: it lists what a run left behind).
fn streams(url: &str) -> Vec<String> {
    backlings::services::nats_wire::Connection::open(url, Duration::from_secs(5))
        .and_then(|mut c| c.stream_names())
        .unwrap()
}

/// A nats-server of the test's own on a free port, JetStream on or off; killed on drop.
struct OwnNats {
    child: std::process::Child,
    url: String,
    _store: tempfile::TempDir,
}

impl OwnNats {
    fn start(jetstream: bool) -> OwnNats {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(nats_server());
        cmd.args(["--addr", "127.0.0.1", "--port", &port.to_string()])
            .arg("--store_dir")
            .arg(store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if jetstream {
            cmd.arg("--jetstream");
        }
        let child = cmd.spawn().unwrap();
        let url = format!("nats://127.0.0.1:{port}");
        wait_until("our nats-server", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        OwnNats {
            child,
            url,
            _store: store,
        }
    }
}

impl Drop for OwnNats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn nats_server() -> String {
    ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
        .into_iter()
        .find(|p| std::path::Path::new(p).is_file())
        .unwrap_or("nats-server")
        .to_owned()
}

fn required() -> bool {
    std::env::var("BACKLINGS_REQUIRE_SERVICES").is_ok_and(|v| v == "1")
}

fn skip(reason: &str) -> bool {
    assert!(!required(), "BACKLINGS_REQUIRE_SERVICES=1 but {reason}");
    eprintln!("skipped: {reason} (set BACKLINGS_REQUIRE_SERVICES=1 to make this a failure)");
    false
}

/// A raw HTTP/1.0 request to the Docker API socket, independent of the code under test.
fn docker_api(path: &str) -> Option<String> {
    let host =
        std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into());
    let socket = host.strip_prefix("unix://")?;
    let mut stream = UnixStream::connect(socket).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
}

fn engine() -> bool {
    match docker_api("/_ping") {
        Some(body) if body.trim() == "OK" => true,
        _ => skip("no container engine answers at DOCKER_HOST"),
    }
}

fn local_binaries() -> bool {
    let has = |bin: &str| {
        Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let pg = has("postgres") || std::fs::read_dir("/usr/lib/postgresql").is_ok();
    if pg && has("redis-server") && has("psql") && has("redis-cli") && has(&nats_server()) {
        true
    } else {
        skip("postgres, redis-server, nats-server, psql or redis-cli is not installed")
    }
}

/// Containers labelled for this course (optionally only those of one CLI process).
fn containers(course: &Course, pid: Option<u32>) -> usize {
    let mut labels = vec![format!(
        "\"io.backlings.course={}\"",
        course.path().canonicalize().unwrap().display()
    )];
    if let Some(pid) = pid {
        labels.push(format!("\"io.backlings.pid={pid}\""));
    }
    let filters = format!("{{\"label\":[{}]}}", labels.join(","));
    let query: String = filters
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let body =
        docker_api(&format!("/containers/json?all=1&filters={query}")).expect("the engine answers");
    let list: serde_json::Value =
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    list.as_array().map_or(0, Vec::len)
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn with_provider(course: &Course, provider: &str) -> assert_cmd::Command {
    let mut cmd = course.cmd();
    cmd.args(["--services", provider]);
    cmd
}

#[test]
fn doctor_shows_the_selection_order() {
    let course = Course::fixture("svc");
    // Nothing at all: no engine, no binaries, no URLs.
    let out = course
        .cmd()
        .arg("doctor")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("BACKLINGS_POSTGRES_BIN", "/nonexistent")
        .env("BACKLINGS_REDIS_SERVER", "/nonexistent")
        .env("BACKLINGS_NATS_SERVER", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("✗ postgres from nowhere"), "{text}");
    assert!(text.contains("✗ nats from nowhere"), "{text}");
    assert!(text.contains("fix: `apt install postgresql`"), "{text}");

    // A URL wins over everything else.
    let out = course
        .cmd()
        .arg("doctor")
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("DATABASE_URL", "postgres://somewhere/db")
        .env("BACKLINGS_REDIS_SERVER", "/nonexistent")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("✓ postgres from external"), "{text}");
    assert!(text.contains("✗ redis from nowhere"), "{text}");
    assert!(
        text.contains("fix: `apt install nats-server`") || text.contains("✓ nats from local"),
        "{text}"
    );

    // Local binaries are the fallback when no engine answers.
    if local_binaries() {
        let out = course
            .cmd()
            .arg("doctor")
            .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
            .output()
            .unwrap();
        assert!(
            stdout(&out).contains("✓ postgres from local"),
            "{}",
            stdout(&out)
        );
    }
    // An engine comes before local binaries.
    if engine() {
        let out = course.cmd().arg("doctor").output().unwrap();
        assert!(
            stdout(&out).contains("✓ postgres from container"),
            "{}",
            stdout(&out)
        );
    }
}

#[test]
fn no_engine_and_no_binaries_is_one_clear_error() {
    let course = solved_svc();
    let out = course
        .cmd()
        .args(["run", "pg_probe"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .env("BACKLINGS_POSTGRES_BIN", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "a missing service is not a failed exercise: it has an exit code of its own"
    );
    let text = stdout(&out);
    assert!(
        text.contains("this exercise needs Postgres, and none is available"),
        "{text}"
    );
    for way in [
        "1. a container engine",
        "2. local binaries",
        "3. a server you run: export DATABASE_URL=",
    ] {
        assert!(text.contains(way), "names the way `{way}`: {text}");
    }
}

#[test]
fn explicit_providers_say_what_is_missing() {
    let course = solved_svc();
    let out = with_provider(&course, "external")
        .args(["run", "pg_probe"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "services unavailable");
    assert!(
        stdout(&out).contains("--services external needs DATABASE_URL to be set"),
        "{}",
        stdout(&out)
    );
    let out = with_provider(&course, "container")
        .args(["run", "pg_probe"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert!(
        stdout(&out)
            .contains("no container engine answers at DOCKER_HOST=unix:///nonexistent/docker.sock"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn local_provider_isolates_concurrent_runs_and_cleans_up() {
    if !local_binaries() {
        return;
    }
    let course = solved_svc();
    let child = Command::new(assert_cmd::cargo::cargo_bin("exercise"))
        .args([
            "--course",
            course.path().to_str().unwrap(),
            "--services",
            "local",
            "check-all",
            "--jobs",
            "3",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let run_dir = std::env::temp_dir()
        .join("backlings-local")
        .join(format!("run-{}", child.id()));
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("5 of 5 exercises done"));
    assert!(
        !run_dir.exists(),
        "the servers' folder {} outlived the CLI",
        run_dir.display()
    );
    let ps = Command::new("pgrep")
        .args(["-f", &run_dir.display().to_string()])
        .output()
        .unwrap();
    assert!(
        stdout(&ps).trim().is_empty(),
        "servers outlived the CLI: {}",
        stdout(&ps)
    );
}

#[test]
fn container_provider_isolates_concurrent_runs() {
    if !engine() {
        return;
    }
    let course = solved_svc();
    let out = with_provider(&course, "container")
        .args(["check-all", "--jobs", "3"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        containers(&course, None),
        0,
        "containers are removed when the CLI exits"
    );
}

#[test]
fn missing_image_names_the_override_variable() {
    if !engine() {
        return;
    }
    let course = solved_svc();
    let out = with_provider(&course, "container")
        .args(["run", "pg_probe"])
        .env(
            "BACKLINGS_POSTGRES_IMAGE",
            "localhost/backlings-no-such-image:1",
        )
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "services unavailable");
    let text = stdout(&out);
    assert!(
        text.contains("`localhost/backlings-no-such-image:1` is not available"),
        "{text}"
    );
    assert!(text.contains("Set BACKLINGS_POSTGRES_IMAGE"), "{text}");
}

/// Watch mode starts one container per service and reuses it for every run; quitting removes it.
#[test]
fn watch_reuses_one_container_and_removes_it_on_exit() {
    if !engine() {
        return;
    }
    let course = solved_svc();
    let mut child = common::spawn_watch(&course, &["--services", "container"], Stdio::piped());
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut verdict = || loop {
        let line = lines.next().expect("event stream ended").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        if v["event"] == "verdict" {
            return v;
        }
    };
    assert_eq!(verdict()["verdict"], "passed");
    assert_eq!(
        containers(&course, None),
        1,
        "one Postgres container for the session"
    );
    for _ in 0..2 {
        writeln!(stdin, "r").unwrap();
        assert_eq!(verdict()["verdict"], "passed");
    }
    assert_eq!(
        containers(&course, None),
        1,
        "re-runs reuse the container: no new one"
    );
    writeln!(stdin, "q").unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(
        containers(&course, None),
        0,
        "quitting removes the container"
    );
}

#[test]
fn sigint_removes_containers() {
    if !engine() {
        return;
    }
    for (exercise, title) in ONE_PER_SERVICE {
        let course = solved_only(&[exercise]);
        let mut child = common::spawn_watch(&course, &["--services", "container"], Stdio::null());
        // Keep stdin open: `wait()` would close it, and end of input is a normal quit.
        let _stdin = child.stdin.take();
        wait_until(
            &format!("the {title} container"),
            Duration::from_secs(120),
            || containers(&course, Some(child.id())) == 1,
        );
        backlings::sys::interrupt(child.id() as i32);
        let status = child.wait().unwrap();
        assert_eq!(
            status.code(),
            Some(130),
            "Ctrl-C exits with 130 after cleaning up"
        );
        assert_eq!(
            containers(&course, None),
            0,
            "no labelled {title} container is left after Ctrl-C"
        );
    }
}

#[test]
fn orphans_of_a_killed_cli_are_reaped_at_the_next_start() {
    if !engine() {
        return;
    }
    for (exercise, title) in ONE_PER_SERVICE {
        let course = solved_only(&[exercise]);
        let mut child = common::spawn_watch(&course, &["--services", "container"], Stdio::null());
        let killed = child.id();
        wait_until(
            &format!("the {title} container"),
            Duration::from_secs(120),
            || containers(&course, Some(killed)) == 1,
        );
        child.kill().unwrap(); // SIGKILL: no cleanup can run
        child.wait().unwrap();
        assert_eq!(
            containers(&course, Some(killed)),
            1,
            "the {title} orphan is still there"
        );
        with_provider(&course, "container")
            .args(["run", exercise])
            .assert()
            .success();
        assert_eq!(
            containers(&course, Some(killed)),
            0,
            "the next start reaped the {title} orphan"
        );
    }
}

/// A server the learner runs outlives every run: two runs at once each see only their own
/// stream, nothing of theirs is left on it afterwards, and a server without JetStream is
/// refused with what to do.
#[test]
fn nats_runs_are_isolated_and_leave_nothing_on_the_learners_server() {
    if !local_binaries() {
        return;
    }
    let course = solved_only(&["nats_probe", "nats_probe_two"]);
    let server = OwnNats::start(true);
    let out = with_provider(&course, "external")
        .args(["check-all", "--jobs", "2"])
        .env("NATS_URL", &server.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("2 of 2 exercises done"),
        "{}",
        stdout(&out)
    );
    let left: Vec<String> = streams(&server.url)
        .into_iter()
        .filter(|s| s.starts_with("bk_"))
        .collect();
    assert!(left.is_empty(), "the runs' streams outlived them: {left:?}");

    let plain = OwnNats::start(false);
    let out = with_provider(&course, "external")
        .args(["run", "nats_probe"])
        .env("NATS_URL", &plain.url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "services unavailable");
    assert!(
        stdout(&out).contains("runs without JetStream"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn services_up_are_reused_then_stopped() {
    if !local_binaries() {
        return;
    }
    let course = solved_svc();
    let out = with_provider(&course, "local")
        .args(["services", "up"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let url = text
        .lines()
        .find_map(|l| l.strip_prefix("DATABASE_URL="))
        .expect("prints DATABASE_URL=…")
        .to_owned();
    assert!(
        text.lines()
            .any(|l| l.starts_with("REDIS_URL=redis://127.0.0.1:")),
        "{text}"
    );
    let nats_url = text
        .lines()
        .find_map(|l| l.strip_prefix("NATS_URL="))
        .expect("prints NATS_URL=…")
        .to_owned();
    course.cmd().args(["services", "status"]).assert().success();
    // Later runs use them (auto), and URLs given explicitly work as the external provider.
    let out = course
        .cmd()
        .args(["doctor"])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("✓ postgres from services up"),
        "{}",
        stdout(&out)
    );
    course
        .cmd()
        .args(["run", "pg_probe"])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .assert()
        .success();
    with_provider(&course, "external")
        .args(["run", "pg_probe_two"])
        .env("DATABASE_URL", &url)
        .assert()
        .success();
    course
        .cmd()
        .args(["run", "nats_probe"])
        .env("DOCKER_HOST", "unix:///nonexistent")
        .assert()
        .success();
    assert!(
        !streams(&nats_url).iter().any(|s| s.starts_with("bk_")),
        "the run's streams are deleted from the kept server"
    );
    course.cmd().args(["services", "down"]).assert().success();
    course
        .cmd()
        .args(["services", "status"])
        .assert()
        .success()
        .stdout(predicates::str::contains("No services"));
    let probe = Command::new("psql")
        .args([url.as_str(), "-c", "select 1"])
        .output()
        .unwrap();
    assert!(
        !probe.status.success(),
        "the server is stopped after `services down`"
    );
}

#[test]
fn services_up_starts_only_what_is_named() {
    let course = solved_svc();
    let out = course
        .cmd()
        .args(["services", "up", "mysql"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a usage error");
    assert!(
        stderr(&out).contains("no service `mysql`: the services are postgres, redis, nats"),
        "{}",
        stderr(&out)
    );
    if !local_binaries() {
        return;
    }
    let out = with_provider(&course, "local")
        .args(["services", "up", "nats"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let urls: Vec<String> = stdout(&out)
        .lines()
        .filter_map(|l| l.split_once('=').map(|(var, _)| var.to_owned()))
        .collect();
    assert_eq!(urls, ["NATS_URL"], "only NATS is started");
    let out = with_provider(&course, "local")
        .args(["services", "up", "postgres"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already running NATS, without Postgres"),
        "{}",
        stderr(&out)
    );
    course.cmd().args(["services", "down"]).assert().success();
}

/// verify's verdict on a mutant must not depend on its name. Postgres cuts identifiers at 63
/// bytes without an error, so a run database named after a long mutant, plus the per-test
/// suffix the support crate adds (`<run>_<pid>_<n>`), once made two tests' databases the same
/// one: a mutant that is the solution itself was reported as caught. It must survive.
#[test]
fn a_passing_mutant_with_a_long_name_is_reported_as_surviving() {
    if !local_binaries() {
        return;
    }
    let course = Course::fixture("svc");
    let ex = "01_db/01_pg_probe";
    // Two tests at once, each with a database of its own named as backlings-support-db does.
    let per_test = |n: u32| {
        format!(
            r#"
#[test]
fn own_database_{n}() {{
    let url = std::env::var("DATABASE_URL").unwrap();
    let (server, run_db) = url.rsplit_once('/').unwrap();
    let mine = format!("{{run_db}}_{{}}_{n}", std::process::id());
    let psql = |db: &str, sql: &str| {{
        let out = std::process::Command::new("psql")
            .args([format!("{{server}}/{{db}}").as_str(), "-XAtq", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "{{}}", String::from_utf8_lossy(&out.stderr));
    }};
    psql(run_db, &format!("CREATE DATABASE \"{{mine}}\""));
    std::thread::sleep(std::time::Duration::from_millis(300));
    psql(&mine, "SELECT 1");
}}
"#
        )
    };
    course.write(
        &format!("exercises/{ex}/tests/per_test.rs"),
        &(per_test(1) + &per_test(2)),
    );
    let name = "a_mutant_whose_file_name_is_sixty_characters_long_exactly_xx.rs";
    assert_eq!(name.len() - 3, 60);
    let solution = course.read(&format!("solutions/{ex}/src/lib.rs"));
    course.write(&format!("solutions/{ex}/mutants/{name}"), &solution);
    let out = with_provider(&course, "local")
        .args(["verify", "pg_probe", "--skip-style", "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}{}", stdout(&out), stderr(&out));
    });
    let case = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().contains("a_mutant_whose"))
        .unwrap_or_else(|| panic!("no case for the mutant: {report:#}"));
    assert_eq!(case["outcome"], "survived", "{case:#}");
    assert_eq!(case["status"], "fail", "{case:#}");
    assert!(!out.status.success());
}

/// The sandbox's network has only the run's services, relayed in: every probe (Postgres,
/// Redis, NATS) grades full points on both providers, and the relay ends with the run.
#[test]
fn the_sandbox_relays_the_runs_services_on_both_providers() {
    if !common::bwrap_installed() && !skip("bubblewrap is not installed") {
        return;
    }
    let course = Course::fixture("svc");
    let learner = solved_svc();
    for provider in ["local", "container"] {
        let available = if provider == "local" {
            local_binaries()
        } else {
            engine()
        };
        if !available {
            continue;
        }
        let out = with_provider(&course, provider)
            .arg("grade")
            .arg(learner.path())
            .args(["--sandbox", "on", "--format", "json"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{provider}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("sandbox: bubblewrap"),
            "{}",
            stderr(&out)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (report["points"].as_u64(), report["max_points"].as_u64()),
            (Some(5), Some(5)),
            "{provider}: {report:#}"
        );
    }
}
