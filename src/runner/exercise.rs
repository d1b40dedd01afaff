//! Running course exercises end to end: services, build, tests, verdict. One exercise for `run`
//! and watch; many at once for `check-all`, `verify` and `grade`, with a single cargo build and
//! the test runs spread over worker threads.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::process::LineSink;
use super::{BuildRequest, Cancel, Outcome, TestRequest, Verdict, build, run_tests};
use crate::manifest::ExerciseInfo;
use crate::services::Services;

pub struct Options<'a> {
    /// The exercises workspace to build (the course's, or a temporary copy of it).
    pub workspace: &'a Path,
    pub target_dir: Option<&'a Path>,
    pub cancel: Option<&'a Cancel>,
    pub on_progress: Option<LineSink<'a>>,
}

/// Builds and tests one exercise.
pub fn run_one(ex: &ExerciseInfo, services: &mut Services, opts: &Options) -> Result<Outcome> {
    let mut outcomes = run_many(&[ex], services, 1, opts, |_| {})?;
    Ok(outcomes.remove(0))
}

/// Builds all `exercises` in one cargo invocation, then runs their tests on `jobs` threads.
/// `on_done` sees each outcome as it completes (progress bars); the result keeps input order.
pub fn run_many(
    exercises: &[&ExerciseInfo],
    services: &mut Services,
    jobs: usize,
    opts: &Options,
    on_done: impl Fn(&Outcome) + Sync,
) -> Result<Vec<Outcome>> {
    let started = Instant::now();
    let mut slots: Vec<Option<Outcome>> = vec![None; exercises.len()];
    let mut envs = Vec::with_capacity(exercises.len());
    for (i, ex) in exercises.iter().enumerate() {
        // Exercises without services never touch the services layer (no engine probe).
        if ex.services.is_empty() {
            envs.push(Some(crate::services::Lease::default()));
            continue;
        }
        match services.lease(ex) {
            Ok(lease) => envs.push(Some(lease)),
            Err(e) => {
                let o = Outcome::new(
                    &ex.name,
                    Verdict::ServicesUnavailable,
                    e.to_string(),
                    ex.timeout_secs,
                );
                on_done(&o);
                slots[i] = Some(o);
                envs.push(None);
            }
        }
    }
    let packages: Vec<&str> = exercises
        .iter()
        .zip(&envs)
        .filter(|(_, env)| env.is_some())
        .map(|(ex, _)| ex.name.as_str())
        .collect();
    if !packages.is_empty() {
        let built = build(&BuildRequest {
            workspace: opts.workspace,
            packages: &packages,
            target_dir: opts.target_dir,
            cancel: opts.cancel,
            on_progress: opts.on_progress,
        })?;
        let queue = Mutex::new(
            (0..exercises.len())
                .filter(|&i| slots[i].is_none())
                .collect::<Vec<_>>(),
        );
        let results = Mutex::new(Vec::new());
        let first_error = Mutex::new(None);
        // The guard is dropped inside the closure, so no worker holds the queue while testing.
        let next = || queue.lock().ok().and_then(|mut q| q.pop());
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1) {
                scope.spawn(|| {
                    while let Some(i) = next() {
                        let ex = exercises[i];
                        let outcome = test_one(
                            ex,
                            &built,
                            envs[i].as_ref().map_or(&[][..], |l| l.env.as_slice()),
                            opts.cancel,
                            built.cancelled,
                        );
                        match outcome {
                            Ok(o) => {
                                on_done(&o);
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
        .zip(exercises)
        .map(|(o, ex)| {
            o.unwrap_or_else(|| {
                Outcome::new(&ex.name, Verdict::Cancelled, String::new(), ex.timeout_secs)
            })
        })
        .map(|mut o| {
            if o.duration == Duration::ZERO {
                o.duration = elapsed;
            }
            o
        })
        .collect())
}

fn test_one(
    ex: &ExerciseInfo,
    built: &super::BuildOutput,
    env: &[(String, String)],
    cancel: Option<&Cancel>,
    cancelled: bool,
) -> Result<Outcome> {
    if cancelled {
        return Ok(Outcome::new(
            &ex.name,
            Verdict::Cancelled,
            String::new(),
            ex.timeout_secs,
        ));
    }
    if let Some(errors) = built.failure_of(&ex.name) {
        return Ok(Outcome::new(
            &ex.name,
            Verdict::CompileError,
            errors,
            ex.timeout_secs,
        ));
    }
    let binaries = built.binaries.get(&ex.name).map_or(&[][..], Vec::as_slice);
    run_tests(&TestRequest {
        exercise: &ex.name,
        binaries,
        env,
        timeout: Duration::from_secs(ex.timeout_secs),
        cancel,
    })
}
