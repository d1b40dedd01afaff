//! Command-line interface.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::course::Service;
use crate::instructor::report::Format;
use crate::sandbox::Mode as SandboxMode;
use crate::services::ProviderKind;
use crate::ui::ColorWhen;

/// backlings: a hands-on course in backend development with Rust.
///
/// Run `exercise` with no command to start (or continue) the course: it runs the current
/// exercise, and runs it again every time you save.
#[derive(Debug, Parser)]
#[command(name = "exercise", version, max_term_width = 100, after_help = crate::exit::HELP)]
pub struct Cli {
    /// The course folder (default: the nearest folder upwards that has an info.toml)
    #[arg(long, global = true, value_name = "DIR", env = "BACKLINGS_COURSE")]
    pub course: Option<PathBuf>,

    /// When to use colours (NO_COLOR is honoured in `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Where Postgres and Redis come from for integration exercises: auto tries, in order,
    /// DATABASE_URL/REDIS_URL, servers from `exercise services up`, a container engine, local
    /// binaries
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "PROVIDER",
        env = "BACKLINGS_SERVICES"
    )]
    pub services: Option<ProviderKind>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the current exercise and re-run it on every save (the default)
    ///
    /// Keys: n next · h hint · l list · r re-run · x reset · c check all · q quit.
    Watch(WatchArgs),
    /// Show the exercises, your progress, and jump to one
    ///
    /// Interactive in a terminal (↑↓ move, / search, f filter, Enter jump, r reset, q quit);
    /// a plain table otherwise.
    List {
        /// Print a JSON array instead: [{name, topic, dir, done, current, services}]
        #[arg(long)]
        json: bool,
    },
    /// Run one exercise once (default: the current one); exit 0 if it passes, 1 if not
    Run {
        /// Exercise name (see `exercise list`)
        name: Option<String>,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Show the hint of an exercise (default: the current one)
    Hint { name: Option<String> },
    /// Restore an exercise's original files; your version is kept in a backup folder
    Reset {
        name: String,
        /// Don't ask for confirmation
        #[arg(long, short)]
        yes: bool,
    },
    /// Run every exercise (in parallel) and update your progress
    CheckAll {
        /// How many exercises to test at once (default: the number of cores)
        #[arg(long, short)]
        jobs: Option<usize>,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Write the course into DIR (default: ./backlings), for a binary installed with `cargo install`
    Init { dir: Option<PathBuf> },
    /// Prove the course is sound: manifest, shipped exercises fail, solutions pass and are clean,
    /// mutants are rejected (for course authors and CI)
    Verify {
        /// Only these exercises (default: the whole course)
        #[arg(value_name = "EXERCISE")]
        names: Vec<String>,
        #[command(flatten)]
        report: ReportArgs,
        /// How many exercises to test at once (default: the number of cores)
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Skip the rustfmt and clippy checks of the solutions
        #[arg(long)]
        skip_style: bool,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Score a learner's course tree with the course's own tests (for instructors and autograding)
    ///
    /// Only each exercise's src/ and migrations/ are taken from the learner; tests and manifests come from the
    /// course given with --course, or from the course built into this binary.
    Grade {
        /// The root of the learner's course (the folder with info.toml and exercises/)
        #[arg(default_value = ".")]
        learner_dir: PathBuf,
        #[command(flatten)]
        report: ReportArgs,
        /// How many exercises to test at once (default: the number of cores)
        #[arg(long, short)]
        jobs: Option<usize>,
        /// Exit 1 unless the learner scores at least N points (for autograding)
        #[arg(long, value_name = "N")]
        min_points: Option<u32>,
        /// Build in DIR instead of <learner>/exercises/target/grade: a class's dependencies
        /// built once for all its learners (their compiled exercises then share it too)
        #[arg(long, value_name = "DIR")]
        target_dir: Option<PathBuf>,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Start, show or stop Postgres and Redis for the course (prints DATABASE_URL / REDIS_URL)
    #[command(subcommand)]
    Services(ServicesCommand),
    /// Check what integration exercises need: container engine, images, local binaries, URLs
    Doctor,
    /// Tools for course authors
    #[command(subcommand)]
    Dev(DevCommand),
    /// Inside the sandbox: relay the run's services into its network, then run the command
    #[command(name = "__sandbox-exec", hide = true)]
    SandboxExec {
        /// host:port=socket: listen on host:port, forward to the Unix socket
        #[arg(long = "relay", value_name = "SPEC")]
        relays: Vec<String>,
        #[arg(last = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
}

/// The sandbox for code a learner wrote (docs/instructors.md: what it protects).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct SandboxArgs {
    /// Run the learner's code in a sandbox: no network but the run's services, no files but
    /// the course's, limited memory and processes (default: auto for grade, off otherwise)
    #[arg(long, value_enum, value_name = "MODE")]
    pub sandbox: Option<SandboxMode>,
    /// Memory each sandboxed test binary may use
    #[arg(long, value_name = "SIZE", default_value = "2GiB", value_parser = crate::sandbox::parse_size)]
    pub memory_limit: u64,
    /// Processes and threads each sandboxed test binary may run at once
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u64).range(16..))]
    pub process_limit: u64,
}

impl SandboxArgs {
    pub fn mode(&self, default: SandboxMode) -> SandboxMode {
        self.sandbox.unwrap_or(default)
    }

    pub fn limits(&self) -> crate::sandbox::Limits {
        crate::sandbox::Limits {
            memory_bytes: self.memory_limit,
            processes: self.process_limit,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ServicesCommand {
    /// Start the services the course uses and keep them running until `services down`; later runs reuse them
    Up {
        /// Only these (postgres, redis, nats); without any, every service the course's exercises use
        #[arg(value_name = "SERVICE", value_parser = parse_service)]
        only: Vec<Service>,
    },
    /// Show what is running and whether it answers
    Status,
    /// Stop what `services up` started
    Down,
}

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Report format: a human summary, JSON (exercism results.json v3 shape) or JUnit XML
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write the report to FILE instead of stdout (a short summary still goes to stdout)
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Default, clap::Args)]
pub struct WatchArgs {
    /// Poll the file system instead of using OS notifications (WSL, network drives, containers)
    #[arg(long)]
    pub poll: bool,
    /// Machine-readable mode: print one JSON event per line, read keys from stdin lines
    #[arg(long)]
    pub events: bool,
    /// Don't build the rest of the course in the background after the first verdict
    #[arg(long, env = "BACKLINGS_NO_PREPARE", value_parser = clap::builder::BoolishValueParser::new())]
    pub no_prepare: bool,
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Pin the features of every exercise's dependencies to one set for the whole course, so
    /// that moving between exercises never rebuilds a dependency (run after adding a crate)
    Deps,
    /// Scaffold a new exercise: package, lesson, src, tests, solution and its info.toml entry
    New {
        /// Exercise name: a-z, 0-9 and _ (also the Cargo package name)
        name: String,
        /// The topic (its `name` in info.toml) the exercise belongs to
        #[arg(long)]
        topic: String,
    },
}

impl From<WatchArgs> for crate::watch::WatchOptions {
    fn from(args: WatchArgs) -> Self {
        crate::watch::WatchOptions {
            poll: args.poll,
            events: args.events,
            prepare: !args.no_prepare,
        }
    }
}

fn parse_service(name: &str) -> Result<Service, String> {
    Service::ALL
        .into_iter()
        .find(|s| s.as_str() == name)
        .ok_or_else(|| {
            let names: Vec<&str> = Service::ALL.iter().map(|s| s.as_str()).collect();
            format!("no service `{name}`: the services are {}", names.join(", "))
        })
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_definitions_are_consistent() {
        super::Cli::command().debug_assert();
    }

    #[test]
    fn help_lists_the_commands_and_the_exit_codes() {
        // Values of BACKLINGS_* set on the machine running the test are not part of the help.
        let help = super::Cli::command()
            .mut_args(|a| a.hide_env_values(true))
            .term_width(100)
            .render_long_help()
            .to_string();
        insta::assert_snapshot!(help);
    }
}
