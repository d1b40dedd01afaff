//! `exercise grade`: scores a learner's tree. Only the learner's `src/` (and `migrations/`) of
//! each exercise is taken; tests, Cargo manifests and build scripts come from the pristine course, so editing a
//! test (or adding a build.rs) cannot raise a score. Each exercise runs in its own process group
//! with its timeout, an output cap and resource limits: a hang, crash, fork storm or flood costs
//! that exercise, never the grader.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::report::{Case, Group, Report, ReportKind, Status};
use crate::course::{Course, EXERCISES_DIR, MANIFEST_FILE, Manifest};
use crate::fs::copy_tree;
use crate::runner::{self, Job, Options, Verdict};
use crate::services::Services;
use crate::ui::verdict::{outcome_text, summary};

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
    check_same_course(course, learner_root)?;
    let scratch = tempfile::Builder::new()
        .prefix("backlings-grade-")
        .tempdir()
        .context("cannot create a temporary folder for grading")?;
    let exercises = &course.manifest.exercises;
    let mut tampered: Vec<Vec<String>> = Vec::with_capacity(exercises.len());
    let ws = scratch.path().join("graded").join(EXERCISES_DIR);
    copy_tree(&course.workspace_dir(), &ws)?;
    one_shot_manifest(&ws.join("Cargo.toml"))?;
    {
        for ex in exercises {
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
    }
    // Not the learner's exercises/target: a graded copy's artifacts must never pass for theirs.
    let target = learner_ws.join("target").join("grade");
    let jobs: Vec<Job> = exercises.iter().map(Job::for_exercise).collect();
    let outcomes = runner::run_many(
        &jobs,
        services,
        &Options {
            workspace: &ws,
            target_dir: Some(&target),
            cancel: None,
            on_event: &|_| {},
            jobs: opts.jobs,
        },
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
        case.max_points = Some(ex.points);
        case.duration = o.duration;
        cases.push(case);
    }
    let mut report = Report::new(ReportKind::Grade, cases);
    report.points = Some(points);
    report.max_points = Some(max_points);
    report.message = Some(format!("{points} of {max_points} points"));
    Ok(report)
}

/// The graded copy is built once and run: no incremental state, no debug info.
fn one_shot_manifest(path: &Path) -> Result<()> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut manifest: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    super::one_shot::apply(&mut manifest);
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
    crate::fs::files_under(dir)
        .unwrap_or_default()
        .into_iter()
        // Lessons may carry the learner's notes; only what can change a verdict counts.
        .filter(|rel| {
            !(LEARNER_DIRS.iter().any(|d| rel.starts_with(d))
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
        assert!(changed_files(&pristine, &learner).is_empty());
        crate::fs::write_if_changed(&learner.join("tests/checks.rs"), b"").unwrap();
        crate::fs::write_if_changed(&learner.join("build.rs"), b"fn main() {}").unwrap();
        assert_eq!(
            changed_files(&pristine, &learner),
            ["build.rs", "tests/checks.rs"]
        );
    }
}
