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
        Verdict::TestsFailed | Verdict::TimedOut | Verdict::Killed => {
            Case::new(Group::Unsolved, name, Status::Pass)
        }
        Verdict::Passed => Case::new(Group::Unsolved, name, Status::Fail)
            .message("passes as shipped: its tests check nothing the learner has to do (or set skip_check_unsolved)"),
        Verdict::CompileError => Case::new(Group::Unsolved, name, Status::Fail)
            .message("does not compile as shipped: exercises must compile, with todo!() where the learner works")
            .output(&o.details),
        Verdict::NoTests => Case::new(Group::Unsolved, name, Status::Fail).message("has no tests"),
        Verdict::BugsMissed => Case::new(Group::Unsolved, name, Status::Error)
            .message("a bug hunt's verdict on a code exercise (a defect of verify)"),
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

/// How the support crates start the panic message of a failure of the harness itself (no
/// server, a test database that cannot be created), as opposed to an assertion of the lesson.
pub const INFRASTRUCTURE_MARK: &str = "[test infrastructure]";

/// What became of a mutant, in cargo-mutants' terms. Only `Caught` means the tests reject it;
/// every other outcome is a defect of the course or of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MutantOutcome {
    /// A test of the lesson failed: its name and the first line of its message.
    Caught {
        test: String,
        message: String,
    },
    Survived,
    /// Does not compile: not a solution a learner could submit.
    Unviable,
    /// Hung until the deadline: no test said what is wrong.
    Timeout,
    /// The run itself failed (services, the harness): it says nothing about the tests.
    Error(String),
}

impl MutantOutcome {
    pub fn of(o: &Outcome) -> MutantOutcome {
        match o.verdict {
            Verdict::TestsFailed => {
                let failed: Vec<_> = o.failed_tests().collect();
                let lesson = failed.iter().find(|t| {
                    !t.message
                        .as_deref()
                        .is_some_and(|m| m.contains(INFRASTRUCTURE_MARK))
                });
                match (lesson, failed.first()) {
                    (Some(t), _) => MutantOutcome::Caught {
                        test: t.name.clone(),
                        message: t
                            .message
                            .as_deref()
                            .and_then(|m| m.lines().find(|l| !l.trim().is_empty()))
                            .unwrap_or("")
                            .trim()
                            .to_owned(),
                    },
                    (None, Some(t)) => MutantOutcome::Error(format!(
                        "`{}` could not run: {}",
                        t.name,
                        t.message.as_deref().unwrap_or("").trim()
                    )),
                    // The binary crashed before any test failed (an abort, a signal).
                    (None, None) => MutantOutcome::Error(summary(o)),
                }
            }
            Verdict::Passed => MutantOutcome::Survived,
            Verdict::BugsMissed => MutantOutcome::Error("a bug hunt's verdict on a variant".into()),
            Verdict::CompileError => MutantOutcome::Unviable,
            Verdict::TimedOut => MutantOutcome::Timeout,
            // A mutant that runs away with memory or processes is stopped: it does not pass.
            Verdict::Killed => MutantOutcome::Caught {
                test: "(the sandbox's limits)".into(),
                message: o.details.clone(),
            },
            Verdict::NoTests => MutantOutcome::Error("no tests ran".into()),
            Verdict::ServicesUnavailable => {
                MutantOutcome::Error(format!("cannot run: {}", o.details))
            }
            Verdict::Cancelled => MutantOutcome::Error("cancelled".into()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            MutantOutcome::Caught { .. } => "caught",
            MutantOutcome::Survived => "survived",
            MutantOutcome::Unviable => "unviable",
            MutantOutcome::Timeout => "timeout",
            MutantOutcome::Error(_) => "error",
        }
    }
}

/// A mutant (`noun` = "mutant", must be rejected by the course's tests) or a known bug of a
/// tests exercise ("bug", must be caught by the reference tests).
pub fn mutant_case(
    course: &Course,
    ex: &ExerciseInfo,
    mutant: &Path,
    o: &Outcome,
    noun: &str,
) -> Case {
    let stem = mutant_stem(mutant);
    let name = if noun == "bug" {
        format!("{}: bug `{stem}` is caught", ex.name)
    } else {
        format!("{}: {noun} `{stem}` is rejected", ex.name)
    };
    let rel = mutant
        .strip_prefix(&course.root)
        .unwrap_or(mutant)
        .display()
        .to_string();
    let outcome = MutantOutcome::of(o);
    let case = match &outcome {
        MutantOutcome::Caught { test, message } => Case::new(Group::Mutant, name, Status::Pass)
            .message(format!("caught by `{test}`: {message}")),
        MutantOutcome::Survived => Case::new(Group::Mutant, name, Status::Fail).message(format!(
            "{noun} survives: the {}tests accept {rel}, a wrong {}{}",
            if noun == "bug" { "reference " } else { "" },
            if noun == "bug" {
                "implementation"
            } else {
                "solution"
            },
            describe_mutant(mutant)
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        MutantOutcome::Unviable => Case::new(Group::Mutant, name, Status::Fail)
            .message(format!(
                "unviable: {rel} does not compile; a {noun} must be a plausible implementation that builds"
            ))
            .output(&o.details),
        MutantOutcome::Timeout => Case::new(Group::Mutant, name, Status::Fail).message(format!(
            "timeout: {rel} hangs until the {} s deadline; a test should fail and say why (a `within` deadline around the step that hangs)",
            o.timeout_secs
        )),
        MutantOutcome::Error(why) => {
            Case::new(Group::Mutant, name, Status::Error).message(format!("error: {why}"))
        }
    };
    timed(case.outcome(outcome.as_str()), o)
}

/// The shipped tests of a tests exercise (plus verify's trivially passing one) on the correct
/// implementation: they must build and pass, or the learner starts from something broken.
pub fn shipped_tests_case(ex: &ExerciseInfo, o: &Outcome) -> Case {
    let name = format!("{}: the shipped tests pass on the implementation", ex.name);
    let case = match o.verdict {
        Verdict::Passed => Case::new(Group::Unsolved, name, Status::Pass),
        Verdict::ServicesUnavailable => services_case(Group::Unsolved, ex, o),
        _ => Case::new(Group::Unsolved, name, Status::Fail)
            .message(format!(
                "the shipped tests with a trivially passing one do not pass on the given implementation ({})",
                summary(o)
            ))
            .output(outcome_text(o)),
    };
    timed(case, o)
}

/// A known bug against the shipped tests (plus a trivially passing one): it must pass, or it
/// is "caught" by something other than a test that looks for it (it does not build, it
/// crashes on load), and an empty test file would catch it too.
pub fn shipped_bug_case(ex: &ExerciseInfo, bug: &Path, o: &Outcome) -> Case {
    let stem = mutant_stem(bug);
    let name = format!("{}: bug `{stem}` passes the shipped tests", ex.name);
    let case = match o.verdict {
        Verdict::Passed => Case::new(Group::Unsolved, name, Status::Pass),
        Verdict::ServicesUnavailable => services_case(Group::Unsolved, ex, o),
        _ => Case::new(Group::Unsolved, name, Status::Fail)
            .message(format!(
                "the shipped tests and a trivially passing one already reject it ({}): a known bug must build and run, so that only a test that looks for it catches it",
                summary(o)
            ))
            .output(outcome_text(o)),
    };
    timed(case, o)
}

fn services_case(group: Group, ex: &ExerciseInfo, o: &Outcome) -> Case {
    Case::new(
        group,
        format!("{}: {}", ex.name, group.as_str()),
        Status::Error,
    )
    .message(format!("cannot run: {}", o.details))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::runner::{TestCase, TestStatus};

    fn failed(name: &str, message: &str) -> TestCase {
        TestCase {
            name: name.into(),
            status: TestStatus::Failed,
            message: Some(message.into()),
            location: None,
        }
    }

    fn outcome(verdict: Verdict, tests: Vec<TestCase>) -> Outcome {
        let mut o = Outcome::new("m", verdict, String::new(), 60);
        o.tests = tests;
        o
    }

    #[test]
    fn only_a_failing_lesson_test_catches_a_mutant() {
        let harness = failed(
            "a",
            "[test infrastructure] cannot create a database for this test: already exists",
        );
        let lesson = failed("b", "assertion `left == right` failed: two rows\n  left: 2");
        assert_eq!(
            MutantOutcome::of(&outcome(
                Verdict::TestsFailed,
                vec![harness.clone(), lesson]
            )),
            MutantOutcome::Caught {
                test: "b".into(),
                message: "assertion `left == right` failed: two rows".into()
            }
        );
        assert_eq!(
            MutantOutcome::of(&outcome(Verdict::TestsFailed, vec![harness])).as_str(),
            "error"
        );
        assert_eq!(
            MutantOutcome::of(&outcome(Verdict::TimedOut, vec![])),
            MutantOutcome::Timeout
        );
        assert_eq!(
            MutantOutcome::of(&outcome(Verdict::CompileError, vec![])),
            MutantOutcome::Unviable
        );
        assert_eq!(
            MutantOutcome::of(&outcome(Verdict::Passed, vec![])),
            MutantOutcome::Survived
        );
    }

    /// The support crates mark their harness failures with the mark verify looks for.
    #[test]
    fn the_support_crates_use_the_infrastructure_mark() {
        for source in [
            include_str!("../../../exercises/support-db/src/db.rs"),
            include_str!("../../../exercises/support-kv/src/kv.rs"),
        ] {
            assert!(source.contains(&format!("\"{INFRASTRUCTURE_MARK} ")));
        }
    }
}
