//! The learner's commands besides watch and list: run, hint, reset, check-all, init.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::SandboxArgs;
use crate::course::embedded;
use crate::exit::Exit;
use crate::runner::{self, Options, Outcome, Verdict};
use crate::sandbox::{Mode, Sandbox};
use crate::services::{ProviderKind, Services};
use crate::session::Session;
use crate::ui::{self, BOLD, CYAN, GREEN, paint};

pub fn run(
    mut session: Session,
    name: Option<&str>,
    kind: Option<ProviderKind>,
    sandbox: &SandboxArgs,
) -> Result<Exit> {
    let ex = session.exercise_or_current(name)?.clone();
    session.course().ensure_exercise_present(&ex)?;
    let sandbox = super::open_sandbox(sandbox, Mode::Off)?;
    let mut services = Services::new(session.course().root.clone(), kind)?;
    let live = ui::LiveLine::stderr();
    let outcome = crate::check::run_one(
        session.course(),
        &ex,
        &mut services,
        &Options {
            workspace: &session.course().workspace_dir(),
            target_dir: None,
            cancel: None,
            on_event: &|e| live.event(e),
            jobs: 1,
            sandbox: sandbox.as_ref(),
        },
    )?;
    live.clear();
    session.record(&outcome)?;
    anstream::print!("{}", ui::verdict::render_outcome(&outcome));
    Ok(match outcome.verdict {
        // Not a verdict on the learner's code: the machine lacks something.
        Verdict::ServicesUnavailable => Exit::ServicesUnavailable,
        Verdict::Passed => {
            anstream::println!(
                "Compare with the solution: {}",
                paint(CYAN, &session.course().solution_rel(&ex))
            );
            Exit::Success
        }
        _ => Exit::Failed,
    })
}

pub fn hint(session: &Session, name: Option<&str>) -> Result<Exit> {
    let ex = session.exercise_or_current(name)?;
    anstream::println!(
        "{} {}\n\n{}",
        paint(BOLD, "Hint for"),
        paint(BOLD, &ex.name),
        ex.hint.trim_end()
    );
    Ok(Exit::Success)
}

pub fn reset(mut session: Session, name: &str, yes: bool) -> Result<Exit> {
    let ex = session.course().exercise(name)?.clone();
    let rel = session.course().exercise_rel(&ex);
    if !yes
        && !ui::confirm(&format!(
            "Reset {rel} to its original files? Your version will be kept in a backup"
        ))?
    {
        anstream::println!("Nothing changed.");
        return Ok(Exit::Failed);
    }
    let backup = session.reset(&ex)?;
    anstream::println!(
        "{} {rel} is back to its original files.\nYour version is in {}",
        paint(GREEN, "✓"),
        paint(CYAN, &backup.display().to_string())
    );
    Ok(Exit::Success)
}

/// Runs every exercise; returns the outcomes in course order after updating the progress.
fn check_all_outcomes(
    session: &mut Session,
    jobs: usize,
    services: &mut Services,
    sandbox: Option<&Sandbox>,
) -> Result<Vec<Outcome>> {
    let course = session.course();
    course.ensure_all_present()?;
    let all: Vec<&crate::course::ExerciseInfo> = course.manifest.exercises.iter().collect();
    let live = ui::LiveLine::stderr();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = all.len();
    let on_event = |e: runner::Event| match e {
        runner::Event::Finished(o) => {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            live.set(&format!("Testing {n}/{total}: {}", o.name));
        }
        building => live.event(building),
    };
    let outcomes = crate::check::run(
        course,
        &all,
        services,
        &Options {
            workspace: &course.workspace_dir(),
            target_dir: None,
            cancel: None,
            on_event: &on_event,
            jobs,
            sandbox,
        },
    )?;
    live.clear();
    session.record_all(&outcomes)?;
    Ok(outcomes)
}

pub fn check_all(
    mut session: Session,
    jobs: Option<usize>,
    kind: Option<ProviderKind>,
    sandbox: &SandboxArgs,
) -> Result<Exit> {
    let sandbox = super::open_sandbox(sandbox, Mode::Off)?;
    let mut services = Services::new(session.course().root.clone(), kind)?;
    let jobs = jobs.unwrap_or_else(runner::default_jobs);
    let outcomes = check_all_outcomes(&mut session, jobs, &mut services, sandbox.as_ref())?;
    let next = (!session.all_done()).then(|| session.current().name.clone());
    anstream::print!(
        "{}",
        ui::verdict::check_all_summary(
            &outcomes,
            session.done_count(),
            session.total(),
            next.as_deref()
        )
    );
    Ok(Exit::from_ok(outcomes.iter().all(|o| o.verdict.passed())))
}

const COURSE_GITIGNORE: &str =
    "# build output and your progress (state, backups) stay local\ntarget/\n.backlings/\n";

pub fn init(dir: Option<PathBuf>) -> Result<Exit> {
    let dir = dir.unwrap_or_else(|| PathBuf::from("backlings"));
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "{} already exists and is not empty; choose another folder: `exercise init DIR`",
            dir.display()
        );
    }
    write_course(&dir)?;
    anstream::println!(
        "{} The course is in {}.\n\nStart it with:\n  cd {} && exercise",
        paint(GREEN, "✓"),
        paint(BOLD, &dir.display().to_string()),
        dir.display()
    );
    Ok(Exit::Success)
}

fn write_course(dir: &Path) -> Result<()> {
    embedded::write_to(dir)?;
    std::fs::write(dir.join(".gitignore"), COURSE_GITIGNORE)
        .with_context(|| format!("cannot write {}", dir.join(".gitignore").display()))?;
    Ok(())
}
