//! Dispatch only: each subcommand maps onto one function of the module for its audience
//! (`learner`, `instructor`, `services`, `dev`).

mod dev;
mod instructor;
mod learner;
mod services;

use anyhow::Result;

use crate::cli::{Cli, Command, DevCommand, WatchArgs};
use crate::course::Course;
use crate::exit::Exit;
use crate::instructor::grade;
use crate::services::Services;
use crate::session::Session;

/// The sandbox a command asked for, said on stderr: what protects the grader, or why nothing
/// does.
fn open_sandbox(
    args: &crate::cli::SandboxArgs,
    default: crate::sandbox::Mode,
) -> Result<Option<crate::sandbox::Sandbox>> {
    let (sandbox, missing) = crate::sandbox::Sandbox::new(args.mode(default), args.limits())?;
    if let Some(s) = &sandbox {
        anstream::eprintln!("{}", s.describe());
    } else if let Some(why) = missing {
        anstream::eprintln!(
            "{} no sandbox: {why}\n  The learner's code runs as you, with your files, environment and network (--sandbox on refuses to).",
            crate::ui::paint(crate::ui::YELLOW, "warning:")
        );
    }
    Ok(sandbox)
}

pub fn dispatch(cli: Cli) -> Result<Exit> {
    let course = cli.course.as_deref();
    let kind = cli.services;
    let exit = match cli.command.unwrap_or(Command::Watch(WatchArgs::default())) {
        Command::Watch(args) => {
            let session = Session::open(course)?;
            let services = Services::new(session.course().root.clone(), kind)?;
            let mut opts: crate::watch::WatchOptions = args.into();
            opts.prepare &= crate::services::config::watch_prepare(&session.course().root)?;
            crate::watch::watch(session, opts, services)?
        }
        Command::List { json } => crate::list::list(Session::open(course)?, json)?,
        Command::Run { name, sandbox } => {
            learner::run(Session::open(course)?, name.as_deref(), kind, &sandbox)?
        }
        Command::Hint { name } => learner::hint(&Session::open(course)?, name.as_deref())?,
        Command::Reset { name, yes } => learner::reset(Session::open(course)?, &name, yes)?,
        Command::CheckAll { jobs, sandbox } => {
            learner::check_all(Session::open(course)?, jobs, kind, &sandbox)?
        }
        Command::Init { dir } => learner::init(dir)?,
        Command::Verify {
            names,
            report,
            jobs,
            skip_style,
            sandbox,
        } => instructor::verify(
            &Course::open(course)?,
            kind,
            names,
            &report,
            jobs,
            skip_style,
            &sandbox,
        )?,
        Command::Grade {
            learner_dir,
            report,
            jobs,
            min_points,
            target_dir,
            sandbox,
        } => instructor::grade(
            course,
            kind,
            &learner_dir,
            &report,
            grade::GradeArgs {
                jobs,
                min_points,
                target_dir,
            },
            &sandbox,
        )?,
        Command::SandboxExec { relays, command } => {
            // The sandboxed command's own exit code, whatever it is: the grader reads it.
            let code = crate::sandbox::relay::exec_inside(&relays, &command)?;
            std::process::exit(code)
        }
        Command::Services(cmd) => services::services(&Course::open(course)?, kind, cmd)?,
        Command::Doctor => services::doctor(&Course::open(course)?, kind)?,
        Command::Dev(DevCommand::New { name, topic }) => {
            dev::new_exercise(&Course::open(course)?, &name, &topic)?
        }
        Command::Dev(DevCommand::Deps) => dev::unify_deps(&Course::open(course)?)?,
    };
    // Ctrl-C ended the work early: whatever it reported, the command was interrupted.
    Ok(if crate::cleanup::interrupted() {
        Exit::Interrupted
    } else {
        exit
    })
}
