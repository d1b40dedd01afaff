//! The real binary (src/main.rs), started as an orchestrator starts it — a clean
//! environment, a port of its own — and stopped with real signals, while requests are in
//! flight.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The package's binary. Its name is the package's: verify's copies of the exercise are
/// packages of other names, so each test finds its own copy's binary.
const BIN: &str = env!(concat!("CARGO_BIN_EXE_", env!("CARGO_PKG_NAME")));

/// Runs the binary with only `env`, expecting it to fail at startup; its exit code and the
/// first line it wrote to stderr.
fn refused(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("[test infrastructure] start the service");
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return (status.code(), err.lines().next().unwrap_or("").to_owned());
        }
        if started.elapsed() > Duration::from_secs(3) {
            child.kill().ok();
            panic!("the service started with {env:?}: a bad configuration must stop it at once");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Service {
    child: Child,
    url: String,
}

impl Service {
    fn start(env: &[(&str, &str)]) -> Service {
        let mut child = Command::new(BIN)
            .env_clear()
            .env("APP_PORT", "0")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("[test infrastructure] start the service");
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let addr = first
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| {
                panic!("the first line of stdout is not `listening on <address>`: {first:?}")
            });
        Service {
            url: format!("http://{addr}"),
            child,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("[test infrastructure] run kill");
        assert!(
            status.success(),
            "[test infrastructure] kill -s {name} failed"
        );
    }

    /// Waits up to `limit` for the process to exit: its exit code and stderr.
    fn exit_within(&mut self, limit: Duration) -> (Option<i32>, String) {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut err = String::new();
                self.child
                    .stderr
                    .take()
                    .unwrap()
                    .read_to_string(&mut err)
                    .unwrap();
                return (status.code(), err);
            }
            if started.elapsed() > limit {
                self.child.kill().ok();
                panic!("the service was still running {limit:?} after the signal");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.child.kill().ok();
    }
}

async fn status(url: &str) -> Result<u16, reqwest::Error> {
    Ok(reqwest::get(url).await?.status().as_u16())
}

#[test]
fn a_bad_value_stops_the_service_at_startup_and_names_itself() {
    for (var, value) in [
        ("APP_PORT", "eighty"),
        ("APP_PORT", "70000"),
        ("APP_DRAIN_SECONDS", "0"),
        ("APP_DRAIN_SECONDS", "soon"),
        ("APP_SHUTDOWN_DELAY_MS", "-1"),
    ] {
        let (code, line) = refused(&[(var, value)]);
        assert_ne!(code, Some(0), "{var}={value}");
        assert!(
            line.contains(var) && line.contains(value),
            "{var}={value}: the error should name the variable and its value, got {line:?}"
        );
    }
}

#[test]
fn a_config_file_with_an_unknown_or_bad_key_is_refused() {
    let dir = std::env::temp_dir().join(format!("chs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text, wanted) in [
        ("typo.toml", "drain_secnds = 10\n", "drain_secnds"),
        ("type.toml", "port = \"eighty\"\n", "port"),
        ("range.toml", "drain_seconds = 0\n", "drain_seconds"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let (code, line) = refused(&[("APP_CONFIG", path.to_str().unwrap())]);
        assert_ne!(code, Some(0), "{text}");
        assert!(
            line.contains(name) && line.contains(wanted),
            "{text:?}: got {line:?}"
        );
    }
    let (code, line) = refused(&[("APP_CONFIG", "/nonexistent/app.toml")]);
    assert_ne!(code, Some(0));
    assert!(line.contains("/nonexistent/app.toml"), "{line:?}");
}

#[test]
fn the_layers_are_defaults_then_the_file_then_the_environment() {
    use config_health_shutdown::Config;
    let dir = std::env::temp_dir().join(format!("chs-layers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("app.toml");
    std::fs::write(&file, "port = 9000\ndrain_seconds = 40\n").unwrap();
    let env = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    assert_eq!(Config::load(&env(&[])).unwrap(), Config::default());
    let path = file.to_str().unwrap();
    assert_eq!(
        Config::load(&env(&[("APP_CONFIG", path)])).unwrap(),
        Config {
            port: 9000,
            drain_seconds: 40,
            ..Config::default()
        }
    );
    assert_eq!(
        Config::load(&env(&[("APP_CONFIG", path), ("APP_PORT", "9100")])).unwrap(),
        Config {
            port: 9100,
            drain_seconds: 40,
            ..Config::default()
        },
        "the environment overrides the file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_sigterm_it_turns_unready_keeps_serving_drains_and_exits_cleanly() {
    let mut service =
        Service::start(&[("APP_SHUTDOWN_DELAY_MS", "600"), ("APP_DRAIN_SECONDS", "5")]);
    let url = service.url.clone();
    assert_eq!(status(&format!("{url}/livez")).await.unwrap(), 200);
    assert_eq!(status(&format!("{url}/readyz")).await.unwrap(), 200);
    let slow = tokio::spawn({
        let url = url.clone();
        async move {
            let r = reqwest::get(format!("{url}/work?ms=1500")).await?;
            let code = r.status().as_u16();
            Ok::<_, reqwest::Error>((code, r.text().await?, Instant::now()))
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    service.signal("TERM");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        status(&format!("{url}/readyz"))
            .await
            .expect("the service still answers right after SIGTERM"),
        503,
        "after SIGTERM /readyz must say: send no new work"
    );
    assert_eq!(
        status(&format!("{url}/livez"))
            .await
            .expect("the service still answers right after SIGTERM"),
        200,
        "during the shutdown delay the service keeps serving (the load balancer has not noticed yet)"
    );
    let (code, exit) = tokio::task::spawn_blocking(move || {
        let r = service.exit_within(Duration::from_secs(5));
        (r, Instant::now())
    })
    .await
    .unwrap();
    let (slow_status, body, answered) = slow
        .await
        .unwrap()
        .expect("the request in flight at SIGTERM was cut off");
    assert_eq!((slow_status, body.as_str()), (200, "done"));
    assert!(
        answered <= exit,
        "the process exited before its last request was answered"
    );
    assert_eq!(code.0, Some(0), "a clean drain exits 0; stderr: {}", code.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_longer_than_the_drain_does_not_keep_the_process_alive() {
    let mut service =
        Service::start(&[("APP_SHUTDOWN_DELAY_MS", "100"), ("APP_DRAIN_SECONDS", "1")]);
    let url = service.url.clone();
    let _stuck = tokio::spawn(async move { reqwest::get(format!("{url}/work?ms=30000")).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = Instant::now();
    service.signal("TERM");
    let (code, err) =
        tokio::task::spawn_blocking(move || service.exit_within(Duration::from_secs(4)))
            .await
            .unwrap();
    let took = sent.elapsed();
    assert!(
        took >= Duration::from_millis(1_000),
        "exited after {took:?}: before the drain time was up"
    );
    assert_ne!(
        code,
        Some(0),
        "requests were cut off: that is a failure to report"
    );
    assert!(
        err.contains("drain"),
        "stderr should say the drain timed out: {err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_it_the_same_way() {
    let mut service = Service::start(&[("APP_SHUTDOWN_DELAY_MS", "50")]);
    assert_eq!(
        status(&format!("{}/livez", service.url)).await.unwrap(),
        200
    );
    service.signal("INT");
    let (code, err) =
        tokio::task::spawn_blocking(move || service.exit_within(Duration::from_secs(3)))
            .await
            .unwrap();
    assert_eq!(code, Some(0), "stderr: {err}");
}
