//! `exercise grade`: scores a learner's tree. Only the learner's `src/` (and `migrations/`) of
//! each exercise is taken; tests, Cargo manifests and build scripts come from the pristine course, so editing a
//! test (or adding a build.rs) cannot raise a score. Each exercise runs in its own process group
//! with its timeout, an output cap and resource limits: a hang, crash, fork storm or flood costs
//! that exercise, never the grader.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::course::{Course, EXERCISES_DIR};
use crate::manifest::ExerciseInfo;
use crate::pristine::copy_tree;
use crate::report::{Case, Report, Status};
use crate::runner::Verdict;
use crate::runner::exercise::{Options, run_many};
use crate::services::Services;
use crate::verify::{outcome_text, workspace_copy};

/// The learner-owned parts of an exercise: everything else is restored from the course.
const LEARNER_DIRS: [&str; 2] = ["src", "migrations"];

pub struct GradeOptions {
    pub jobs: usize,
}

pub fn grade(
    course: &Course,
    learner_root: &Path,
    opts: &GradeOptions,
    services: &mut Services,
) -> Result<Report> {
    let learner_ws = learner_root.join(EXERCISES_DIR);
    if !learner_ws.is_dir() {
        bail!(
            "{} has no {EXERCISES_DIR}/ folder: pass the root of a learner's course",
            learner_root.display()
        );
    }
    let scratch = tempfile::Builder::new()
        .prefix("backlings-grade-")
        .tempdir()
        .context("cannot create a temporary folder for grading")?;
    let exercises: Vec<&ExerciseInfo> = course.manifest.exercises.iter().collect();
    let mut tampered: Vec<Vec<String>> = Vec::with_capacity(exercises.len());
    let ws = workspace_copy(course, scratch.path(), "graded", |ws| {
        for ex in &exercises {
            let pristine = ws.join(&ex.dir);
            let learner = learner_ws.join(&ex.dir);
            tampered.push(changed_files(&pristine, &learner));
            for dir in LEARNER_DIRS {
                let learner_dir = learner.join(dir);
                if learner_dir.is_dir() {
                    let dest = pristine.join(dir);
                    std::fs::remove_dir_all(&dest).ok();
                    copy_tree(&learner_dir, &dest)?;
                }
            }
        }
        Ok(())
    })?;
    // Not the learner's exercises/target: a graded copy's artifacts must never pass for theirs.
    let target = learner_ws.join("target").join("grade");
    let outcomes = run_many(
        &exercises,
        services,
        opts.jobs,
        &Options {
            workspace: &ws,
            target_dir: Some(&target),
            cancel: None,
            on_progress: None,
        },
        |_| {},
    )?;
    let mut cases = Vec::new();
    let (mut points, mut max_points) = (0, 0);
    for ((ex, o), changed) in exercises.iter().zip(&outcomes).zip(&tampered) {
        let earned = if o.verdict.passed() { ex.points } else { 0 };
        points += earned;
        max_points += ex.points;
        let status = match o.verdict {
            Verdict::Passed => Status::Pass,
            Verdict::ServicesUnavailable | Verdict::Cancelled => Status::Error,
            _ => Status::Fail,
        };
        let mut message = match o.verdict {
            Verdict::Passed => "passes".to_owned(),
            Verdict::CompileError => "does not compile".to_owned(),
            Verdict::TestsFailed => format!(
                "{} of {} tests fail",
                o.count(crate::runner::TestStatus::Failed),
                o.count(crate::runner::TestStatus::Failed)
                    + o.count(crate::runner::TestStatus::Passed)
            ),
            Verdict::TimedOut => format!("timed out after {} s", o.timeout_secs),
            Verdict::NoTests => "no tests ran".to_owned(),
            Verdict::ServicesUnavailable => format!("could not run: {}", o.details),
            Verdict::Cancelled => "cancelled".to_owned(),
        };
        if !changed.is_empty() {
            message.push_str(&format!(
                "; graded with the course's own {} (the learner's copy differs)",
                changed.join(", ")
            ));
        }
        let mut case = Case::new("exercise", ex.name.clone(), status).message(message);
        if !o.verdict.passed() {
            case = case.output(outcome_text(o));
        }
        case.points = Some(earned);
        case.max_points = Some(ex.points);
        case.duration = o.duration;
        cases.push(case);
    }
    let mut report = Report::new("grade", cases);
    report.points = Some(points);
    report.max_points = Some(max_points);
    report.message = Some(format!("{points} of {max_points} points"));
    Ok(report)
}

/// Files outside `src/` that the learner changed, added or removed, relative to the exercise.
fn changed_files(pristine: &Path, learner: &Path) -> Vec<String> {
    let mut changed = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (base, other) in [(pristine, learner), (learner, pristine)] {
        for rel in files_outside_src(base) {
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

fn files_outside_src(dir: &Path) -> Vec<PathBuf> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
            // Lessons may carry the learner's notes; only what can change a verdict counts.
            if LEARNER_DIRS.iter().any(|d| rel.starts_with(d))
                || rel.starts_with("target")
                || rel.extension().is_some_and(|e| e == "md")
            {
                continue;
            }
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}
