//! Each verify check as a report case: what a variant's outcome means for the course.

use std::path::Path;

use super::variants::{describe_mutant, mutant_stem};
use crate::course::{Course, ExerciseInfo};
use crate::instructor::report::{Case, Group, Status};
use crate::runner::{Outcome, Verdict};
use crate::ui::verdict::{outcome_text, summary};

pub fn timed(mut case: Case, o: &Outcome) -> Case {
    case.duration = o.duration;
    case
}

pub fn unsolved_case(ex: &ExerciseInfo, o: &Outcome) -> Case {
    let name = format!("{}: fails as shipped", ex.name);
    if ex.skip_check_unsolved {
        return Case::new(Group::Unsolved, name, Status::Pass)
            .message("skipped (skip_check_unsolved = true)");
    }
    let case = match o.verdict {
        Verdict::TestsFailed | Verdict::TimedOut => Case::new(Group::Unsolved, name, Status::Pass),
        Verdict::Passed => Case::new(Group::Unsolved, name, Status::Fail)
            .message("passes as shipped: its tests check nothing the learner has to do (or set skip_check_unsolved)"),
        Verdict::CompileError => Case::new(Group::Unsolved, name, Status::Fail)
            .message("does not compile as shipped: exercises must compile, with todo!() where the learner works")
            .output(&o.details),
        Verdict::NoTests => Case::new(Group::Unsolved, name, Status::Fail).message("has no tests"),
        Verdict::ServicesUnavailable => services_case(Group::Unsolved, ex, o),
        Verdict::Cancelled => Case::new(Group::Unsolved, name, Status::Error).message("cancelled"),
    };
    timed(case, o)
}

pub fn solution_case(ex: &ExerciseInfo, o: &Outcome) -> Case {
    let name = format!("{}: solution passes", ex.name);
    let case = match o.verdict {
        Verdict::Passed => Case::new(Group::Solution, name, Status::Pass),
        Verdict::ServicesUnavailable => services_case(Group::Solution, ex, o),
        _ => Case::new(Group::Solution, name, Status::Fail)
            .message(format!("the solution does not pass ({})", summary(o)))
            .output(outcome_text(o)),
    };
    timed(case, o)
}

pub fn mutant_case(course: &Course, ex: &ExerciseInfo, mutant: &Path, o: &Outcome) -> Case {
    let stem = mutant_stem(mutant);
    let name = format!("{}: mutant `{stem}` is rejected", ex.name);
    let rel = mutant
        .strip_prefix(&course.root)
        .unwrap_or(mutant)
        .display()
        .to_string();
    match o.verdict {
        Verdict::TestsFailed | Verdict::TimedOut => Case::new(Group::Mutant, name, Status::Pass),
        Verdict::Passed => Case::new(Group::Mutant, name, Status::Fail).message(format!(
            "mutant survives: the tests accept {rel}, a wrong solution{}",
            describe_mutant(mutant)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        Verdict::CompileError => Case::new(Group::Mutant, name, Status::Fail)
            .message(format!(
                "{rel} does not compile; a mutant must be a plausible solution that builds"
            ))
            .output(&o.details),
        Verdict::ServicesUnavailable => services_case(Group::Mutant, ex, o),
        _ => Case::new(Group::Mutant, name, Status::Error).message(summary(o)),
    }
}

fn services_case(group: Group, ex: &ExerciseInfo, o: &Outcome) -> Case {
    Case::new(
        group,
        format!("{}: {}", ex.name, group.as_str()),
        Status::Error,
    )
    .message(format!("cannot run: {}", o.details))
}
