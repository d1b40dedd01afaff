//! Exercises where the learner writes the tests (`kind = "tests"` in info.toml).
//!
//! The implementation in `src/` is given and correct; the learner's tests in `tests/` must pass
//! on it and fail on each of the exercise's known bugs: patches of the implementation kept in
//! `solutions/<dir>/bugs/*.patch`, whose first line says what is wrong ("charges the discount
//! twice"). A hunt builds the learner's tests against the correct implementation and against
//! every bug, each a package of a synthetic workspace, in one cargo invocation. The packages
//! share the dependencies already built for the learner (or for verify), so a bug costs its
//! own small library and test crate, never the dependency graph.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::{Course, ExerciseInfo, pristine};
use crate::runner::{self, BugTally, Job, Options, Outcome, Verdict};
use crate::services::Services;
use crate::synthetic::{self, Package, Profile, apply_patch};

/// Where an exercise's known bugs live, below its solution folder.
pub const BUGS_DIR: &str = "bugs";
/// The folder of an exercise that the learner owns in a tests exercise.
pub const TESTS_DIR: &str = "tests";

/// One known bug of a tests exercise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bug {
    /// The patch's file name without `.patch`.
    pub name: String,
    /// Its first line: what an implementation with this bug does wrong.
    pub description: String,
    pub path: PathBuf,
}

/// The exercise's bugs, by file name. A patch without a description is described by its name.
pub fn bugs_of(course: &Course, ex: &ExerciseInfo) -> Vec<Bug> {
    let dir = course.solution_dir(ex).join(BUGS_DIR);
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "patch"))
                .collect()
        })
        .unwrap_or_default();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let description = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.lines().next().map(|l| l.trim().to_owned()))
                .filter(|l| !l.is_empty() && !l.starts_with("--- "))
                .unwrap_or_else(|| name.replace('_', " "));
            Bug {
                name,
                description,
                path,
            }
        })
        .collect()
}

/// The package name of `ex`'s copy with `bug` (in a hunt, and in grade's workspace).
pub fn bug_package_name(ex: &ExerciseInfo, bug: &Bug) -> String {
    format!("{}__bug_{}", ex.name, bug.name)
}

/// A bug's package: the exercise's `files` (its implementation and the tests to hunt with)
/// with the bug's patch applied, named `<exercise>__<suffix>`, at `dir` in its workspace.
pub fn bug_package(
    ex: &ExerciseInfo,
    files: &BTreeMap<PathBuf, Vec<u8>>,
    bug: &Bug,
    package: &str,
    dir: PathBuf,
) -> Result<Package> {
    let text = std::fs::read_to_string(&bug.path)
        .with_context(|| format!("cannot read {}", bug.path.display()))?;
    let mut files = files.clone();
    let patched = apply_patch(&text, &files).map_err(|e| {
        anyhow::anyhow!(
            "bug {} does not apply to the implementation: {e}",
            bug.path.display()
        )
    })?;
    for (file, contents) in patched {
        files.insert(file, contents.into_bytes());
    }
    Package::renamed(ex, files, package, dir)
}

/// Whether a bug's run means the tests caught it: a test failed, or hung on it.
pub fn caught(o: &Outcome) -> bool {
    matches!(o.verdict, Verdict::TestsFailed | Verdict::TimedOut)
}

/// One verdict for the exercise from the learner's tests on the correct implementation
/// (`yours`) and on each bug. Done means: they pass on the correct one and catch every bug.
pub fn tally(ex: &ExerciseInfo, mut yours: Outcome, bugs: &[(&Bug, Outcome)]) -> Outcome {
    yours.name = ex.name.clone();
    let mut tally = BugTally::default();
    for (bug, o) in bugs {
        if o.verdict == Verdict::Cancelled || o.verdict == Verdict::ServicesUnavailable {
            // Not a verdict on the tests: the whole run says so, every bug still at stake.
            let mut out = o.clone();
            out.name = ex.name.clone();
            out.bugs = Some(BugTally {
                caught: Vec::new(),
                missed: bugs.iter().map(|(b, _)| b.description.clone()).collect(),
            });
            return out;
        }
        if caught(o) {
            tally.caught.push(bug.description.clone());
        } else {
            if o.verdict == Verdict::CompileError {
                yours.notes.push(format!(
                    "Your tests do not compile against the implementation with the bug `{}`: the bugs change no signature, so a test that uses something outside the crate's API cannot build there.",
                    bug.name
                ));
            }
            tally.missed.push(bug.description.clone());
        }
        yours.duration = yours.duration.max(o.duration);
    }
    yours.verdict = match yours.verdict {
        Verdict::Passed | Verdict::NoTests if tally.missed.is_empty() && !bugs.is_empty() => {
            Verdict::Passed
        }
        Verdict::Passed | Verdict::NoTests => Verdict::BugsMissed,
        other => other,
    };
    yours.bugs = Some(tally);
    yours
}

/// The learner's run of a tests exercise: their `tests/` against the course's implementation
/// (as pristine: changes to `src/` do not count) and each known bug.
pub fn hunt(
    course: &Course,
    ex: &ExerciseInfo,
    services: &mut Services,
    opts: &Options,
) -> Result<Outcome> {
    let mut files: BTreeMap<PathBuf, Vec<u8>> = pristine::files(course, ex)?
        .into_iter()
        .filter(|(rel, _)| !rel.starts_with(TESTS_DIR))
        .collect();
    let tests = course.exercise_dir(ex).join(TESTS_DIR);
    if tests.is_dir() {
        for (rel, contents) in crate::fs::read_tree(&tests)? {
            files.insert(Path::new(TESTS_DIR).join(rel), contents);
        }
    }
    let bugs = bugs_of(course, ex);
    let yours_name = format!("{}__yours", ex.name);
    let mut packages = vec![Package::renamed(
        ex,
        files.clone(),
        &yours_name,
        Path::new(&ex.name).join("yours"),
    )?];
    let mut names = vec![yours_name];
    for bug in &bugs {
        let name = bug_package_name(ex, bug);
        packages.push(bug_package(
            ex,
            &files,
            bug,
            &name,
            Path::new(&ex.name).join(format!("bug_{}", bug.name)),
        )?);
        names.push(name);
    }
    let ws = course
        .workspace_dir()
        .join("target")
        .join("bughunt")
        .join("ws");
    synthetic::sync(course, &ws, &packages, Profile::Course, false)?;
    let jobs: Vec<Job> = names
        .iter()
        .map(|package| Job {
            package: package.clone(),
            ..Job::for_exercise(ex)
        })
        .collect();
    // The learner's target dir: the dependencies are built there already (by their runs and
    // the background preparation), and the copies' names never clash with an exercise's.
    let target = course.workspace_dir().join("target");
    let mut outcomes = runner::run_many(
        &jobs,
        services,
        &Options {
            workspace: &ws,
            target_dir: Some(&target),
            ..*opts
        },
    )?
    .into_iter();
    let yours = outcomes
        .next()
        .context("the hunt ran none of its packages")?;
    let per_bug: Vec<(&Bug, Outcome)> = bugs.iter().zip(outcomes).collect();
    let mut outcome = tally(ex, yours, &per_bug);
    // Failures point at the learner's own files, not at the copy.
    let copy = format!("{}/yours/", ex.name);
    for t in &mut outcome.tests {
        if let Some(rest) = t.location.as_deref().and_then(|l| l.strip_prefix(&copy)) {
            t.location = Some(format!("{}/{rest}", ex.dir));
        }
    }
    outcome.details = outcome.details.replace(&copy, &format!("{}/", ex.dir));
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ex() -> ExerciseInfo {
        toml::from_str("name = \"pricing\"\ntopic = \"t\"\ndir = \"t/pricing\"\nhint = \"h\"\nkind = \"tests\"\n").unwrap()
    }

    fn bug(name: &str) -> Bug {
        Bug {
            name: name.into(),
            description: format!("does {name}"),
            path: PathBuf::from(format!("{name}.patch")),
        }
    }

    fn outcome(verdict: Verdict) -> Outcome {
        Outcome::new("x", verdict, String::new(), 60)
    }

    #[test]
    fn every_bug_caught_on_a_passing_run_is_done() {
        let (a, b) = (bug("a"), bug("b"));
        let o = tally(
            &ex(),
            outcome(Verdict::Passed),
            &[
                (&a, outcome(Verdict::TestsFailed)),
                (&b, outcome(Verdict::TimedOut)),
            ],
        );
        assert_eq!(o.verdict, Verdict::Passed);
        assert_eq!(o.name, "pricing");
        assert_eq!(o.bugs.unwrap().caught, ["does a", "does b"]);
    }

    #[test]
    fn a_bug_let_through_or_no_tests_at_all_is_not_done() {
        let (a, b) = (bug("a"), bug("b"));
        let o = tally(
            &ex(),
            outcome(Verdict::Passed),
            &[
                (&a, outcome(Verdict::TestsFailed)),
                (&b, outcome(Verdict::Passed)),
            ],
        );
        assert_eq!(o.verdict, Verdict::BugsMissed);
        assert_eq!(o.bugs.as_ref().unwrap().missed, ["does b"]);
        let none = tally(
            &ex(),
            outcome(Verdict::NoTests),
            &[(&a, outcome(Verdict::NoTests))],
        );
        assert_eq!(none.verdict, Verdict::BugsMissed);
        assert_eq!(none.bugs.unwrap().total(), 1);
    }

    #[test]
    fn tests_that_fail_on_the_correct_implementation_are_the_verdict() {
        let a = bug("a");
        let o = tally(
            &ex(),
            outcome(Verdict::TestsFailed),
            &[(&a, outcome(Verdict::TestsFailed))],
        );
        assert_eq!(o.verdict, Verdict::TestsFailed);
        let o = tally(
            &ex(),
            outcome(Verdict::Passed),
            &[(&a, outcome(Verdict::ServicesUnavailable))],
        );
        assert_eq!(o.verdict, Verdict::ServicesUnavailable);
    }

    #[test]
    fn bugs_are_read_in_order_with_their_descriptions() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("info.toml"),
            "format_version = 1\nwelcome_message = \"w\"\nfinal_message = \"f\"\n[[topics]]\nname = \"t\"\ntitle = \"T\"\ndir = \"t\"\n",
        )
        .unwrap();
        let bugs = root.join("solutions/t/pricing/bugs");
        std::fs::create_dir_all(&bugs).unwrap();
        std::fs::write(
            bugs.join("b_twice.patch"),
            "charges twice\n--- a/src/lib.rs\n",
        )
        .unwrap();
        std::fs::write(bugs.join("a_round.patch"), "--- a/src/lib.rs\n").unwrap();
        std::fs::write(bugs.join("notes.txt"), "not a bug").unwrap();
        let course = Course::open(Some(root)).unwrap();
        let found = bugs_of(&course, &ex());
        let described: Vec<(&str, &str)> = found
            .iter()
            .map(|b| (b.name.as_str(), b.description.as_str()))
            .collect();
        assert_eq!(
            described,
            [("a_round", "a round"), ("b_twice", "charges twice")]
        );
    }
}
