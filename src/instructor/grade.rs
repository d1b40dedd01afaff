//! `exercise grade`: scores a learner's tree. Only the learner's `src/` (and `migrations/`) of
//! each exercise is taken; tests, Cargo manifests and build scripts come from the pristine course, so editing a
//! test (or adding a build.rs) cannot raise a score. In an exercise where the learner writes
//! the tests it is the other way round: only their `tests/` is taken, run against the course's
//! implementation and its known bugs, and the score is the bugs caught. Each exercise runs in its own process group
//! with its timeout, an output cap and resource limits: a hang, crash, fork storm or flood costs
//! that exercise, never the grader.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::report::{Case, Group, Report, ReportKind, Status};
use crate::bugs::{self, Bug};
use crate::course::{Course, EXERCISES_DIR, ExerciseInfo, ExerciseKind, MANIFEST_FILE, Manifest};
use crate::fs::copy_tree;
use crate::runner::{self, Job, Options, Outcome, Verdict};
use crate::services::Services;
use crate::synthetic;
use crate::ui::verdict::{outcome_text, summary};

/// Where the graded workspace keeps the copies of tests exercises with a known bug.
const BUGS_MEMBERS: &str = "bughunt";

/// `exercise grade`'s own arguments, as the command line gives them.
pub struct GradeArgs {
    pub jobs: Option<usize>,
    pub min_points: Option<u32>,
    pub target_dir: Option<PathBuf>,
}

pub struct GradeOptions<'a> {
    pub jobs: usize,
    /// Where the learner's code builds and runs (None: as the grader, unconfined).
    pub sandbox: Option<&'a crate::sandbox::Sandbox>,
    /// Instead of the learner's `exercises/target/grade`.
    pub target_dir: Option<PathBuf>,
}

pub fn grade(
    course: &Course,
    learner_root: &Path,
    opts: &GradeOptions,
    services: &mut Services,
) -> Result<Report> {
    check_learner_tree(course, learner_root)?;
    let learner_ws = learner_root.join(EXERCISES_DIR);
    let scratch = tempfile::Builder::new()
        .prefix("backlings-grade-")
        .tempdir()
        .context("cannot create a temporary folder for grading")?;
    let exercises = &course.manifest.exercises;
    let mut tampered: Vec<Vec<String>> = Vec::with_capacity(exercises.len());
    let ws = scratch.path().join("graded").join(EXERCISES_DIR);
    copy_tree(&course.workspace_dir(), &ws)?;
    {
        for ex in exercises {
            let pristine = ws.join(&ex.dir);
            let learner = learner_ws.join(&ex.dir);
            let owned = ex.learner_paths();
            tampered.push(changed_files(&pristine, &learner, &owned));
            // Graded with the course's tests only: a library harness that would run none of
            // them is not built (the learner's own unit tests in src/ never counted).
            let sources = crate::fs::read_tree(&pristine.join("src"))?;
            if !synthetic::has_unit_tests(sources.values().map(Vec::as_slice)) {
                let manifest = pristine.join("Cargo.toml");
                let text = std::fs::read(&manifest)
                    .with_context(|| format!("cannot read {}", manifest.display()))?;
                std::fs::write(&manifest, synthetic::without_lib_harness(&text)?)
                    .with_context(|| format!("cannot write {}", manifest.display()))?;
            }
            for path in owned {
                let theirs = learner.join(path);
                let dest = pristine.join(path);
                if theirs.is_dir() {
                    std::fs::remove_dir_all(&dest).ok();
                    copy_tree(&theirs, &dest)?;
                } else if theirs.is_file() {
                    std::fs::copy(&theirs, &dest)
                        .with_context(|| format!("cannot copy {}", theirs.display()))?;
                }
            }
        }
    }
    // Each tests exercise, with the learner's tests in place, is copied once per known bug.
    let mut bug_members = Vec::new();
    let mut bug_jobs: Vec<Vec<(Bug, Job)>> = Vec::with_capacity(exercises.len());
    for ex in exercises {
        let mut jobs = Vec::new();
        if ex.kind == ExerciseKind::Tests {
            let files = crate::fs::read_tree(&ws.join(&ex.dir))?;
            for bug in bugs::bugs_of(course, ex) {
                let package = bugs::bug_package_name(ex, &bug);
                let dir = Path::new(BUGS_MEMBERS).join(&ex.name).join(&bug.name);
                let copy = bugs::bug_package(ex, &files, &bug, &package, dir)?;
                crate::fs::sync_dir(&ws.join(&copy.dir), &copy.files)?;
                bug_members.push(copy.dir.to_string_lossy().into_owned());
                jobs.push((
                    bug,
                    Job {
                        package,
                        ..Job::for_exercise(ex)
                    },
                ));
            }
        }
        bug_jobs.push(jobs);
    }
    graded_manifest(&ws.join("Cargo.toml"), &bug_members)?;
    // Not the learner's exercises/target: a graded copy's artifacts must never pass for theirs.
    let target = match &opts.target_dir {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("cannot resolve --target-dir {}", dir.display()))?,
        None => learner_ws.join("target").join("grade"),
    };
    let jobs: Vec<Job> = exercises
        .iter()
        .map(Job::for_exercise)
        .chain(bug_jobs.iter().flatten().map(|(_, job)| job.clone()))
        .collect();
    let mut outcomes = runner::run_many(
        &jobs,
        services,
        &Options {
            workspace: &ws,
            target_dir: Some(&target),
            cancel: None,
            on_event: &|_| {},
            jobs: opts.jobs,
            sandbox: opts.sandbox,
        },
    )?;
    let mut per_bug = outcomes.split_off(exercises.len()).into_iter();
    let outcomes: Vec<Outcome> = exercises
        .iter()
        .zip(outcomes)
        .zip(&bug_jobs)
        .map(|((ex, o), jobs)| match ex.kind {
            ExerciseKind::Code => o,
            ExerciseKind::Tests => {
                let theirs: Vec<(&Bug, Outcome)> = jobs
                    .iter()
                    .map(|(bug, _)| bug)
                    .zip(per_bug.by_ref())
                    .collect();
                bugs::tally(ex, o, &theirs)
            }
        })
        .collect();
    let mut cases = Vec::new();
    let (mut points, mut max_points) = (0, 0);
    for ((ex, o), changed) in exercises.iter().zip(&outcomes).zip(&tampered) {
        let (earned, max) = score(ex, o);
        points += earned;
        max_points += max;
        let status = match o.verdict {
            Verdict::Passed => Status::Pass,
            Verdict::ServicesUnavailable | Verdict::Cancelled => Status::Error,
            // Some bugs caught: partial points, still not a pass.
            _ => Status::Fail,
        };
        let mut message = summary(o);
        if !changed.is_empty() {
            message.push_str(&format!(
                "; graded with the course's own {} (the learner's copy differs)",
                changed.join(", ")
            ));
        }
        let mut case = Case::new(Group::Exercise, ex.name.clone(), status).message(message);
        if !o.verdict.passed() {
            case = case.output(outcome_text(o));
        }
        case.points = Some(earned);
        case.max_points = Some(max);
        case.duration = o.duration;
        cases.push(case);
    }
    let mut report = Report::new(ReportKind::Grade, cases);
    report.points = Some(points);
    report.max_points = Some(max_points);
    report.message = Some(format!("{points} of {max_points} points"));
    Ok(report)
}

/// Refuses what is not a learner's tree of this course (before anything else is said).
pub fn check_learner_tree(course: &Course, learner_root: &Path) -> Result<()> {
    if !learner_root.join(EXERCISES_DIR).is_dir() {
        bail!(
            "{} has no {EXERCISES_DIR}/ folder: pass the root of a learner's course",
            learner_root.display()
        );
    }
    check_same_course(course, learner_root)
}

/// Points earned and possible. A code exercise is worth its `points` when it passes; a tests
/// exercise its `points` for each known bug, earned for each bug caught by tests that pass on
/// the correct implementation.
fn score(ex: &ExerciseInfo, o: &Outcome) -> (u32, u32) {
    match (&o.bugs, o.verdict) {
        (Some(bugs), Verdict::Passed | Verdict::BugsMissed) => (
            ex.points * bugs.caught.len() as u32,
            ex.points * bugs.total() as u32,
        ),
        (Some(bugs), _) => (0, ex.points * bugs.total() as u32),
        (None, v) => (if v.passed() { ex.points } else { 0 }, ex.points),
    }
}

/// The graded copy is built once and run: no incremental state, no debug info; the copies
/// with a known bug are members too.
fn graded_manifest(path: &Path, bug_members: &[String]) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    crate::synthetic::one_shot(&mut manifest);
    if let Some(members) = manifest
        .get_mut("workspace")
        .and_then(|w| w.get_mut("members"))
        .and_then(|m| m.as_array_mut())
    {
        members.extend(bug_members.iter().cloned().map(toml::Value::String));
    }
    let text =
        toml::to_string(&manifest).context("cannot write the graded workspace's manifest")?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// A learner's tree of another course would score 0 against this one, silently: refuse it.
/// The learner's manifest (when there is one) must list the same topics and exercises; without
/// one, at least one exercise folder of this course must be there.
fn check_same_course(course: &Course, learner_root: &Path) -> Result<()> {
    let hint = "pass the learner's course with `--course DIR` (the course they worked on)";
    let manifest_path = learner_root.join(MANIFEST_FILE);
    if manifest_path.is_file() {
        let text = std::fs::read_to_string(&manifest_path)
            .with_context(|| format!("cannot read {}", manifest_path.display()))?;
        let theirs = Manifest::parse(&text, &manifest_path.display().to_string())?;
        let names = |m: &Manifest| -> (Vec<String>, Vec<String>) {
            (
                m.topics.iter().map(|t| t.name.clone()).collect(),
                m.exercises.iter().map(|e| e.name.clone()).collect(),
            )
        };
        let ((our_topics, ours), (their_topics, their_exercises)) =
            (names(&course.manifest), names(&theirs));
        if our_topics != their_topics || ours != their_exercises {
            let missing: Vec<&str> = ours
                .iter()
                .filter(|n| !their_exercises.contains(n))
                .map(String::as_str)
                .collect();
            bail!(
                "{} is a learner tree of another course: its {MANIFEST_FILE} lists {} exercises in {} topics, the grading course {} in {}{}; {hint}",
                learner_root.display(),
                their_exercises.len(),
                their_topics.len(),
                ours.len(),
                our_topics.len(),
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} of the grading course's exercises are not in it, e.g. `{}`)",
                        missing.len(),
                        missing[0]
                    )
                }
            );
        }
    } else if !course
        .manifest
        .exercises
        .iter()
        .any(|ex| learner_root.join(EXERCISES_DIR).join(&ex.dir).is_dir())
    {
        bail!(
            "{} has none of the grading course's exercise folders (e.g. {EXERCISES_DIR}/{}); {hint}",
            learner_root.display(),
            course
                .manifest
                .exercises
                .first()
                .map_or("", |e| e.dir.as_str())
        );
    }
    Ok(())
}

/// Files outside the learner's folders that the learner changed, added or removed, relative to
/// the exercise.
fn changed_files(pristine: &Path, learner: &Path, owned: &[&str]) -> Vec<String> {
    let mut changed = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (base, other) in [(pristine, learner), (learner, pristine)] {
        for rel in files_outside_learner_paths(base, owned) {
            if !seen.insert(rel.clone()) {
                continue;
            }
            let a = std::fs::read(base.join(&rel)).ok();
            let b = std::fs::read(other.join(&rel)).ok();
            if a != b {
                changed.push(rel.display().to_string());
            }
        }
    }
    changed.sort();
    changed
}

fn files_outside_learner_paths(dir: &Path, owned: &[&str]) -> Vec<PathBuf> {
    crate::fs::files_under(dir)
        .unwrap_or_default()
        .into_iter()
        // Lessons may carry the learner's notes; only what can change a verdict counts.
        .filter(|rel| {
            !(owned.iter().any(|d| rel.starts_with(d))
                || rel.extension().is_some_and(|e| e == "md"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn only_changes_outside_the_learners_folders_count_as_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let (pristine, learner) = (dir.path().join("p"), dir.path().join("l"));
        for root in [&pristine, &learner] {
            crate::fs::write_if_changed(&root.join("tests/checks.rs"), b"#[test] fn t() {}")
                .unwrap();
            crate::fs::write_if_changed(&root.join("src/lib.rs"), b"todo!()").unwrap();
        }
        crate::fs::write_if_changed(&learner.join("src/lib.rs"), b"solved").unwrap();
        crate::fs::write_if_changed(&learner.join("README.md"), b"my notes").unwrap();
        crate::fs::write_if_changed(&learner.join("target/debug/x"), b"build").unwrap();
        assert!(changed_files(&pristine, &learner, ExerciseKind::Code.learner_dirs()).is_empty());
        crate::fs::write_if_changed(&learner.join("tests/checks.rs"), b"").unwrap();
        crate::fs::write_if_changed(&learner.join("build.rs"), b"fn main() {}").unwrap();
        assert_eq!(
            changed_files(&pristine, &learner, ExerciseKind::Code.learner_dirs()),
            ["build.rs", "tests/checks.rs"]
        );
        // Where the learner writes the tests, their tests are theirs and the code is not.
        assert_eq!(
            changed_files(&pristine, &learner, ExerciseKind::Tests.learner_dirs()),
            ["build.rs", "src/lib.rs"]
        );
    }
}
