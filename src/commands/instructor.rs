//! `exercise verify` and `exercise grade`: options in, report out, exit code from the result.

use std::path::Path;

use anyhow::Result;

use crate::cli::{ReportArgs, SandboxArgs};
use crate::course::{Course, embedded};
use crate::exit::Exit;
use crate::instructor::{grade, report, verify};
use crate::runner;
use crate::sandbox::Mode;
use crate::services::{ProviderKind, Services};

pub fn verify(
    course: &Course,
    kind: Option<ProviderKind>,
    only: Vec<String>,
    report: &ReportArgs,
    jobs: Option<usize>,
    skip_style: bool,
    sandbox: &SandboxArgs,
) -> Result<Exit> {
    let sandbox = super::open_sandbox(sandbox, Mode::Off)?;
    let opts = verify::VerifyOptions {
        jobs: jobs.unwrap_or_else(runner::default_jobs),
        skip_style,
        only,
    };
    let mut services = Services::new(course.root.clone(), kind)?;
    let result = verify::verify(course, &opts, &mut services, sandbox.as_ref())?;
    report::write(&result, report.format, report.output.as_deref())?;
    Ok(Exit::from_ok(result.passed()))
}

pub fn grade(
    course: Option<&Path>,
    kind: Option<ProviderKind>,
    learner_dir: &Path,
    report: &ReportArgs,
    args: grade::GradeArgs,
    sandbox: &SandboxArgs,
) -> Result<Exit> {
    // The pristine course is never discovered from the current folder: that could be the
    // learner's own tree, tests and all.
    let scratch = tempfile::tempdir()?;
    let pristine = match course {
        Some(dir) => Course::open(Some(dir))?,
        None => {
            embedded::write_to(scratch.path())?;
            Course::open(Some(scratch.path()))?
        }
    };
    // A wrong tree is the first thing said, before what the sandbox is.
    grade::check_learner_tree(&pristine, learner_dir)?;
    let sandbox = super::open_sandbox(sandbox, Mode::Auto)?;
    let opts = grade::GradeOptions {
        jobs: args.jobs.unwrap_or_else(runner::default_jobs),
        sandbox: sandbox.as_ref(),
        target_dir: args.target_dir,
    };
    let mut services = Services::new(learner_dir.to_path_buf(), kind)?;
    let result = grade::grade(&pristine, learner_dir, &opts, &mut services)?;
    report::write(&result, report.format, report.output.as_deref())?;
    let points = result.points.unwrap_or(0);
    Ok(Exit::from_ok(
        args.min_points.is_none_or(|min| points >= min),
    ))
}
