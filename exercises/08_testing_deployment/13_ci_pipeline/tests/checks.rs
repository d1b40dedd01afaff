//! The pipeline in src/ci.yml read into typed structs and held to what a pipeline must
//! guarantee; then the job order and the matrix expansion on workflows written here, with a
//! cycle, an unknown job, ties, partial excludes and includes that extend or add.

use std::collections::BTreeMap;

use ci_pipeline::workflow::{Permissions, Step};
use ci_pipeline::{CI_YML, GraphError, Job, Workflow, expand_matrix, job_order, parse};
use serde_json::{Value, json};

fn pipeline() -> Workflow {
    parse(CI_YML).unwrap_or_else(|e| panic!("src/ci.yml is not a workflow: {e}"))
}

fn steps(w: &Workflow) -> impl Iterator<Item = (&String, &Step)> {
    w.jobs
        .iter()
        .flat_map(|(name, job)| job.steps.iter().map(move |s| (name, s)))
}

/// The jobs `job` waits for, directly or not.
fn upstream<'a>(w: &'a Workflow, job: &str) -> Vec<&'a str> {
    let mut seen: Vec<&str> = Vec::new();
    let mut todo: Vec<&str> = w.jobs[job].needs.names();
    while let Some(j) = todo.pop() {
        if !seen.contains(&j) {
            seen.push(j);
            todo.extend(w.jobs.get(j).map(|s| s.needs.names()).unwrap_or_default());
        }
    }
    seen
}

/// The job that runs `cargo test`.
fn test_job(w: &Workflow) -> (&String, &Job) {
    w.jobs
        .iter()
        .find(|(_, j)| {
            j.steps
                .iter()
                .any(|s| s.run.as_deref().is_some_and(|r| r.contains("cargo test")))
        })
        .expect("a job runs `cargo test`")
}

#[test]
fn it_runs_on_pushes_to_main_and_on_pull_requests() {
    let w = pipeline();
    assert!(
        w.triggers.contains_key("pull_request"),
        "pull requests are not tested"
    );
    let push = w.triggers.get("push").expect("pushes start the workflow");
    assert_eq!(
        push.as_ref().map(|t| t.branches.clone()),
        Some(vec!["main".to_owned()]),
        "push: only main (a pull request already tests every other branch)"
    );
}

#[test]
fn every_cargo_command_uses_the_lock_file_as_it_is() {
    let w = pipeline();
    let mut cargo = 0;
    for (job, step) in steps(&w) {
        for line in step.run.as_deref().unwrap_or("").lines() {
            if line.trim_start().starts_with("cargo ") {
                cargo += 1;
                assert!(
                    line.contains("--locked"),
                    "{job}: `{line}` may resolve other versions than Cargo.lock says"
                );
            }
        }
    }
    assert!(cargo > 0, "no step runs cargo");
}

#[test]
fn the_tests_get_a_postgres_that_is_healthy_before_they_start() {
    let w = pipeline();
    let (name, job) = test_job(&w);
    let pg = job
        .services
        .values()
        .find(|s| s.image.starts_with("postgres:"))
        .unwrap_or_else(|| panic!("{name} has no postgres service"));
    let tag = pg.image.trim_start_matches("postgres:");
    assert!(
        tag.split('.')
            .next()
            .is_some_and(|major| major.parse::<u32>().is_ok()),
        "postgres:{tag}: pin at least the major version, `latest` moves"
    );
    assert!(
        pg.ports.iter().any(|p| p == "5432:5432"),
        "the port is not published: {:?}",
        pg.ports
    );
    assert!(
        pg.env.contains_key("POSTGRES_PASSWORD"),
        "the postgres image refuses to start without POSTGRES_PASSWORD"
    );
    let options = pg.options.as_deref().unwrap_or("");
    assert!(
        options.contains("--health-cmd") && options.contains("pg_isready"),
        "without a health check the tests start before Postgres accepts connections: {options:?}"
    );
    let url = job
        .env
        .get("DATABASE_URL")
        .or_else(|| job.steps.iter().find_map(|s| s.env.get("DATABASE_URL")))
        .expect("the tests are told where the database is (DATABASE_URL)");
    assert!(
        url.contains("localhost:5432") || url.contains("127.0.0.1:5432"),
        "{url}"
    );
}

#[test]
fn the_build_cache_is_keyed_on_the_lock_file() {
    let w = pipeline();
    let (_, job) = test_job(&w);
    let cache = job
        .steps
        .iter()
        .find(|s| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("actions/cache@"))
        })
        .expect("the test job caches cargo's downloads and build");
    let key = cache.with.get("key").and_then(Value::as_str).unwrap_or("");
    assert!(
        key.contains("hashFiles('**/Cargo.lock')"),
        "a key without the lock file serves stale dependencies: {key}"
    );
    let path = cache.with.get("path").and_then(Value::as_str).unwrap_or("");
    for wanted in ["~/.cargo/registry", "target"] {
        assert!(
            path.lines().any(|p| p.trim() == wanted),
            "the cache misses {wanted}: {path:?}"
        );
    }
}

#[test]
fn deploys_come_from_main_only_and_after_the_tests() {
    let w = pipeline();
    let (test, _) = test_job(&w);
    let (name, deploy) = w
        .jobs
        .iter()
        .find(|(_, j)| j.environment.as_deref() == Some("production"))
        .expect("a job deploys to the `production` environment");
    assert!(
        upstream(&w, name).contains(&test.as_str()),
        "{name} does not wait for {test}: a failing build is deployed"
    );
    let condition = deploy.condition.as_deref().unwrap_or("");
    assert!(
        condition.contains("github.ref == 'refs/heads/main'"),
        "{name} runs for every branch and pull request: if: {condition:?}"
    );
    assert!(
        condition.contains("github.event_name == 'push'"),
        "{name} is not limited to pushes: if: {condition:?}"
    );
    let order = job_order(&w).expect("the jobs form no cycle");
    let at = |j: &str| order.iter().position(|o| o == j);
    assert!(at(test) < at(name));
}

#[test]
fn every_job_gets_the_least_permissions_it_needs() {
    let w = pipeline();
    match &w.permissions {
        Some(Permissions::Scopes(s)) => assert!(
            s.iter()
                .all(|(scope, level)| level == "read" && scope == "contents" || level == "none"),
            "the workflow's default token may write: {s:?}"
        ),
        other => panic!("the workflow's token must be limited to `contents: read`, not {other:?}"),
    }
    for (name, job) in &w.jobs {
        match &job.permissions {
            None => {}
            Some(Permissions::All(all)) => panic!("{name}: permissions: {all}"),
            Some(Permissions::Scopes(s)) => {
                for (scope, level) in s {
                    let allowed =
                        level != "write" || (scope == "id-token" && job.environment.is_some());
                    assert!(
                        allowed,
                        "{name}: {scope}: {level} (only the deploying job may ask for an OIDC id-token)"
                    );
                }
            }
        }
    }
}

#[test]
fn every_action_is_pinned_to_a_commit() {
    let w = pipeline();
    let mut actions = 0;
    for (job, step) in steps(&w) {
        let Some(uses) = &step.uses else { continue };
        actions += 1;
        let reference = uses.rsplit_once('@').map(|(_, r)| r).unwrap_or("");
        assert!(
            reference.len() == 40 && reference.bytes().all(|b| b.is_ascii_hexdigit()),
            "{job}: {uses}: a tag or a branch can be moved to other code; pin the full commit SHA"
        );
    }
    assert!(actions > 0);
}

fn workflow(needs: &[(&str, &[&str])]) -> Workflow {
    let jobs: BTreeMap<String, Value> = needs
        .iter()
        .map(|(job, needs)| {
            (
                (*job).to_owned(),
                json!({"runs-on": "ubuntu-24.04", "needs": needs}),
            )
        })
        .collect();
    let yaml =
        serde_saphyr::to_string(&json!({"name": "w", "on": {"push": null}, "jobs": jobs})).unwrap();
    parse(&yaml).unwrap()
}

#[test]
fn jobs_run_after_what_they_need_ties_alphabetically() {
    let w = workflow(&[
        ("deploy", &["test", "lint"]),
        ("test", &["build"]),
        ("lint", &[]),
        ("build", &[]),
        ("docs", &["build"]),
    ]);
    assert_eq!(
        job_order(&w).unwrap(),
        ["build", "docs", "lint", "test", "deploy"]
    );
}

#[test]
fn a_cycle_or_an_unknown_job_is_an_error_not_a_hang() {
    let w = workflow(&[
        ("a", &["c"]),
        ("b", &["a"]),
        ("c", &["b"]),
        ("d", &["a"]),
        ("e", &[]),
    ]);
    assert_eq!(
        job_order(&w),
        Err(GraphError::Cycle(vec![
            "a".into(),
            "b".into(),
            "c".into(),
            "d".into()
        ]))
    );
    let selfish = workflow(&[("a", &["a"])]);
    assert_eq!(
        job_order(&selfish),
        Err(GraphError::Cycle(vec!["a".into()]))
    );
    let typo = workflow(&[("deploy", &["tset"]), ("test", &[])]);
    assert_eq!(
        job_order(&typo),
        Err(GraphError::Unknown {
            job: "deploy".into(),
            needs: "tset".into()
        })
    );
}

fn matrix(yaml: &str) -> Vec<BTreeMap<String, Value>> {
    let m: ci_pipeline::Matrix = serde_saphyr::from_str(yaml).unwrap();
    expand_matrix(&m)
}

fn runs(v: Value) -> Vec<BTreeMap<String, Value>> {
    serde_json::from_value(v).unwrap()
}

#[test]
fn a_matrix_is_every_combination_the_first_axis_slowest() {
    assert_eq!(
        matrix("os: [linux, macos]\nrust: [stable, beta, '1.85']\n"),
        runs(json!([
            {"os": "linux", "rust": "stable"}, {"os": "linux", "rust": "beta"}, {"os": "linux", "rust": "1.85"},
            {"os": "macos", "rust": "stable"}, {"os": "macos", "rust": "beta"}, {"os": "macos", "rust": "1.85"},
        ]))
    );
}

#[test]
fn an_exclude_removes_every_combination_it_matches_even_partially() {
    assert_eq!(
        matrix(
            "os: [linux, macos]\nrust: [stable, beta]\nfeatures: [default, all]\nexclude:\n  - os: macos\n    rust: beta\n  - features: all\n    os: linux\n"
        ),
        runs(json!([
            {"features": "default", "os": "linux", "rust": "stable"},
            {"features": "default", "os": "linux", "rust": "beta"},
            {"features": "default", "os": "macos", "rust": "stable"},
            {"features": "all", "os": "macos", "rust": "stable"},
        ]))
    );
}

#[test]
fn an_include_extends_the_combinations_it_fits_or_adds_its_own() {
    assert_eq!(
        matrix(concat!(
            "os: [linux, macos]\nrust: [stable]\ninclude:\n",
            "  - os: linux\n    coverage: true\n", // extends the linux run only
            "  - experimental: false\n",           // fits every run
            "  - os: windows\n    rust: stable\n", // changes an axis value everywhere: a run of its own
        )),
        runs(json!([
            {"os": "linux", "rust": "stable", "coverage": true, "experimental": false},
            {"os": "macos", "rust": "stable", "experimental": false},
            {"os": "windows", "rust": "stable"},
        ]))
    );
    // What an include added is no original value: a later include may change it.
    assert_eq!(
        matrix(
            "os: [linux, macos]\ninclude:\n  - os: linux\n    cc: gcc\n  - os: linux\n    cc: clang\n"
        ),
        runs(json!([{"os": "linux", "cc": "clang"}, {"os": "macos"}]))
    );
    assert_eq!(
        matrix("include:\n  - target: wasm32\n"),
        runs(json!([{"target": "wasm32"}])),
        "a matrix of includes only"
    );
}
