//! `exercise verify`: proves a course is sound. The manifest agrees with the files
//! (`manifest_check`); every shipped exercise compiles and fails, every solution passes, every
//! mutant is rejected (`variants`, judged in `cases`); for an exercise where the learner writes
//! the tests, the shipped tests (and a trivially passing one) catch no known bug and the
//! reference tests catch every one; every solution is rustfmt- and clippy-clean (`style`).
//!
//! Every variant of every exercise becomes a package of the synthetic workspace
//! (`crate::synthetic`) in `exercises/target/verify/ws`, named `<exercise>__<variant>` and
//! built by a single cargo invocation into `exercises/target/verify/target` (never the
//! learner's `exercises/target`: a copy of an exercise must not pass for the learner's own).

mod cases;
mod manifest_check;
mod style;
mod variants;

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;

use super::progress::Progress;
use super::report::{Case, Group, Report, ReportKind, Status};
use crate::bugs::bugs_of;
use crate::course::{Course, ExerciseInfo, ExerciseKind};
use crate::runner::{self, Job, Options};
use crate::services::Services;
use crate::synthetic::{self, Package, Profile};
pub use manifest_check::check_manifest;
use variants::{Kind, Variant, mutant_files, mutant_stem};

pub struct VerifyOptions {
    pub jobs: usize,
    /// Skip rustfmt and clippy (for machines without those components).
    pub skip_style: bool,
    /// Only these exercises (by name); empty means the whole course.
    pub only: Vec<String>,
}

pub fn verify(
    course: &Course,
    opts: &VerifyOptions,
    services: &mut Services,
    sandbox: Option<&crate::sandbox::Sandbox>,
) -> Result<Report> {
    let mut cases = check_manifest(course)?;
    // A property of the whole course: checked when the whole course is verified.
    if opts.only.is_empty() {
        cases.extend(dependency_cases(course));
    }
    if let Some(unknown) = opts
        .only
        .iter()
        .find(|n| !course.manifest.exercises.iter().any(|ex| &ex.name == *n))
    {
        anyhow::bail!(
            "no exercise named `{unknown}` in info.toml (`exercise list` shows the names)"
        );
    }
    let exercises: Vec<&ExerciseInfo> = course
        .manifest
        .exercises
        .iter()
        .filter(|ex| opts.only.is_empty() || opts.only.contains(&ex.name))
        .filter(|ex| course.exercise_dir(ex).join("Cargo.toml").is_file())
        .collect();
    let mutants: BTreeMap<&str, Vec<PathBuf>> = exercises
        .iter()
        .map(|ex| (ex.name.as_str(), mutant_files(course, ex)))
        .collect();

    // Every variant of every exercise (as shipped, solved, each mutant) is a package of one
    // synthetic workspace: one cargo build compiles them all in parallel, and the workspace is
    // kept between runs so that what did not change is not rebuilt.
    let mut variants = Vec::new();
    for ex in &exercises {
        variants.push(Variant::new(ex, Kind::Shipped));
        variants.push(Variant::new(ex, Kind::Solution));
        for m in &mutants[ex.name.as_str()] {
            variants.push(Variant::new(ex, Kind::Mutant(m.clone())));
        }
        if ex.kind == ExerciseKind::Tests {
            for bug in bugs_of(course, ex) {
                variants.push(Variant::new(ex, Kind::ShippedBug(bug.path.clone())));
                variants.push(Variant::new(ex, Kind::SolutionBug(bug.path)));
            }
        }
    }
    // A variant whose files cannot be assembled (a mutant patch that no longer applies) is
    // reported, and left out of the build.
    let mut prepared = Vec::new();
    for v in variants {
        match v.package(course) {
            Ok(package) => prepared.push((v, package)),
            Err(e) => {
                let (group, what) = match &v.kind {
                    Kind::Mutant(path) => (
                        Group::Mutant,
                        format!("mutant `{}` is rejected", mutant_stem(path)),
                    ),
                    Kind::SolutionBug(path) => (
                        Group::Mutant,
                        format!("bug `{}` is caught", mutant_stem(path)),
                    ),
                    Kind::ShippedBug(path) => (
                        Group::Unsolved,
                        format!("bug `{}` passes the shipped tests", mutant_stem(path)),
                    ),
                    Kind::Solution => (Group::Solution, "solution passes".to_owned()),
                    Kind::Shipped => (Group::Unsolved, "fails as shipped".to_owned()),
                };
                cases.push(
                    Case::new(group, format!("{}: {what}", v.ex.name), Status::Fail)
                        .message(format!("{e:#}")),
                );
            }
        }
    }
    let root = course.workspace_dir().join("target").join("verify");
    let ws = root.join("ws");
    let target = root.join("target");
    let (variants, packages): (Vec<Variant>, Vec<Package>) = prepared.into_iter().unzip();
    synthetic::sync(
        course,
        &ws,
        &packages,
        Profile::OneShot,
        opts.only.is_empty(),
    )?;

    let progress = Progress::new(variants.len());
    progress.stage("building and testing every variant");
    let jobs: Vec<Job> = variants.iter().map(|v| v.job.clone()).collect();
    let on_event = |e: runner::Event| progress.event(e);
    let outcomes = runner::run_many(
        &jobs,
        services,
        &Options {
            workspace: &ws,
            target_dir: Some(&target),
            cancel: None,
            on_event: &on_event,
            jobs: opts.jobs,
            sandbox,
        },
    )?;

    for (v, o) in variants.iter().zip(&outcomes) {
        let case = match &v.kind {
            Kind::Shipped if v.ex.kind == ExerciseKind::Tests => cases::shipped_tests_case(v.ex, o),
            Kind::Shipped => cases::unsolved_case(v.ex, o),
            Kind::Solution => cases::solution_case(v.ex, o),
            Kind::Mutant(path) => cases::mutant_case(course, v.ex, path, o, "mutant"),
            Kind::SolutionBug(path) => cases::mutant_case(course, v.ex, path, o, "bug"),
            Kind::ShippedBug(path) => cases::shipped_bug_case(v.ex, path, o),
        };
        cases.push(case);
    }
    // Report in a stable order: manifest, unsolved, solutions, then mutants (style comes next).
    cases.sort_by_key(|c| c.group);

    if !opts.skip_style {
        progress.stage("solutions are rustfmt- and clippy-clean");
        let mut style = style::rustfmt_cases(course, &ws, &exercises);
        let solved: Vec<&Variant> = variants
            .iter()
            .filter(|v| v.kind == Kind::Solution)
            .collect();
        style.extend(style::clippy_cases(&ws, &target, &solved)?);
        let at = cases
            .iter()
            .position(|c| c.group == Group::Mutant)
            .unwrap_or(cases.len());
        cases.splice(at..at, style);
    }
    progress.finish();
    Ok(Report::new(ReportKind::Verify, cases))
}

/// Every exercise builds each dependency with the features of all (see `instructor::deps`).
fn dependency_cases(course: &Course) -> Vec<Case> {
    let name = "dependencies: every exercise builds each crate with the same features";
    match super::deps::graphs(course) {
        Ok(graphs) => {
            let problems = super::deps::disagreements(&graphs);
            if problems.is_empty() {
                vec![Case::new(Group::Dependencies, name, Status::Pass)]
            } else {
                let shown: Vec<&str> = problems.iter().take(20).map(String::as_str).collect();
                vec![Case::new(Group::Dependencies, name, Status::Fail)
                    .message(format!(
                        "{} crate builds differ between exercises, so moving between them recompiles: run `exercise dev deps` and commit what it writes",
                        problems.len()
                    ))
                    .output(shown.join("\n"))]
            }
        }
        Err(e) => {
            vec![Case::new(Group::Dependencies, name, Status::Error).message(format!("{e:#}"))]
        }
    }
}
