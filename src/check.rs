//! Checking a learner's exercises (`exercise run`, watch, check-all): the one entry point, so
//! every command treats both kinds of exercise alike. A code exercise's tests run in the
//! course's workspace; a tests exercise is a bug hunt (`crate::bugs`).

use anyhow::Result;

use crate::bugs;
use crate::course::{Course, ExerciseInfo, ExerciseKind};
use crate::runner::{self, Event, Job, Options, Outcome};
use crate::services::Services;

/// Checks `exercises` and returns their outcomes in the same order. `opts.workspace` is the
/// course's workspace; each outcome is reported once as `Event::Finished`, under the
/// exercise's name.
pub fn run(
    course: &Course,
    exercises: &[&ExerciseInfo],
    services: &mut Services,
    opts: &Options,
) -> Result<Vec<Outcome>> {
    type Indexed<'a> = Vec<(usize, &'a ExerciseInfo)>;
    let (code, tests): (Indexed, Indexed) = exercises
        .iter()
        .copied()
        .enumerate()
        .partition(|(_, ex)| ex.kind == ExerciseKind::Code);
    let mut slots: Vec<Option<Outcome>> = vec![None; exercises.len()];
    if !code.is_empty() {
        let jobs: Vec<Job> = code.iter().map(|(_, ex)| Job::for_exercise(ex)).collect();
        for ((i, _), o) in code.iter().zip(runner::run_many(&jobs, services, opts)?) {
            slots[*i] = Some(o);
        }
    }
    // A hunt's packages are its own business: only its tallied outcome is reported.
    let quiet = |e: Event| {
        if let Event::Building(_) = e {
            (opts.on_event)(e);
        }
    };
    for (i, ex) in tests {
        let o = bugs::hunt(
            course,
            ex,
            services,
            &Options {
                on_event: &quiet,
                ..*opts
            },
        )?;
        (opts.on_event)(Event::Finished(&o));
        slots[i] = Some(o);
    }
    Ok(slots.into_iter().flatten().collect())
}

/// Checks one exercise.
pub fn run_one(
    course: &Course,
    ex: &ExerciseInfo,
    services: &mut Services,
    opts: &Options,
) -> Result<Outcome> {
    let mut outcomes = run(course, &[ex], services, opts)?;
    outcomes
        .pop()
        .ok_or_else(|| anyhow::anyhow!("`{}` was not run", ex.name))
}
