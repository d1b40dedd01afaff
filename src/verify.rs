//! `exercise verify`: proves a course is sound. The manifest agrees with the files; every shipped
//! exercise compiles and fails; every solution passes and is rustfmt- and clippy-clean; every
//! mutant (a plausible wrong solution) is rejected by the tests.
//!
//! Each build happens in a temporary copy of the exercises workspace, in rounds that share one
//! target dir (`exercises/target/verify`) so dependencies are built once. The rounds run one
//! after the other on purpose: cargo names a workspace member's artifacts by its path *relative
//! to the workspace root*, so two copies of the same package built at once into one target dir
//! would overwrite each other. For the same reason verify never builds into the learner's
//! `exercises/target`: a copy's artifacts could pass for the learner's own.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::course::{Course, EXERCISES_DIR, SOLUTIONS_DIR};
use crate::manifest::ExerciseInfo;
use crate::pristine::copy_tree;
use crate::report::{Case, Report, Status};
use crate::runner::exercise::{Options, run_many};
use crate::runner::{Outcome, TestStatus, Verdict};
use crate::services::Services;
use crate::ui;

pub const MUTANTS_DIR: &str = "mutants";

pub struct VerifyOptions {
    pub jobs: usize,
    /// Skip rustfmt and clippy (for machines without those components).
    pub skip_style: bool,
}

pub fn verify(course: &Course, opts: &VerifyOptions, services: &mut Services) -> Result<Report> {
    let mut cases = check_manifest(course)?;
    let exercises: Vec<&ExerciseInfo> = course
        .manifest
        .exercises
        .iter()
        .filter(|ex| course.exercise_dir(ex).join("Cargo.toml").is_file())
        .collect();
    let scratch = tempfile::Builder::new()
        .prefix("backlings-verify-")
        .tempdir()
        .context("cannot create a temporary folder for verify")?;
    let target = course.workspace_dir().join("target").join("verify");
    let progress = Progress::new(exercises.len());

    // Round 1: the exercises as shipped must compile and fail.
    progress.stage("shipped exercises fail");
    let shipped = workspace_copy(course, scratch.path(), "shipped", |_| Ok(()))?;
    let outcomes = run_round(
        &shipped, &target, &exercises, services, opts.jobs, &progress,
    )?;
    for (ex, o) in exercises.iter().zip(&outcomes) {
        cases.push(unsolved_case(ex, o));
    }

    // Round 2: the solutions, overlaid on a copy, must pass.
    progress.stage("solutions pass");
    let solved = workspace_copy(course, scratch.path(), "solutions", |ws| {
        overlay_solutions(course, ws)
    })?;
    let outcomes = run_round(&solved, &target, &exercises, services, opts.jobs, &progress)?;
    for (ex, o) in exercises.iter().zip(&outcomes) {
        let case = match o.verdict {
            Verdict::Passed => Case::new(
                "solution",
                format!("{}: solution passes", ex.name),
                Status::Pass,
            ),
            Verdict::ServicesUnavailable => services_case("solution", ex, o),
            _ => Case::new(
                "solution",
                format!("{}: solution passes", ex.name),
                Status::Fail,
            )
            .message(format!("the solution does not pass ({})", verdict_words(o)))
            .output(outcome_text(o)),
        };
        cases.push(timed(case, o));
    }

    // Style: rustfmt and clippy on the solved copy.
    if !opts.skip_style {
        progress.stage("solutions are rustfmt- and clippy-clean");
        cases.extend(rustfmt_cases(course, &exercises));
        cases.extend(clippy_cases(&solved, &target, &exercises)?);
    }

    // Rounds 3…: the k-th mutant of every exercise that has one, all in one build.
    let mutants: BTreeMap<&str, Vec<PathBuf>> = exercises
        .iter()
        .map(|ex| (ex.name.as_str(), mutant_files(course, ex)))
        .filter(|(_, m)| !m.is_empty())
        .collect();
    let rounds = mutants.values().map(Vec::len).max().unwrap_or(0);
    for k in 0..rounds {
        progress.stage(&format!(
            "mutants are rejected (round {} of {rounds})",
            k + 1
        ));
        let in_round: Vec<&ExerciseInfo> = exercises
            .iter()
            .copied()
            .filter(|ex| mutants.get(ex.name.as_str()).is_some_and(|m| m.len() > k))
            .collect();
        let ws = workspace_copy(course, scratch.path(), &format!("mutants-{k}"), |ws| {
            overlay_solutions(course, ws)?;
            for ex in &in_round {
                apply_mutant(&mutants[ex.name.as_str()][k], &ws.join(&ex.dir))?;
            }
            Ok(())
        })?;
        let outcomes = run_round(&ws, &target, &in_round, services, opts.jobs, &progress)?;
        for (ex, o) in in_round.iter().zip(&outcomes) {
            let mutant = &mutants[ex.name.as_str()][k];
            cases.push(timed(mutant_case(course, ex, mutant, o), o));
        }
    }
    progress.finish();
    Ok(Report::new("verify", cases))
}

fn timed(mut case: Case, o: &Outcome) -> Case {
    case.duration = o.duration;
    case
}

fn unsolved_case(ex: &ExerciseInfo, o: &Outcome) -> Case {
    let name = format!("{}: fails as shipped", ex.name);
    if ex.skip_check_unsolved {
        return Case::new("unsolved", name, Status::Pass)
            .message("skipped (skip_check_unsolved = true)");
    }
    let case = match o.verdict {
        Verdict::TestsFailed | Verdict::TimedOut => Case::new("unsolved", name, Status::Pass),
        Verdict::Passed => Case::new("unsolved", name, Status::Fail)
            .message("passes as shipped: its tests check nothing the learner has to do (or set skip_check_unsolved)"),
        Verdict::CompileError => Case::new("unsolved", name, Status::Fail)
            .message("does not compile as shipped: exercises must compile, with todo!() where the learner works")
            .output(&o.details),
        Verdict::NoTests => Case::new("unsolved", name, Status::Fail).message("has no tests"),
        Verdict::ServicesUnavailable => services_case("unsolved", ex, o),
        Verdict::Cancelled => Case::new("unsolved", name, Status::Error).message("cancelled"),
    };
    timed(case, o)
}

/// A mutant is either `mutants/<name>.rs`, which replaces `src/lib.rs`, or a folder
/// `mutants/<name>/` whose files replace the same paths in the exercise (a migration, say).
fn apply_mutant(mutant: &Path, exercise: &Path) -> Result<()> {
    if mutant.is_dir() {
        copy_tree(mutant, exercise)
    } else {
        std::fs::copy(mutant, exercise.join("src/lib.rs"))
            .map(|_| ())
            .with_context(|| format!("cannot apply mutant {}", mutant.display()))
    }
}

fn mutant_case(course: &Course, ex: &ExerciseInfo, mutant: &Path, o: &Outcome) -> Case {
    let stem = mutant
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = format!("{}: mutant `{stem}` is rejected", ex.name);
    let rel = mutant
        .strip_prefix(&course.root)
        .unwrap_or(mutant)
        .display()
        .to_string();
    match o.verdict {
        Verdict::TestsFailed | Verdict::TimedOut => Case::new("mutant", name, Status::Pass),
        Verdict::Passed => Case::new("mutant", name, Status::Fail).message(format!(
            "mutant survives: the tests accept {rel}, a wrong solution{}",
            describe_mutant(mutant)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        Verdict::CompileError => Case::new("mutant", name, Status::Fail)
            .message(format!(
                "{rel} does not compile; a mutant must be a plausible solution that builds"
            ))
            .output(&o.details),
        Verdict::ServicesUnavailable => services_case("mutant", ex, o),
        _ => Case::new("mutant", name, Status::Error).message(verdict_words(o)),
    }
}

/// What is wrong with a mutant, from the first line of its (first) file when that is a `//!` or
/// `--` comment.
fn describe_mutant(path: &Path) -> Option<String> {
    let file = if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut |p| files.push(p.to_path_buf()));
        files.sort();
        files.into_iter().next()?
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(file).ok()?;
    let first = text.lines().next()?.trim();
    first
        .strip_prefix("//!")
        .or_else(|| first.strip_prefix("--"))
        .map(|d| d.trim().to_owned())
}

fn services_case(group: &'static str, ex: &ExerciseInfo, o: &Outcome) -> Case {
    Case::new(group, format!("{}: {group}", ex.name), Status::Error)
        .message(format!("cannot run: {}", o.details))
}

fn verdict_words(o: &Outcome) -> String {
    match o.verdict {
        Verdict::Passed => "passes".into(),
        Verdict::CompileError => "does not compile".into(),
        Verdict::TestsFailed => format!("{} failing test(s)", o.count(TestStatus::Failed)),
        Verdict::TimedOut => format!("timed out after {} s", o.timeout_secs),
        Verdict::NoTests => "no tests".into(),
        Verdict::ServicesUnavailable => o.details.clone(),
        Verdict::Cancelled => "cancelled".into(),
    }
}

/// The outcome as text for a report: what a learner would see, without colour and without the
/// headline (the report's message says it).
pub fn outcome_text(o: &Outcome) -> String {
    let text = ui::strip_ansi(&ui::render_outcome(o));
    text.split_once('\n').map_or(String::new(), |(_, rest)| {
        rest.trim_start_matches('\n').to_owned()
    })
}

fn run_round(
    workspace: &Path,
    target: &Path,
    exercises: &[&ExerciseInfo],
    services: &mut Services,
    jobs: usize,
    progress: &Progress,
) -> Result<Vec<Outcome>> {
    progress.reset(exercises.len());
    let sink = |line: &str| progress.cargo_line(line);
    run_many(
        exercises,
        services,
        jobs,
        &Options {
            workspace,
            target_dir: Some(target),
            cancel: None,
            on_progress: Some(&sink),
        },
        |o| progress.done(&o.exercise),
    )
}

/// Copies the exercises workspace (without build output) to `scratch/name`, then lets `prepare`
/// change the copy.
pub fn workspace_copy(
    course: &Course,
    scratch: &Path,
    name: &str,
    prepare: impl FnOnce(&Path) -> Result<()>,
) -> Result<PathBuf> {
    let ws = scratch.join(name).join(EXERCISES_DIR);
    copy_tree(&course.workspace_dir(), &ws)?;
    prepare(&ws)?;
    Ok(ws)
}

/// Writes every solution file over its exercise file in the copy `ws` (mutants excluded).
pub fn overlay_solutions(course: &Course, ws: &Path) -> Result<()> {
    for ex in &course.manifest.exercises {
        for (rel, path) in solution_files(course, ex) {
            let dest = ws.join(&ex.dir).join(&rel);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(&path, &dest)
                .with_context(|| format!("cannot copy {}", path.display()))?;
        }
    }
    Ok(())
}

/// The files of an exercise's solution, relative to the solution dir, mutants excluded.
fn solution_files(course: &Course, ex: &ExerciseInfo) -> Vec<(PathBuf, PathBuf)> {
    let root = course.solution_dir(ex);
    let mut out = Vec::new();
    walk(&root, &mut |path| {
        let rel = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
        if !rel.starts_with(MUTANTS_DIR) {
            out.push((rel, path.to_path_buf()));
        }
    });
    out.sort();
    out
}

fn mutant_files(course: &Course, ex: &ExerciseInfo) -> Vec<PathBuf> {
    let dir = course.solution_dir(ex).join(MUTANTS_DIR);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "rs"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn walk(dir: &Path, f: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if entry.file_name() != "target" {
                walk(&path, f);
            }
        } else {
            f(&path);
        }
    }
}

fn non_empty_file(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| !t.trim().is_empty())
}

/// The manifest agrees with the files on disk.
pub fn check_manifest(course: &Course) -> Result<Vec<Case>> {
    let mut problems: Vec<String> = Vec::new();
    let m = &course.manifest;
    let ws = course.workspace_dir();

    // Workspace members, from cargo itself (globs, excludes and all).
    let members = workspace_members(&ws);
    let members = match members {
        Ok(members) => Some(members),
        Err(e) => {
            problems.push(format!(
                "cargo metadata failed for {}: {e:#}",
                ws.join("Cargo.toml").display()
            ));
            None
        }
    };

    for topic in &m.topics {
        if !non_empty_file(&ws.join(&topic.dir).join("README.md")) {
            problems.push(format!(
                "topic `{}`: {EXERCISES_DIR}/{}/README.md is missing or empty",
                topic.name, topic.dir
            ));
        }
    }
    for ex in &m.exercises {
        let dir = course.exercise_dir(ex);
        let rel = course.exercise_rel(ex);
        if let Some(topic) = m.topic(&ex.topic)
            && !Path::new(&ex.dir).starts_with(&topic.dir)
        {
            problems.push(format!(
                "exercise `{}`: dir `{}` is not inside its topic's folder `{}`",
                ex.name, ex.dir, topic.dir
            ));
        }
        if !dir.join("Cargo.toml").is_file() {
            problems.push(format!(
                "exercise `{}`: {rel}/Cargo.toml does not exist",
                ex.name
            ));
            continue;
        }
        if let Some(members) = &members {
            match members.iter().find(|(_, d)| same_dir(d, &dir)) {
                None => problems.push(format!("exercise `{}`: {rel} is not a member of the exercises workspace", ex.name)),
                Some((pkg, _)) if pkg != &ex.name => problems.push(format!(
                    "exercise `{}`: its package is named `{pkg}`; the package name must equal the exercise name",
                    ex.name
                )),
                Some(_) => {}
            }
        }
        if ex.hint.trim().is_empty() {
            problems.push(format!("exercise `{}`: the hint is empty", ex.name));
        }
        if !non_empty_file(&dir.join("README.md")) {
            problems.push(format!(
                "exercise `{}`: {rel}/README.md (the lesson) is missing or empty",
                ex.name
            ));
        }
        let solution = solution_files(course, ex);
        if solution.is_empty() {
            problems.push(format!(
                "exercise `{}`: {SOLUTIONS_DIR}/{} has no solution files",
                ex.name, ex.dir
            ));
        }
        for (file_rel, _) in &solution {
            if !dir.join(file_rel).is_file() {
                problems.push(format!(
                    "exercise `{}`: solution file {SOLUTIONS_DIR}/{}/{} has no counterpart in {rel}",
                    ex.name,
                    ex.dir,
                    file_rel.display()
                ));
            }
        }
    }
    // Members inside a topic folder are exercises and must be listed; others (support) are not.
    if let Some(members) = &members {
        let listed: BTreeSet<PathBuf> = m
            .exercises
            .iter()
            .map(|e| canonical(&course.exercise_dir(e)))
            .collect();
        for (pkg, dir) in members {
            let in_topic = m
                .topics
                .iter()
                .any(|t| dir.starts_with(canonical(&ws.join(&t.dir))));
            if in_topic && !listed.contains(dir) {
                let shown = dir
                    .strip_prefix(canonical(&course.root))
                    .unwrap_or(dir)
                    .display()
                    .to_string();
                problems.push(format!(
                    "workspace member `{pkg}` ({shown}) is not listed in info.toml"
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(vec![Case::new(
            "manifest",
            "manifest: consistent with the files",
            Status::Pass,
        )]);
    }
    Ok(problems
        .into_iter()
        .map(|p| Case::new("manifest", format!("manifest: {p}"), Status::Fail).message(p))
        .collect())
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn same_dir(a: &Path, b: &Path) -> bool {
    canonical(a) == canonical(b)
}

/// (package name, package dir) of every workspace member.
fn workspace_members(ws: &Path) -> Result<Vec<(String, PathBuf)>> {
    let out = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--manifest-path",
        ])
        .arg(ws.join("Cargo.toml"))
        .output()
        .context("cannot run cargo metadata")?;
    if !out.status.success() {
        anyhow::bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
    }
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    Ok(meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"].as_str().is_some_and(|id| members.contains(id)))
        .filter_map(|p| {
            let name = p["name"].as_str()?.to_owned();
            let dir = Path::new(p["manifest_path"].as_str()?).parent()?;
            Some((name, canonical(dir)))
        })
        .collect())
}

fn rustfmt_cases(course: &Course, exercises: &[&ExerciseInfo]) -> Vec<Case> {
    exercises
        .iter()
        .map(|ex| {
            let name = format!("{}: solution is rustfmt-clean", ex.name);
            let files: Vec<PathBuf> = solution_files(course, ex)
                .into_iter()
                .map(|(_, p)| p)
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect();
            if files.is_empty() {
                return Case::new("style", name, Status::Pass);
            }
            let out = Command::new("rustfmt")
                .args(["--check", "--edition", "2024"])
                .args(&files)
                .output();
            match out {
                Ok(o) if o.status.success() => Case::new("style", name, Status::Pass),
                Ok(o) => Case::new("style", name, Status::Fail)
                    .message("rustfmt would change the solution (run rustfmt on it)")
                    .output(String::from_utf8_lossy(&o.stdout)),
                Err(e) => Case::new("style", name, Status::Error)
                    .message(format!("cannot run rustfmt ({e}); install it with `rustup component add rustfmt` or pass --skip-style")),
            }
        })
        .collect()
}

fn clippy_cases(ws: &Path, target: &Path, exercises: &[&ExerciseInfo]) -> Result<Vec<Case>> {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(ws)
        .args([
            "clippy",
            "--all-targets",
            "--keep-going",
            "--message-format=json",
            "--target-dir",
        ])
        .arg(target);
    for ex in exercises {
        cmd.arg("-p").arg(&ex.name);
    }
    cmd.args(["--", "-D", "warnings"]);
    let started = Instant::now();
    let out = cmd.output().context("cannot run cargo clippy")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("no such command") {
        return Ok(vec![Case::new("style", "clippy", Status::Error).message(
            "cargo clippy is not installed: `rustup component add clippy`, or pass --skip-style",
        )]);
    }
    let mut findings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] != "compiler-message" || msg["message"]["level"] != "error" {
            continue;
        }
        let pkg = crate::runner::package_name(msg["package_id"].as_str().unwrap_or_default());
        let rendered = msg["message"]["rendered"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let list = findings.entry(pkg).or_default();
        if !list.contains(&rendered) {
            list.push(rendered);
        }
    }
    Ok(exercises
        .iter()
        .map(|ex| {
            let name = format!("{}: solution is clippy-clean", ex.name);
            let mut case = match findings.get(&ex.name) {
                None => Case::new("style", name, Status::Pass),
                Some(msgs) => Case::new("style", name, Status::Fail)
                    .message(format!(
                        "clippy -D warnings reports {} problem(s)",
                        msgs.len()
                    ))
                    .output(msgs.join("\n")),
            };
            case.duration = started.elapsed();
            case
        })
        .collect())
}

/// A progress bar on stderr (hidden when stderr is not a terminal).
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new(len: usize) -> Progress {
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(len as u64),
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:.bold} [{bar:30}] {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("#>-"),
        );
        Progress { bar }
    }

    fn stage(&self, what: &str) {
        self.bar.set_prefix(what.to_owned());
    }

    fn reset(&self, len: usize) {
        self.bar.set_length(len as u64);
        self.bar.set_position(0);
    }

    fn cargo_line(&self, line: &str) {
        let plain = ui::strip_ansi(line);
        let plain = plain.trim();
        if plain.starts_with("Compiling") {
            self.bar.set_message(plain.to_owned());
        }
    }

    fn done(&self, exercise: &str) {
        self.bar.inc(1);
        self.bar.set_message(exercise.to_owned());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
