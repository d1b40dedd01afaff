//! Running exercises: lease their services, build their test binaries with one cargo
//! invocation, run each package's binaries under its timeout, and turn what they print into a
//! [`Verdict`]. What happens along the way is reported as [`Event`]s; the UI renders them.
//!
//! Building and testing are separate steps on purpose: the exercise's timeout is about the
//! learner's code (an infinite loop, a deadlock), not about a cold first build of the dependencies.

pub mod cargo;
mod execute;
pub mod libtest;
pub mod process;

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

pub use cargo::{BuildProgress, StatusLine};
pub use libtest::{TestCase, TestStatus};
pub use process::Cancel;

use crate::course::{ExerciseInfo, Service};
use crate::services::Services;

/// What to run: a package of a workspace, its services and its time limit. Built from a
/// manifest entry for learners; verify and grade make their own (one per variant).
#[derive(Debug, Clone)]
pub struct Job {
    /// The Cargo package (for course exercises, the exercise's name).
    pub package: String,
    pub services: Vec<Service>,
    pub timeout: Duration,
}

impl Job {
    pub fn for_exercise(ex: &ExerciseInfo) -> Job {
        Job {
            package: ex.name.clone(),
            services: ex.services.clone(),
            timeout: Duration::from_secs(ex.timeout_secs),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    CompileError,
    TestsFailed,
    TimedOut,
    /// The package built but has no tests: a broken exercise, never a pass.
    NoTests,
    /// The learner's tests pass on the correct implementation but let at least one of the
    /// exercise's known bugs through (an exercise where the learner writes the tests).
    BugsMissed,
    /// The sandbox stopped the tests at one of its limits (memory, processes); `details` says
    /// which ("killed: used more than 2 GiB of memory").
    Killed,
    ServicesUnavailable,
    Cancelled,
}

impl Verdict {
    pub fn passed(self) -> bool {
        self == Verdict::Passed
    }
}

#[derive(Debug, Clone)]
pub struct Outcome {
    /// The job's package.
    pub name: String,
    pub verdict: Verdict,
    /// Compiler errors (ANSI-rendered) or the services message.
    pub details: String,
    pub tests: Vec<TestCase>,
    /// Everything else worth saying: a crash, truncated output.
    pub notes: Vec<String>,
    pub timeout_secs: u64,
    pub duration: Duration,
    /// For an exercise whose learner writes the tests: the known bugs they caught and missed
    /// (`tests` are then the learner's tests on the correct implementation).
    pub bugs: Option<BugTally>,
}

/// Which of an exercise's known bugs the learner's tests caught, by their one-line
/// descriptions, in the course's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BugTally {
    pub caught: Vec<String>,
    pub missed: Vec<String>,
}

impl BugTally {
    pub fn total(&self) -> usize {
        self.caught.len() + self.missed.len()
    }
}

impl Outcome {
    pub fn new(name: &str, verdict: Verdict, details: String, timeout_secs: u64) -> Outcome {
        Outcome {
            name: name.to_owned(),
            verdict,
            details,
            tests: Vec::new(),
            notes: Vec::new(),
            timeout_secs,
            duration: Duration::ZERO,
            bugs: None,
        }
    }

    fn of_job(job: &Job, verdict: Verdict, details: String) -> Outcome {
        Outcome::new(&job.package, verdict, details, job.timeout.as_secs())
    }

    pub fn failed_tests(&self) -> impl Iterator<Item = &TestCase> {
        self.tests.iter().filter(|t| t.status == TestStatus::Failed)
    }

    pub fn count(&self, status: TestStatus) -> usize {
        self.tests.iter().filter(|t| t.status == status).count()
    }
}

/// What a run reports while it goes.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// The test binaries are building: cargo's status line, dependencies done of how many.
    Building(&'a BuildProgress),
    /// One job is finished (jobs finish in any order).
    Finished(&'a Outcome),
}

pub struct Options<'a> {
    /// The exercises workspace to build (the course's, or a synthetic one).
    pub workspace: &'a Path,
    /// A target dir of its own (verify, grade), never the learner's for a copy.
    pub target_dir: Option<&'a Path>,
    pub cancel: Option<&'a Cancel>,
    pub on_event: &'a (dyn Fn(Event) + Sync),
    /// How many jobs' tests run at once.
    pub jobs: usize,
    /// Build and test in the sandbox (grade; run, check-all and verify on request).
    pub sandbox: Option<&'a crate::sandbox::Sandbox>,
}

/// Builds the test binaries of `packages` ahead of time, at the lowest CPU priority, so that a
/// later run finds them (and their dependencies) built. `--keep-going`: an exercise that does
/// not compile does not stop the others. Returns whether it ran to the end (not cancelled).
pub fn prepare(
    workspace: &Path,
    packages: &[&str],
    cancel: &Cancel,
    on_progress: &(dyn Fn(&BuildProgress) + Sync),
) -> Result<bool> {
    let built = cargo::build(&cargo::BuildRequest {
        workspace,
        packages,
        target_dir: None,
        cancel: Some(cancel),
        on_progress: Some(on_progress),
        background: true,
        sandbox: None,
    })?;
    Ok(!built.cancelled)
}

/// One test run per core by default.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Builds and tests one job.
pub fn run_one(job: &Job, services: &mut Services, opts: &Options) -> Result<Outcome> {
    let mut outcomes = run_many(std::slice::from_ref(job), services, opts)?;
    Ok(outcomes.remove(0))
}

/// Builds all `jobs` in one cargo invocation, then runs their tests on `opts.jobs` threads.
/// The result keeps input order.
pub fn run_many(jobs: &[Job], services: &mut Services, opts: &Options) -> Result<Vec<Outcome>> {
    let started = std::time::Instant::now();
    let mut slots: Vec<Option<Outcome>> = vec![None; jobs.len()];
    // The servers are found or started first (a missing one is every such job's verdict); each
    // run leases its namespaces just before its tests and gives them back right after.
    let mut runnable = vec![true; jobs.len()];
    for (i, job) in jobs.iter().enumerate() {
        // Jobs without services never touch the services layer (no engine probe).
        if job.services.is_empty() {
            continue;
        }
        if let Err(e) = services.prepare(&job.services) {
            let o = Outcome::of_job(job, Verdict::ServicesUnavailable, e.to_string());
            (opts.on_event)(Event::Finished(&o));
            slots[i] = Some(o);
            runnable[i] = false;
        }
    }
    let packages: Vec<&str> = jobs
        .iter()
        .zip(&runnable)
        .filter(|(_, runnable)| **runnable)
        .map(|(job, _)| job.package.as_str())
        .collect();
    if !packages.is_empty() {
        let on_progress = |p: &BuildProgress| (opts.on_event)(Event::Building(p));
        let built = cargo::build(&cargo::BuildRequest {
            workspace: opts.workspace,
            packages: &packages,
            target_dir: opts.target_dir,
            cancel: opts.cancel,
            on_progress: Some(&on_progress),
            background: false,
            sandbox: opts.sandbox,
        })?;
        let target_dir = cargo::target_dir(opts.workspace, opts.target_dir);
        let place = execute::Place {
            workspace: opts.workspace,
            target_dir: &target_dir,
            sandbox: opts.sandbox,
        };
        let queue = Mutex::new(
            (0..jobs.len())
                .filter(|&i| slots[i].is_none())
                .collect::<Vec<_>>(),
        );
        let results = Mutex::new(Vec::new());
        let first_error = Mutex::new(None);
        // The guard is dropped inside the closure, so no worker holds the queue while testing.
        let next = || queue.lock().ok().and_then(|mut q| q.pop());
        let leaser = services.leaser();
        std::thread::scope(|scope| {
            for _ in 0..opts.jobs.max(1) {
                scope.spawn(|| {
                    while let Some(i) = next() {
                        let lease = match leaser.lease(&jobs[i].package, &jobs[i].services) {
                            Ok(lease) => lease,
                            Err(e) => {
                                let o = Outcome::of_job(
                                    &jobs[i],
                                    Verdict::ServicesUnavailable,
                                    e.to_string(),
                                );
                                (opts.on_event)(Event::Finished(&o));
                                if let Ok(mut r) = results.lock() {
                                    r.push((i, o));
                                }
                                continue;
                            }
                        };
                        let outcome =
                            execute::test_job(&jobs[i], &built, &lease, &place, opts.cancel);
                        drop(lease);
                        match outcome {
                            Ok(o) => {
                                (opts.on_event)(Event::Finished(&o));
                                if let Ok(mut r) = results.lock() {
                                    r.push((i, o));
                                }
                            }
                            Err(e) => {
                                if let Ok(mut f) = first_error.lock() {
                                    f.get_or_insert(e);
                                }
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = first_error.into_inner().ok().flatten() {
            return Err(e);
        }
        for (i, o) in results.into_inner().unwrap_or_default() {
            slots[i] = Some(o);
        }
    }
    let elapsed = started.elapsed();
    Ok(slots
        .into_iter()
        .zip(jobs)
        .map(|(o, job)| {
            o.unwrap_or_else(|| Outcome::of_job(job, Verdict::Cancelled, String::new()))
        })
        .map(|mut o| {
            if o.duration == Duration::ZERO {
                o.duration = elapsed;
            }
            o
        })
        .collect())
}
