//! One function per subcommand; `dispatch` maps the parsed command line onto them.

mod dev;
mod services;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use crate::app::App;
use crate::cli::{Cli, Command, DevCommand, ReportArgs, WatchArgs};
use crate::course::Course;
use crate::embedded;
use crate::manifest::ExerciseInfo;
use crate::pristine;
use crate::runner::exercise::{Options, run_many, run_one};
use crate::runner::{Outcome, Verdict};
use crate::services::{ProviderKind, Services};
use crate::ui::{self, BOLD, CYAN, GREEN, RED, paint};

pub fn dispatch(cli: Cli) -> Result<ExitCode> {
    let course = cli.course.as_deref();
    let kind = cli.services;
    match cli.command.unwrap_or(Command::Watch(WatchArgs::default())) {
        Command::Watch(args) => {
            let app = App::open(course)?;
            let services = Services::new(app.course.root.clone(), kind)?;
            crate::watch::watch(app, &args, services)
        }
        Command::List { json } => crate::list::list(App::open(course)?, json),
        Command::Run { name } => {
            let app = App::open(course)?;
            let mut services = Services::new(app.course.root.clone(), kind)?;
            run(app, name.as_deref(), &mut services)
        }
        Command::Hint { name } => hint(&App::open(course)?, name.as_deref()),
        Command::Reset { name, yes } => reset(App::open(course)?, &name, yes),
        Command::CheckAll { jobs } => {
            let app = App::open(course)?;
            let mut services = Services::new(app.course.root.clone(), kind)?;
            check_all(app, jobs, &mut services)
        }
        Command::Init { dir } => init(dir.unwrap_or_else(|| PathBuf::from("backlings"))),
        Command::Verify {
            names,
            report,
            jobs,
            skip_style,
        } => verify(&Course::open(course)?, kind, names, &report, jobs, skip_style),
        Command::Grade {
            learner_dir,
            report,
            jobs,
            min_points,
        } => grade(course, kind, &learner_dir, &report, jobs, min_points),
        Command::Services(cmd) => services::services(&Course::open(course)?, kind, cmd),
        Command::Doctor => services::doctor(&Course::open(course)?, kind),
        Command::Dev(DevCommand::New { name, topic }) => {
            dev::new_exercise(&Course::open(course)?, &name, &topic)
        }
    }
}

fn verify(
    course: &Course,
    kind: Option<ProviderKind>,
    only: Vec<String>,
    report: &ReportArgs,
    jobs: Option<usize>,
    skip_style: bool,
) -> Result<ExitCode> {
    let opts = crate::verify::VerifyOptions {
        jobs: jobs.unwrap_or_else(default_jobs),
        skip_style,
        only,
    };
    let mut services = Services::new(course.root.clone(), kind)?;
    let result = crate::verify::verify(course, &opts, &mut services)?;
    crate::report::write(&result, report.format, report.output.as_deref())?;
    Ok(if result.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn grade(
    course: Option<&Path>,
    kind: Option<ProviderKind>,
    learner_dir: &Path,
    report: &ReportArgs,
    jobs: Option<usize>,
    min_points: Option<u32>,
) -> Result<ExitCode> {
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
    let opts = crate::grade::GradeOptions {
        jobs: jobs.unwrap_or_else(default_jobs),
    };
    let mut services = Services::new(learner_dir.to_path_buf(), kind)?;
    let result = crate::grade::grade(&pristine, learner_dir, &opts, &mut services)?;
    crate::report::write(&result, report.format, report.output.as_deref())?;
    let points = result.points.unwrap_or(0);
    Ok(match min_points {
        Some(min) if points < min => ExitCode::from(1),
        _ => ExitCode::SUCCESS,
    })
}

fn exercise_or_current<'a>(app: &'a App, name: Option<&str>) -> Result<&'a ExerciseInfo> {
    match name {
        Some(n) => app.course.exercise(n),
        None => Ok(app.current()),
    }
}

/// Runs one exercise with a one-line build progress on stderr, and records the verdict.
pub fn run_and_record(
    app: &mut App,
    ex: &ExerciseInfo,
    services: &mut Services,
) -> Result<Outcome> {
    app.course.ensure_exercise_present(ex)?;
    let status = ui::StatusLine::stderr();
    let workspace = app.course.workspace_dir();
    let sink = |line: &str| status.cargo_line(line);
    let outcome = run_one(
        ex,
        services,
        &Options {
            workspace: &workspace,
            target_dir: None,
            cancel: None,
            on_progress: Some(&sink),
        },
    )?;
    status.clear();
    if outcome.verdict != Verdict::ServicesUnavailable {
        app.record(&ex.name, outcome.verdict.passed())?;
    }
    Ok(outcome)
}

fn run(mut app: App, name: Option<&str>, services: &mut Services) -> Result<ExitCode> {
    let ex = exercise_or_current(&app, name)?.clone();
    let outcome = run_and_record(&mut app, &ex, services)?;
    anstream::print!("{}", ui::render_outcome(&outcome));
    if outcome.verdict == Verdict::ServicesUnavailable {
        // Not a verdict on the learner's code: the machine lacks something.
        return Ok(ExitCode::from(2));
    }
    if outcome.verdict.passed() {
        anstream::println!(
            "Compare with the solution: {}",
            paint(CYAN, &app.course.solution_rel(&ex))
        );
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(1))
    }
}

fn hint(app: &App, name: Option<&str>) -> Result<ExitCode> {
    let ex = exercise_or_current(app, name)?;
    anstream::println!(
        "{} {}\n\n{}",
        paint(BOLD, "Hint for"),
        paint(BOLD, &ex.name),
        ex.hint.trim_end()
    );
    Ok(ExitCode::SUCCESS)
}

fn reset(mut app: App, name: &str, yes: bool) -> Result<ExitCode> {
    let ex = app.course.exercise(name)?.clone();
    let rel = app.course.exercise_rel(&ex);
    if !yes
        && !ui::confirm(&format!(
            "Reset {rel} to its original files? Your version will be kept in a backup"
        ))?
    {
        anstream::println!("Nothing changed.");
        return Ok(ExitCode::from(1));
    }
    let backup = pristine::reset(&app.course, &ex)?;
    app.record(&ex.name, false)?;
    anstream::println!(
        "{} {rel} is back to its original files.\nYour version is in {}",
        paint(GREEN, "✓"),
        paint(CYAN, &backup.display().to_string())
    );
    Ok(ExitCode::SUCCESS)
}

pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Runs every exercise; returns the outcomes in course order after updating the done set.
pub fn check_all_outcomes(
    app: &mut App,
    jobs: usize,
    services: &mut Services,
) -> Result<Vec<Outcome>> {
    let exercises: Vec<ExerciseInfo> = app.course.manifest.exercises.clone();
    for ex in &exercises {
        app.course.ensure_exercise_present(ex)?;
    }
    let refs: Vec<&ExerciseInfo> = exercises.iter().collect();
    let workspace = app.course.workspace_dir();
    let status = ui::StatusLine::stderr();
    let sink = |line: &str| status.cargo_line(line);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = refs.len();
    let outcomes = run_many(
        &refs,
        services,
        jobs,
        &Options {
            workspace: &workspace,
            target_dir: None,
            cancel: None,
            on_progress: Some(&sink),
        },
        |o| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            status.set(&format!("Testing {n}/{total}: {}", o.exercise));
        },
    )?;
    status.clear();
    for o in &outcomes {
        if o.verdict != Verdict::ServicesUnavailable {
            app.state.done.retain(|n| n != &o.exercise);
            if o.verdict.passed() {
                app.state.done.insert(o.exercise.clone());
            }
        }
    }
    if app.state.is_done(&app.current().name)
        && let Some(next) = app
            .state
            .next_pending(&app.course.manifest, app.state.current)
    {
        app.state.current = next;
    }
    app.save()?;
    Ok(outcomes)
}

pub fn print_check_all_summary(app: &App, outcomes: &[Outcome]) {
    for o in outcomes {
        let (mark, what) = match o.verdict {
            Verdict::Passed => (paint(GREEN, "✓"), String::new()),
            Verdict::CompileError => (paint(RED, "✗"), "does not compile".into()),
            Verdict::TestsFailed => (
                paint(RED, "✗"),
                format!(
                    "{} test(s) failing",
                    o.count(crate::runner::TestStatus::Failed)
                ),
            ),
            Verdict::TimedOut => (
                paint(RED, "✗"),
                format!("timed out after {} s", o.timeout_secs),
            ),
            Verdict::NoTests => (paint(RED, "✗"), "has no tests".into()),
            Verdict::ServicesUnavailable => (paint(ui::YELLOW, "!"), o.details.clone()),
            Verdict::Cancelled => (paint(ui::YELLOW, "…"), "cancelled".into()),
        };
        anstream::println!("{mark} {:<32} {what}", o.exercise);
    }
    anstream::println!(
        "\n{} of {} exercises done. {}",
        app.done_count(),
        app.total(),
        if app.all_done() {
            String::new()
        } else {
            format!("Next up: {}", paint(BOLD, &app.current().name))
        }
    );
}

fn check_all(mut app: App, jobs: Option<usize>, services: &mut Services) -> Result<ExitCode> {
    let outcomes = check_all_outcomes(&mut app, jobs.unwrap_or_else(default_jobs), services)?;
    print_check_all_summary(&app, &outcomes);
    Ok(if outcomes.iter().all(|o| o.verdict.passed()) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

const COURSE_GITIGNORE: &str =
    "# build output and your progress (state, backups) stay local\ntarget/\n.backlings/\n";

fn init(dir: PathBuf) -> Result<ExitCode> {
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
    Ok(ExitCode::SUCCESS)
}

fn write_course(dir: &Path) -> Result<()> {
    embedded::write_to(dir)?;
    std::fs::write(dir.join(".gitignore"), COURSE_GITIGNORE)
        .with_context(|| format!("cannot write {}", dir.join(".gitignore").display()))?;
    Ok(())
}
