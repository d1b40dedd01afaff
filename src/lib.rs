//! backlings: the runner of a hands-on backend course (`exercise`), as a library with a thin
//! binary. Modules by concern, each depending only on those listed before it:
//!
//! - `sys` (the only `unsafe`: libc), `fs` (atomic writes, tree walks), `exit` (exit codes),
//!   `cleanup` (what must not outlive the CLI; signals as events);
//! - `sandbox`: bubblewrap, cgroups and a relay of services, for code that may be hostile;
//! - `course`: manifest, progress file, embedded copy, pristine files;
//! - `services`: Postgres and Redis for a run, from one ordered list of sources;
//! - `runner`: jobs → cargo build → test binaries → verdicts, reported as events;
//! - `synthetic` (copies of exercises as packages of a workspace of their own), `bugs` (the
//!   bug hunt of an exercise where the learner writes the tests), `check` (the learner's runs
//!   of either kind);
//! - `session` (the learner's progress, changed only through its methods) and `ui` (the one
//!   place outcomes become words);
//! - `list`, `watch`, `instructor` (verify, grade, reports): what users run;
//! - `commands` (dispatch) and `cli` (the clap definitions).
//!
//! docs/architecture.md walks through it.

#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod bugs;
pub mod check;
pub mod cleanup;
pub mod cli;
pub mod commands;
pub mod course;
pub mod exit;
pub mod fs;
pub mod instructor;
pub mod list;
pub mod runner;
pub mod sandbox;
pub mod services;
pub mod session;
pub mod synthetic;
pub mod sys;
pub mod ui;
pub mod watch;

use clap::Parser;

/// The whole CLI: parse the arguments, run the command, turn any error into its message and
/// the usage exit code.
pub fn main() -> exit::Exit {
    let cli = cli::Cli::parse();
    ui::init_color(cli.color);
    match commands::dispatch(cli) {
        Ok(exit) => exit,
        Err(err) => {
            anstream::eprintln!("{}", ui::error_text(&err));
            exit::Exit::Usage
        }
    }
}
