//! The Containerfile and .dockerignore, read as a builder reads them; then — when a container
//! engine is here (CI has Podman) — the image built around the service binary cargo built for
//! this test, run, asked for /readyz from outside, checked healthy, and stopped.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// This package's binary (named after the package, see the authoring guide).
const BIN: &str = env!(concat!("CARGO_BIN_EXE_", env!("CARGO_PKG_NAME")));

fn exercise_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The Containerfile's instructions: (keyword, arguments), comments dropped, continuation
/// lines joined.
fn instructions() -> Vec<(String, String)> {
    let text = exercise_file("Containerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                let (keyword, args) = current
                    .trim()
                    .split_once(char::is_whitespace)
                    .unwrap_or((current.trim(), ""));
                out.push((keyword.to_uppercase(), args.trim().to_owned()));
                current.clear();
            }
        }
    }
    out
}

/// The instructions of the last stage (after its FROM).
fn final_stage(all: &[(String, String)]) -> Vec<(String, String)> {
    let last_from = all
        .iter()
        .rposition(|(k, _)| k == "FROM")
        .expect("the Containerfile has a FROM");
    all[last_from..].to_vec()
}

fn is_exec_form(args: &str) -> bool {
    json_string_array(args).is_some()
}

/// A JSON array of strings, as exec form requires (no shell).
fn json_string_array(args: &str) -> Option<Vec<String>> {
    let inner = args.trim().strip_prefix('[')?.strip_suffix(']')?;
    inner
        .split(',')
        .map(|s| {
            let s = s.trim();
            s.strip_prefix('"')?.strip_suffix('"').map(str::to_owned)
        })
        .collect()
}

#[test]
fn the_final_stage_starts_from_a_base_pinned_by_digest_and_copies_from_a_build_stage() {
    let all = instructions();
    let froms: Vec<&String> = all
        .iter()
        .filter(|(k, _)| k == "FROM")
        .map(|(_, a)| a)
        .collect();
    assert!(
        froms.len() >= 2,
        "a multi-stage build has at least two FROMs: {froms:?}"
    );
    let base = froms
        .last()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    // The base may come through an ARG (so that an offline build can pass another).
    let resolved = match base.strip_prefix("${").and_then(|b| b.strip_suffix('}')) {
        Some(arg) => all
            .iter()
            .find_map(|(k, a)| {
                (k == "ARG")
                    .then(|| a.strip_prefix(&format!("{arg}=")))
                    .flatten()
            })
            .unwrap_or_else(|| panic!("FROM {base}: the ARG {arg} has no default"))
            .to_owned(),
        None => base.clone(),
    };
    let digest = resolved
        .rsplit_once("@sha256:")
        .map(|(_, d)| d)
        .unwrap_or("");
    assert!(
        digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
        "the final base `{resolved}` is not pinned by digest (@sha256:<64 hex digits>): a tag can be moved"
    );
    let last = final_stage(&all);
    assert!(
        last.iter()
            .any(|(k, a)| k == "COPY" && a.starts_with("--from=")),
        "the final stage copies nothing from an earlier stage"
    );
    assert!(
        !last
            .iter()
            .any(|(k, a)| (k == "COPY" || k == "ADD") && a.split_whitespace().next() == Some(".")),
        "the final stage copies the whole build context: sources and whatever else is there end up in the image"
    );
}

#[test]
fn it_runs_as_an_unprivileged_user_in_exec_form_with_a_healthcheck() {
    let last = final_stage(&instructions());
    let user = last
        .iter()
        .rev()
        .find(|(k, _)| k == "USER")
        .map(|(_, a)| a.clone())
        .expect("the final stage sets no USER: the process runs as root");
    let name = user.split(':').next().unwrap_or("");
    assert!(!(name == "root" || name == "0"), "USER {user} is root");
    let start = last
        .iter()
        .rev()
        .find(|(k, _)| k == "ENTRYPOINT" || k == "CMD")
        .expect("the image says what to run (ENTRYPOINT)");
    assert!(
        is_exec_form(&start.1),
        "{} {}: shell form runs /bin/sh -c as PID 1, which does not pass SIGTERM on",
        start.0,
        start.1
    );
    let health = last
        .iter()
        .find(|(k, _)| k == "HEALTHCHECK")
        .map(|(_, a)| a.clone())
        .expect("the image has no HEALTHCHECK");
    let cmd = health
        .split_once("CMD")
        .map(|(_, c)| c.trim())
        .unwrap_or("");
    assert!(
        is_exec_form(cmd),
        "HEALTHCHECK … CMD {cmd}: use the exec form"
    );
    assert!(
        cmd.contains("healthcheck"),
        "the healthcheck should run `service healthcheck`: {cmd}"
    );
    assert!(
        last.iter()
            .any(|(k, a)| k == "ENV" && a.contains("APP_ADDR") && a.contains("0.0.0.0")),
        "the service listens on 127.0.0.1 unless told otherwise: inside a container nothing outside can reach that"
    );
    assert!(last.iter().any(|(k, a)| {
        k == "EXPOSE"
            && a.split_whitespace()
                .any(|p| p.trim_end_matches("/tcp") == "8080")
    }));
}

#[test]
fn the_build_context_carries_nothing_but_the_binary() {
    let rules: Vec<String> = exercise_file(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let ignored = |path: &str| -> bool {
        // The last matching rule wins; `!` re-includes. Enough of the syntax for these paths.
        let mut out = false;
        for rule in &rules {
            let (negate, pattern) = match rule.strip_prefix('!') {
                Some(p) => (true, p),
                None => (false, rule.as_str()),
            };
            let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
            let matches = pattern == "*"
                || pattern == "**"
                || path == pattern
                || path.starts_with(&format!("{pattern}/"))
                || (pattern.starts_with("*.") && path.ends_with(&pattern[1..]));
            if matches {
                out = !negate;
            }
        }
        out
    };
    for secret in [
        ".env",
        ".git/config",
        "target/release/deps/x",
        "src/main.rs",
        "tests/checks.rs",
    ] {
        assert!(
            ignored(secret),
            "{secret} would be sent to the builder (and could end up in a layer)"
        );
    }
    assert!(!ignored("service"), "the binary the image needs is ignored");
}

/// The container engine's CLI, if one answers here, or None (then the image is not built
/// here). `info`, not `--version`: a CLI whose engine is out of reach (no daemon, a sandbox
/// without its storage) is no engine.
fn engine() -> Option<&'static str> {
    ["podman", "docker"].into_iter().find(|cli| {
        Command::new(cli)
            .arg("info")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

fn run(cli: &str, args: &[&str]) -> Output {
    Command::new(cli)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("[test infrastructure] cannot run {cli}: {e}"))
}

fn ok(cli: &str, args: &[&str]) -> String {
    let out = run(cli, args);
    assert!(
        out.status.success(),
        "{cli} {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Removes the image and container of a test even when it fails.
struct Cleanup {
    cli: &'static str,
    image: String,
    container: Option<String>,
    context: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Some(c) = &self.container {
            let _ = run(self.cli, &["rm", "-f", c]);
        }
        let _ = run(self.cli, &["rmi", "-f", &self.image]);
        let _ = std::fs::remove_dir_all(&self.context);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_image_builds_serves_from_outside_is_healthy_and_stops_on_sigterm() {
    if std::env::var("BACKLINGS_SANDBOX").as_deref() == Ok("1") {
        // A container engine is root on its machine: the grading sandbox has none.
        eprintln!("in the grading sandbox: the image is checked statically only");
        return;
    }
    let Some(cli) = engine() else {
        assert!(
            std::env::var("BACKLINGS_REQUIRE_SERVICES").as_deref() != Ok("1"),
            "[test infrastructure] no container engine (podman or docker), and BACKLINGS_REQUIRE_SERVICES=1"
        );
        eprintln!("no container engine: the image is checked statically only");
        return;
    };
    // The build context: the exercise's files (as a project's would be) and the binary.
    let tag = format!(
        "localhost/backlings-{}-{}",
        env!("CARGO_PKG_NAME").replace('_', "-"),
        std::process::id()
    );
    let context = std::env::temp_dir().join(format!("backlings-image-{}", std::process::id()));
    let mut cleanup = Cleanup {
        cli,
        image: tag.clone(),
        container: None,
        context: context.clone(),
    };
    let exercise = Path::new(env!("CARGO_MANIFEST_DIR"));
    for entry in ["Containerfile", ".dockerignore", "Cargo.toml"] {
        std::fs::create_dir_all(&context).unwrap();
        std::fs::copy(exercise.join(entry), context.join(entry)).unwrap();
    }
    std::fs::write(context.join(".env"), "DATABASE_PASSWORD=hunter2\n").unwrap();
    std::fs::copy(BIN, context.join("service")).unwrap();
    let mut build = vec![
        "build",
        "--format",
        "docker",
        "-f",
        "Containerfile",
        "-t",
        &tag,
    ];
    // Offline (CI): a local base instead of the Containerfile's pinned default.
    let base = std::env::var("BACKLINGS_BASE_IMAGE")
        .ok()
        .map(|b| format!("BASE={b}"));
    if let Some(b) = &base {
        build.extend(["--build-arg", b]);
    }
    let ctx = context.to_string_lossy().into_owned();
    build.push(&ctx);
    ok(cli, &build);
    let user = ok(
        cli,
        &["image", "inspect", "--format", "{{.Config.User}}", &tag],
    );
    assert!(
        !user.is_empty() && !user.starts_with("root") && !user.starts_with("0"),
        "the image runs as {user:?}"
    );
    let leaked = run(
        cli,
        &[
            "run",
            "--rm",
            "--entrypoint",
            "/bin/sh",
            &tag,
            "-c",
            "find / -xdev -name .env 2>/dev/null | head -1",
        ],
    );
    assert!(
        String::from_utf8_lossy(&leaked.stdout).trim().is_empty(),
        "the .env of the build context is in the image"
    );

    let container = ok(cli, &["run", "-d", "-p", "127.0.0.1::8080", &tag]);
    cleanup.container = Some(container.clone());
    let port = ok(cli, &["port", &container, "8080"]);
    let url = format!("http://{}", port.lines().next().unwrap_or("").trim());
    let started = Instant::now();
    loop {
        if reqwest::get(format!("{url}/readyz"))
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the container never answered {url}/readyz from outside"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let health = run(cli, &["healthcheck", "run", &container]);
    assert!(
        health.status.success(),
        "the HEALTHCHECK fails on a ready service: {}",
        String::from_utf8_lossy(&health.stderr)
    );
    let stopping = Instant::now();
    ok(cli, &["stop", "-t", "10", &container]);
    let took = stopping.elapsed();
    assert!(
        took < Duration::from_secs(5),
        "stopping took {took:?}: SIGTERM did not reach the service, which was killed after the timeout"
    );
    let code = ok(
        cli,
        &["inspect", "--format", "{{.State.ExitCode}}", &container],
    );
    assert_eq!(code, "0", "the service did not exit cleanly on SIGTERM");
}
