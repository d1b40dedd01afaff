//! `exercise verify` and `exercise grade` on fixture courses, each kind of problem reported
//! precisely, and the JSON and JUnit reports parsed back.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{Course, case, stdout};
use serde_json::Value;

fn verify_json(course: &Course, extra: &[&str]) -> (i32, Value) {
    let out = course
        .cmd()
        .args(["verify", "--format", "json", "--jobs", "2"])
        .args(extra)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "verify --format json printed no JSON ({e}):\n{}\n{}",
            stdout(&out),
            common::stderr(&out)
        )
    });
    (code, json)
}

fn failing(report: &Value) -> Vec<String> {
    report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "pass")
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_sound_course_verifies() {
    let course = Course::fixture("mini");
    let (code, report) = verify_json(&course, &[]);
    assert_eq!(failing(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(code, 0);
    assert_eq!(report["version"], 3);
    assert_eq!(report["status"], "pass");
    for name in [
        "add: fails as shipped",
        "add: solution passes",
        "add: solution is rustfmt-clean",
        "add: solution is clippy-clean",
    ] {
        assert_eq!(case(&report, name)["status"], "pass", "{name}");
    }
    // The learner's target dir is never used for copies.
    assert!(
        !course.file("exercises/target/debug").exists(),
        "verify must not build into the learner's target dir"
    );
}

#[test]
fn verify_can_be_limited_to_named_exercises() {
    let course = Course::fixture("mini");
    let (code, report) = verify_json(&course, &["--skip-style", "add"]);
    assert_eq!(code, 0, "{report:#}");
    let names: Vec<&str> = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .filter(|n| !n.starts_with("manifest"))
        .collect();
    assert!(
        !names.is_empty() && names.iter().all(|n| n.starts_with("add: ")),
        "only `add` is checked: {names:?}"
    );

    let out = course.cmd().args(["verify", "nope"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown exercise is a usage error"
    );
    let err = common::stderr(&out);
    assert!(
        err.lines()
            .next()
            .is_some_and(|l| l.contains("no exercise named `nope`")),
        "{err}"
    );
}

#[test]
fn json_report_has_the_documented_shape() {
    let course = Course::fixture("mini");
    let (_, report) = verify_json(&course, &["--skip-style"]);
    let mut top: Vec<&str> = report
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    top.sort();
    assert_eq!(top, ["message", "status", "tests", "version"]);
    for t in report["tests"].as_array().unwrap() {
        let mut keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(keys, ["message", "name", "output", "status"], "{t}");
        assert!(["pass", "fail", "error"].contains(&t["status"].as_str().unwrap()));
    }
}

#[test]
fn failing_and_hanging_solutions_are_reported() {
    let course = Course::fixture("mini");
    course.write(
        "solutions/01_basics/02_greet/src/lib.rs",
        "pub fn greet(name: &str) -> String {\n    format!(\"Hi, {name}!\")\n}\n",
    );
    course.write(
        "solutions/01_basics/03_looper/src/lib.rs",
        "pub fn countdown(n: u64) -> u64 {\n    let mut steps = 0;\n    while n > 0 {\n        steps += 1;\n        std::hint::black_box(&mut steps);\n    }\n    steps\n}\n",
    );
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1);
    assert_eq!(
        failing(&report),
        ["greet: solution passes", "looper: solution passes"]
    );
    let greet = case(&report, "greet: solution passes");
    assert_eq!(
        greet["message"],
        "the solution does not pass (1 of 1 tests fail)"
    );
    assert!(
        greet["output"]
            .as_str()
            .unwrap()
            .contains("left: \"Hi, Ada!\""),
        "{greet}"
    );
    assert_eq!(
        case(&report, "looper: solution passes")["message"],
        "the solution does not pass (timed out after 2 s)"
    );
}

#[test]
fn an_exercise_that_passes_unsolved_is_reported() {
    let course = Course::fixture("mini");
    course.solve("01_basics/02_greet");
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1);
    assert_eq!(failing(&report), ["greet: fails as shipped"]);
    assert!(
        case(&report, "greet: fails as shipped")["message"]
            .as_str()
            .unwrap()
            .starts_with("passes as shipped")
    );
}

#[test]
fn an_exercise_that_does_not_compile_as_shipped_is_reported() {
    let course = Course::fixture("mini");
    course.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a + }\n",
    );
    let (_, report) = verify_json(&course, &["--skip-style"]);
    let add = case(&report, "add: fails as shipped");
    assert_eq!(add["status"], "fail");
    assert!(
        add["message"]
            .as_str()
            .unwrap()
            .starts_with("does not compile as shipped")
    );
    assert!(
        add["output"]
            .as_str()
            .unwrap()
            .contains("expected expression"),
        "{add}"
    );
}

#[test]
fn each_kind_of_manifest_inconsistency_is_reported() {
    let course = Course::fixture("mini");
    // A listed exercise whose folder is gone.
    std::fs::remove_dir_all(course.file("exercises/01_basics/03_looper")).unwrap();
    // A workspace member nobody listed.
    common::copy_tree(
        &course.file("exercises/01_basics/02_greet"),
        &course.file("exercises/01_basics/09_extra"),
    );
    let extra = course
        .read("exercises/01_basics/09_extra/Cargo.toml")
        .replace("\"greet\"", "\"extra\"");
    course.write("exercises/01_basics/09_extra/Cargo.toml", &extra);
    // A package named differently from its exercise.
    let add = course
        .read("exercises/01_basics/01_add/Cargo.toml")
        .replace("name = \"add\"", "name = \"adder\"");
    course.write("exercises/01_basics/01_add/Cargo.toml", &add);
    // An empty hint, an empty lesson, a missing topic README, a stray solution file.
    let manifest = course
        .read("info.toml")
        .replace("format! builds strings.", " ");
    course.write("info.toml", &manifest);
    course.write("exercises/01_basics/02_greet/README.md", "\n");
    std::fs::remove_file(course.file("exercises/01_basics/README.md")).unwrap();
    course.write("solutions/01_basics/02_greet/src/extra.rs", "");

    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1);
    let problems: Vec<String> = failing(&report)
        .into_iter()
        .filter(|n| n.starts_with("manifest: "))
        .collect();
    let expected = [
        "manifest: topic `basics`: exercises/01_basics/README.md is missing or empty",
        "manifest: exercise `add`: its package is named `adder`; the package name must equal the exercise name",
        "manifest: exercise `greet`: the hint is empty",
        "manifest: exercise `greet`: exercises/01_basics/02_greet/README.md (the lesson) is missing or empty",
        "manifest: exercise `greet`: solution file solutions/01_basics/02_greet/src/extra.rs has no counterpart in exercises/01_basics/02_greet",
        "manifest: exercise `looper`: exercises/01_basics/03_looper/Cargo.toml does not exist",
        "manifest: workspace member `extra` (exercises/01_basics/09_extra) is not listed in info.toml",
    ];
    assert_eq!(problems, expected, "{report:#}");
}

#[test]
fn mutants_must_be_rejected() {
    let course = Course::fixture("mini");
    // A surviving mutant: subtraction of a negative is addition, the tests can't tell.
    course.write(
        "solutions/01_basics/01_add/mutants/sub_neg.rs",
        "//! adds by subtracting the negation\npub fn add(a: i32, b: i32) -> i32 {\n    a - -b\n}\n",
    );
    // A killed mutant.
    course.write(
        "solutions/01_basics/01_add/mutants/mul.rs",
        "//! multiplies instead of adding\npub fn add(a: i32, b: i32) -> i32 {\n    a * b\n}\n",
    );
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1);
    assert_eq!(failing(&report), ["add: mutant `sub_neg` is rejected"]);
    let survivor = case(&report, "add: mutant `sub_neg` is rejected");
    assert_eq!(
        survivor["message"],
        "mutant survives: the tests accept solutions/01_basics/01_add/mutants/sub_neg.rs, a wrong solution (adds by subtracting the negation)"
    );
    assert_eq!(
        case(&report, "add: mutant `mul` is rejected")["status"],
        "pass"
    );
}

#[test]
fn style_problems_in_solutions_are_reported() {
    let course = Course::fixture("mini");
    course.write("solutions/01_basics/02_greet/src/lib.rs", "pub fn greet(name: &str) -> String {\n    let greeting = format!(\"Hello, {name}!\");\n    return greeting;\n}\n");
    course.write(
        "solutions/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 { a + b }\n",
    );
    let (_, report) = verify_json(&course, &[]);
    assert_eq!(
        failing(&report),
        [
            "add: solution is rustfmt-clean",
            "greet: solution is clippy-clean"
        ]
    );
    assert!(
        case(&report, "greet: solution is clippy-clean")["output"]
            .as_str()
            .unwrap()
            .contains("needless_return")
    );
}

#[test]
fn junit_report_parses_back() {
    let course = Course::fixture("mini");
    course.solve("01_basics/02_greet");
    let xml_path = course.file("verify.xml");
    let out = course
        .cmd()
        .args(["verify", "--skip-style", "--format", "junit", "--output"])
        .arg(&xml_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let console = stdout(&out);
    assert!(
        console.contains("checks passed"),
        "a summary still goes to stdout"
    );
    assert!(
        console.contains("✗ greet: fails as shipped"),
        "so do the failures, so that a CI log says what failed:\n{console}"
    );
    assert!(
        !console.contains("<testcase"),
        "the console gets the human report, the file the XML"
    );
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("valid XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    let names: Vec<_> = suites
        .iter()
        .map(|s| s.attribute("name").unwrap())
        .collect();
    assert_eq!(names, ["manifest", "dependencies", "unsolved", "solution"]);
    let failures: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase") && n.children().any(|c| c.has_tag_name("failure")))
        .map(|n| n.attribute("name").unwrap().to_owned())
        .collect();
    assert_eq!(failures, ["greet: fails as shipped"]);
    let total: usize = suites
        .iter()
        .map(|s| s.attribute("tests").unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(total, 8, "manifest, dependencies, 3 unsolved, 3 solutions");
}

fn grade(course: &Course, learner: &std::path::Path, extra: &[&str]) -> (i32, Value) {
    let out = course
        .cmd()
        .arg("grade")
        .arg(learner)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stderr(&out)));
    (out.status.code().unwrap_or(-1), json)
}

#[test]
fn grade_scores_pristine_zero_and_solutions_full() {
    let course = Course::fixture("mini");
    let learner = Course::fixture("mini");
    let (code, report) = grade(&course, learner.path(), &[]);
    assert_eq!(code, 0, "without --min-points, grading itself succeeded");
    assert_eq!(
        (report["points"].as_u64(), report["max_points"].as_u64()),
        (Some(0), Some(3))
    );
    let (code, _) = grade(&course, learner.path(), &["--min-points", "1"]);
    assert_eq!(code, 1, "below --min-points exits 1");

    for dir in [
        "01_basics/01_add",
        "01_basics/02_greet",
        "01_basics/03_looper",
    ] {
        learner.solve(dir);
    }
    let (code, report) = grade(&course, learner.path(), &["--min-points", "3"]);
    assert_eq!(code, 0);
    assert_eq!(
        (report["points"].as_u64(), report["max_points"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(report["status"], "pass");
    assert_eq!(case(&report, "add")["points"], 1);
}

/// A learner tree of another course (a third-party course, graded without `--course`) would
/// score 0 silently against this one: grade refuses it and says how to grade it.
#[test]
fn grade_refuses_a_learner_tree_of_another_course() {
    let course = Course::fixture("mini");
    let other = Course::fixture("svc");
    let out = course
        .cmd()
        .arg("grade")
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    let err = common::stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.contains("another course"), "{err}");
    assert!(first.contains("--course"), "{err}");

    // No manifest and none of the course's exercise folders: refused as well.
    std::fs::remove_file(other.path().join("info.toml")).unwrap();
    let out = course
        .cmd()
        .arg("grade")
        .arg(other.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("none of the grading course's exercise folders"));
}

#[test]
fn grade_uses_pristine_tests_and_reports_tampering() {
    let course = Course::fixture("mini");
    let learner = Course::fixture("mini");
    // The learner "fixes" greet by weakening its test, and adds a build script.
    learner.write(
        "exercises/01_basics/02_greet/tests/checks.rs",
        "#[test]\nfn greets() {}\n",
    );
    learner.write("exercises/01_basics/02_greet/build.rs", "fn main() {}\n");
    learner.solve("01_basics/01_add");
    let (_, report) = grade(&course, learner.path(), &[]);
    assert_eq!(report["points"], 1, "{report:#}");
    let greet = case(&report, "greet");
    assert_eq!(greet["status"], "fail");
    assert_eq!(
        greet["message"],
        "1 of 1 tests fail; graded with the course's own build.rs, tests/checks.rs (the learner's copy differs)"
    );
}

#[test]
fn grade_survives_hostile_learner_code() {
    let course = Course::fixture("mini");
    let learner = Course::fixture("mini");
    // A flood of output, an abort, and a child process that would outlive the test.
    learner.write(
        "exercises/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    for _ in 0..400_000 {\n        println!(\"{a}{b} flood flood flood flood flood flood flood\");\n    }\n    a + b + 1\n}\n",
    );
    learner.write(
        "exercises/01_basics/02_greet/src/lib.rs",
        "pub fn greet(_: &str) -> String {\n    std::process::abort()\n}\n",
    );
    learner.write(
        "exercises/01_basics/03_looper/src/lib.rs",
        "pub fn countdown(n: u64) -> u64 {\n    let _ = std::process::Command::new(\"sleep\").arg(\"600\").spawn();\n    loop {\n        std::hint::black_box(n);\n    }\n}\n",
    );
    let started = std::time::Instant::now();
    let (code, report) = grade(&course, learner.path(), &[]);
    assert_eq!(code, 0, "the grader itself is fine");
    assert_eq!(report["points"], 0);
    let add = case(&report, "add");
    assert_eq!(add["message"], "2 of 2 tests fail", "{add}");
    let add_output = add["output"].as_str().unwrap();
    assert!(
        add_output.contains("output was cut"),
        "the flood is capped: {}",
        add_output.len()
    );
    assert!(add_output.len() < 200_000, "{}", add_output.len());
    let greet = case(&report, "greet");
    assert!(
        greet["output"].as_str().unwrap().contains("crashed"),
        "{greet}"
    );
    assert_eq!(case(&report, "looper")["message"], "timed out after 2 s");
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
    let sleepers = std::process::Command::new("pgrep")
        .args(["-x", "sleep"])
        .output()
        .unwrap();
    let survivors: Vec<_> = stdout(&sleepers)
        .lines()
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.contains("600"))
        })
        .map(str::to_owned)
        .collect();
    assert!(
        survivors.is_empty(),
        "a learner's child process outlived grading: {survivors:?}"
    );
}

/// verify keeps its build between runs; a change must still be seen (no stale artifacts), and
/// an unchanged course must not be rebuilt.
#[test]
fn verify_reuses_its_build_but_sees_every_change() {
    let course = Course::fixture("mini");
    let (code, _) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 0);
    course.write(
        "solutions/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    a * b\n}\n",
    );
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1, "the changed solution must be rebuilt and fail");
    assert_eq!(failing(&report), ["add: solution passes"]);
    course.write(
        "solutions/01_basics/01_add/src/lib.rs",
        "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n",
    );
    let (code, _) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 0, "and fixed again");
    // Nothing changed since: cargo finds every package fresh.
    let ws = course.file("exercises/target/verify/ws");
    let out = std::process::Command::new("cargo")
        .args([
            "build",
            "--tests",
            "--workspace",
            "--message-format",
            "json",
            "--target-dir",
        ])
        .arg(course.file("exercises/target/verify/target"))
        .current_dir(&ws)
        .output()
        .unwrap();
    let rebuilt: Vec<String> = stdout(&out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["fresh"] == false)
        .map(|m| m["target"]["name"].as_str().unwrap_or("?").to_owned())
        .collect();
    assert!(
        rebuilt.is_empty(),
        "an unchanged course was rebuilt: {rebuilt:?}"
    );
}

#[test]
fn patch_mutants_apply_to_the_solution_and_stale_ones_are_reported() {
    let course = Course::fixture("mini");
    // Killed: greet without the exclamation mark.
    course.write(
        "solutions/01_basics/02_greet/mutants/no_bang.patch",
        "forgets the exclamation mark\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n pub fn greet(name: &str) -> String {\n-    format!(\"Hello, {name}!\")\n+    format!(\"Hello, {name}\")\n }\n",
    );
    // Stale: its context no longer matches the solution.
    course.write(
        "solutions/01_basics/02_greet/mutants/stale.patch",
        "an old bug\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n pub fn greet(who: &str) -> String {\n-    format!(\"Hi, {who}!\")\n+    format!(\"Hi {who}\")\n }\n",
    );
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1);
    assert_eq!(failing(&report), ["greet: mutant `stale` is rejected"]);
    let stale = case(&report, "greet: mutant `stale` is rejected");
    assert!(
        stale["message"]
            .as_str()
            .unwrap()
            .contains("does not apply to the solution"),
        "{stale}"
    );
    assert_eq!(
        case(&report, "greet: mutant `no_bang` is rejected")["status"],
        "pass"
    );
}

/// Two exercises that build serde with different features would recompile it at every switch:
/// verify says so and names the fix; `exercise dev deps` pins them to one set, and verify passes.
#[test]
fn exercises_that_build_a_crate_differently_are_reported_and_dev_deps_unifies_them() {
    let course = Course::fixture("mini");
    let add = "exercises/01_basics/01_add/Cargo.toml";
    let greet = "exercises/01_basics/02_greet/Cargo.toml";
    let with = |rel: &str, dep: &str| {
        let text = format!("{}\n[dependencies]\n{dep}\n", course.read(rel));
        course.write(rel, &text);
    };
    with(add, r#"serde = { version = "1", features = ["derive"] }"#);
    with(
        greet,
        r#"serde = { version = "1", default-features = false, features = ["alloc"] }"#,
    );
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(code, 1, "{report:#}");
    let deps = case(
        &report,
        "dependencies: every exercise builds each crate with the same features",
    );
    assert_eq!(deps["status"], "fail", "{deps}");
    assert!(
        deps["message"]
            .as_str()
            .unwrap()
            .contains("run `exercise dev deps`"),
        "{deps}"
    );
    assert!(
        deps["output"]
            .as_str()
            .unwrap()
            .contains("exercise `greet` builds serde"),
        "names the exercise and the crate: {deps}"
    );

    let out = course.cmd().args(["dev", "deps"]).output().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        course
            .read(greet)
            .contains("# Generated by `exercise dev deps`"),
        "greet is pinned: {}",
        course.read(greet)
    );
    let (code, report) = verify_json(&course, &["--skip-style"]);
    assert_eq!(failing(&report), Vec::<String>::new(), "{report:#}");
    assert_eq!(code, 0);
}

/// An exercise where the learner writes the tests: verify proves that the shipped tests (and a
/// trivially passing one) catch no bug and the reference tests catch every one, and reports a
/// bug that the reference tests let through, or that any test would "catch".
#[test]
fn verify_checks_the_bugs_of_a_tests_exercise() {
    let course = Course::fixture("hunt");
    let (code, report) = verify_json(&course, &[]);
    assert_eq!(code, 0, "{report:#}");
    for bug in [
        "buzz_before_fizzbuzz",
        "fizz_on_three_only",
        "number_off_by_one",
    ] {
        assert_eq!(
            case(&report, &format!("fizzbuzz: bug `{bug}` is caught"))["status"],
            "pass"
        );
        assert_eq!(
            case(
                &report,
                &format!("fizzbuzz: bug `{bug}` passes the shipped tests")
            )["status"],
            "pass"
        );
    }

    // The reference tests lose the test of 15; a bug that does not build is caught by any test.
    let reference = "solutions/01_basics/01_fizzbuzz/tests/fizzbuzz.rs";
    let text = course.read(reference);
    let cut = text.find("#[test]\nfn multiples_of_fifteen").unwrap();
    course.write(reference, &format!("{}\n", text[..cut].trim_end()));
    let broken = "solutions/01_basics/01_fizzbuzz/bugs/number_off_by_one.patch";
    course.write(
        broken,
        &course.read(broken).replace("(n + 1)", "(n + \"1\")"),
    );
    let (code, report) = verify_json(&course, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        failing(&report),
        [
            "fizzbuzz: bug `number_off_by_one` passes the shipped tests",
            "fizzbuzz: bug `buzz_before_fizzbuzz` is caught",
            "fizzbuzz: bug `number_off_by_one` is caught",
        ]
    );
    let survived = case(&report, "fizzbuzz: bug `buzz_before_fizzbuzz` is caught");
    assert!(
        survived["message"]
            .as_str()
            .unwrap()
            .contains("says Buzz for multiples of 15"),
        "{survived:#}"
    );
}

/// Grade takes only the learner's tests of a tests exercise, runs them on the course's
/// implementation (the learner's edits to it do not count) and its bugs, and scores the bugs
/// caught.
#[test]
fn grade_scores_a_tests_exercise_by_bugs_caught() {
    let course = Course::fixture("hunt");
    let learner = Course::fixture("hunt");
    let (_, report) = grade(&course, learner.path(), &[]);
    assert_eq!(
        (report["points"].as_u64(), report["max_points"].as_u64()),
        (Some(0), Some(4)),
        "3 bugs and one code exercise: {report:#}"
    );
    learner.write(
        "exercises/01_basics/01_fizzbuzz/tests/fizzbuzz.rs",
        "use fizzbuzz::fizzbuzz;\n#[test]\nfn numbers() { assert_eq!(fizzbuzz(1), \"1\"); }\n#[test]\nfn fizz() { assert_eq!(fizzbuzz(6), \"Fizz\"); }\n",
    );
    // An implementation that would make a wrong test pass is not the one graded.
    learner.write(
        "exercises/01_basics/01_fizzbuzz/src/lib.rs",
        "pub fn fizzbuzz(_: u32) -> String { String::new() }\n",
    );
    let (_, report) = grade(&course, learner.path(), &[]);
    let fizz = case(&report, "fizzbuzz");
    assert_eq!(
        (fizz["points"].as_u64(), fizz["max_points"].as_u64()),
        (Some(2), Some(3)),
        "{fizz:#}"
    );
    assert_eq!(fizz["status"], "fail");
    assert_eq!(
        fizz["message"],
        "2 of 3 bugs caught; graded with the course's own src/lib.rs (the learner's copy differs)"
    );
    assert!(
        fizz["output"]
            .as_str()
            .unwrap()
            .contains("says Buzz for multiples of 15")
    );

    learner.write(
        "exercises/01_basics/01_fizzbuzz/tests/fizzbuzz.rs",
        &course.read("solutions/01_basics/01_fizzbuzz/tests/fizzbuzz.rs"),
    );
    learner.solve("01_basics/02_add");
    let (_, report) = grade(&course, learner.path(), &[]);
    assert_eq!(
        (report["points"].as_u64(), report["max_points"].as_u64()),
        (Some(4), Some(4))
    );

    // Tests that fail on the correct implementation earn nothing, whatever they "catch".
    learner.write(
        "exercises/01_basics/01_fizzbuzz/tests/fizzbuzz.rs",
        "#[test]\nfn always_fails() { panic!(\"no\") }\n",
    );
    let (_, report) = grade(&course, learner.path(), &[]);
    assert_eq!(case(&report, "fizzbuzz")["points"], 0);
}
