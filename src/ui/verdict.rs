//! How outcomes become words: the learner's full view of a run, the one-line summaries that
//! check-all, verify and grade print, and the text reports carry. Nowhere else turns a
//! [`Verdict`] into words.

use std::fmt::Write as _;

use super::{BOLD, CYAN, DIM, GREEN, RED, YELLOW, paint, strip_ansi};
use crate::course::ExerciseKind;
use crate::runner::{BuildProgress, Outcome, TestStatus, Verdict};

/// A build in progress, for status lines: `⏳ [####>-----] 143/265 crates · Compiling serde
/// v1.0.200` while dependencies compile, `⏳ Compiling add v0.1.0` otherwise. None when there is
/// nothing worth showing (cargo's closing `Finished`).
pub fn building(p: &BuildProgress) -> Option<String> {
    let status = p.status.as_ref().filter(|s| s.is_progress());
    match (p.total, status) {
        (Some(total), status) => Some(format!(
            "⏳ {} crates{}",
            progress_counts(p.done, total),
            status.map(|s| format!(" · {s}")).unwrap_or_default()
        )),
        (None, Some(status)) => Some(format!("⏳ {status}")),
        (None, None) => None,
    }
}

fn progress_counts(done: usize, total: usize) -> String {
    const WIDTH: usize = 20;
    let filled = (done.min(total) * WIDTH).checked_div(total).unwrap_or(0);
    let mut bar: String = "#".repeat(filled);
    if filled < WIDTH {
        bar.push('>');
        bar.push_str(&"-".repeat(WIDTH - filled - 1));
    }
    format!("[{bar}] {done}/{total}")
}

/// The verdict in a few words: `passes`, `3 of 8 tests fail`, `timed out after 60 s`…
pub fn summary(o: &Outcome) -> String {
    match (o.verdict, &o.bugs) {
        (Verdict::Passed, Some(bugs)) => format!("all {} bugs caught", bugs.total()),
        (Verdict::BugsMissed, Some(bugs)) => {
            format!("{} of {} bugs caught", bugs.caught.len(), bugs.total())
        }
        (Verdict::TestsFailed, Some(_)) => {
            let failed = o.count(TestStatus::Failed);
            format!(
                "{failed} of {} tests fail on the correct implementation",
                failed + o.count(TestStatus::Passed)
            )
        }
        _ => summary_of_code(o),
    }
}

fn summary_of_code(o: &Outcome) -> String {
    match o.verdict {
        Verdict::Passed => "passes".into(),
        Verdict::CompileError => "does not compile".into(),
        Verdict::TestsFailed => {
            let failed = o.count(TestStatus::Failed);
            format!(
                "{failed} of {} tests fail",
                failed + o.count(TestStatus::Passed)
            )
        }
        Verdict::BugsMissed => "lets known bugs through".into(),
        Verdict::TimedOut => format!("timed out after {} s", o.timeout_secs),
        Verdict::Killed => o
            .details
            .split_once(": killed")
            .map_or_else(|| o.details.clone(), |(_, why)| format!("killed{why}")),
        Verdict::NoTests => "has no tests".into(),
        Verdict::ServicesUnavailable => format!("could not run: {}", o.details),
        Verdict::Cancelled => "cancelled".into(),
    }
}

/// The outcome as text for a report: what a learner would see, without colour and without the
/// headline (the report's message says it).
pub fn outcome_text(o: &Outcome) -> String {
    let text = strip_ansi(&render_outcome(o));
    text.split_once('\n').map_or(String::new(), |(_, rest)| {
        rest.trim_start_matches('\n').to_owned()
    })
}

/// One line per exercise after a check-all, then where the learner stands.
pub fn check_all_summary(
    outcomes: &[Outcome],
    done: usize,
    total: usize,
    next: Option<&str>,
) -> String {
    let mut s = String::new();
    for o in outcomes {
        let (mark, what) = match o.verdict {
            Verdict::Passed => (paint(GREEN, "✓"), String::new()),
            Verdict::ServicesUnavailable => (paint(YELLOW, "!"), o.details.clone()),
            Verdict::Cancelled => (paint(YELLOW, "…"), summary(o)),
            _ => (paint(RED, "✗"), summary(o)),
        };
        let line = format!("{mark} {:<32} {what}", o.name);
        let _ = writeln!(s, "{}", line.trim_end());
    }
    let _ = writeln!(
        s,
        "\n{done} of {total} exercises done. {}",
        next.map(|n| format!("Next up: {}", paint(BOLD, n)))
            .unwrap_or_default()
    );
    s
}

/// What a passing run adds: where the reference solution is (for a tests exercise, the
/// reference tests), and how to go on.
pub fn passed_footer(solution_rel: &str, kind: ExerciseKind) -> String {
    let compare = match kind {
        ExerciseKind::Code => "Compare your code with the solution",
        ExerciseKind::Tests => "Compare your tests with the reference tests",
    };
    format!(
        "\n{} {compare}: {}\nPress {} for the next exercise.\n",
        paint(GREEN, "Exercise done!"),
        paint(CYAN, solution_rel),
        paint(BOLD, "n")
    )
}

const MAX_FAILURES_SHOWN: usize = 4;

/// The compact verdict: compile errors as cargo renders them, failing tests as name + message.
pub fn render_outcome(o: &Outcome) -> String {
    let mut s = String::new();
    let name = paint(BOLD, &o.name);
    let _ = match o.verdict {
        Verdict::Passed if o.bugs.is_some() => writeln!(
            s,
            "{} {name}: {}: your {} tests pass on the correct implementation and fail on every bug ({:.1} s)",
            paint(GREEN, "✓"),
            summary(o),
            o.count(TestStatus::Passed),
            o.duration.as_secs_f64()
        ),
        Verdict::BugsMissed => {
            let passed = o.count(TestStatus::Passed);
            let _ = writeln!(
                s,
                "{} {name}: {}
",
                paint(RED, "✗"),
                summary(o)
            );
            if passed == 0 {
                let _ = writeln!(
                    s,
                    "  You have no tests yet: write #[test] functions in tests/. The code in src/ is correct:\n  your tests must pass on it, and fail on an implementation that:"
                );
            } else {
                let _ = writeln!(
                    s,
                    "  Your {passed} tests pass on the correct implementation, and still pass on one that:"
                );
            }
            for missed in o.bugs.iter().flat_map(|b| &b.missed) {
                let _ = writeln!(s, "    {} {missed}", paint(RED, "•"));
            }
            Ok(())
        }
        Verdict::Passed => writeln!(
            s,
            "{} {name} passed ({} tests, {:.1} s)",
            paint(GREEN, "✓"),
            o.count(TestStatus::Passed),
            o.duration.as_secs_f64()
        ),
        Verdict::CompileError => writeln!(
            s,
            "{} {name} does not compile yet:\n\n{}",
            paint(RED, "✗"),
            o.details.trim_end()
        ),
        Verdict::TestsFailed => {
            let failed = o.count(TestStatus::Failed);
            let total = failed + o.count(TestStatus::Passed);
            if o.bugs.is_some() {
                let _ = writeln!(
                    s,
                    "{} {name}: {failed} of your {total} tests fail on the correct implementation\n\n  The implementation in src/ is right: a test that fails on it expects the wrong thing.\n",
                    paint(RED, "✗")
                );
            } else {
                let _ = writeln!(
                    s,
                    "{} {name}: {failed} of {total} tests failed\n",
                    paint(RED, "✗")
                );
            }
            // libtest reports in completion order; sort for a stable screen, and show the first
            // few in full so the footer stays on screen.
            let mut failures: Vec<_> = o.failed_tests().collect();
            failures.sort_by(|a, b| a.name.cmp(&b.name));
            let rest = failures.split_off(failures.len().min(MAX_FAILURES_SHOWN));
            for t in failures {
                let _ = writeln!(s, "  {} {}", paint(RED, "✗"), paint(BOLD, &t.name));
                if let Some(loc) = &t.location {
                    let _ = writeln!(s, "      {}", paint(DIM, &format!("at {loc}")));
                }
                for line in t.message.as_deref().unwrap_or("").lines() {
                    let _ = writeln!(s, "      {line}");
                }
                s.push('\n');
            }
            if !rest.is_empty() {
                let names: Vec<&str> = rest.iter().map(|t| t.name.as_str()).collect();
                let _ = writeln!(s, "  {} more failing: {}\n", rest.len(), names.join(", "));
            }
            Ok(())
        }
        Verdict::TimedOut => writeln!(s, "{} {name} {}", paint(RED, "✗"), o.details),
        Verdict::Killed => writeln!(s, "{} {name} {}", paint(RED, "✗"), o.details),
        Verdict::NoTests => writeln!(
            s,
            "{} {name} has no tests, so it cannot pass: the exercise is broken (please report it)",
            paint(RED, "✗")
        ),
        Verdict::ServicesUnavailable => writeln!(s, "{} {name}: {}", paint(YELLOW, "!"), o.details),
        Verdict::Cancelled => writeln!(s, "{} {name}: run cancelled", paint(YELLOW, "…")),
    };
    for note in &o.notes {
        let _ = writeln!(s, "{}", paint(YELLOW, &format!("note: {note}")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::TestCase;

    fn outcome(verdict: Verdict) -> Outcome {
        let mut o = Outcome::new("add", verdict, String::new(), 60);
        o.duration = std::time::Duration::from_millis(1234);
        o
    }

    fn failing() -> Outcome {
        let mut o = outcome(Verdict::TestsFailed);
        o.tests = vec![
            TestCase {
                name: "tests/checks: adds_small_numbers".into(),
                status: TestStatus::Failed,
                message: Some(
                    "assertion `left == right` failed: 2 + 2 is 4\n  left: 5\n right: 4".into(),
                ),
                location: Some("01_basics/01_add/tests/checks.rs:5:5".into()),
            },
            TestCase {
                name: "tests/checks: adds_zero".into(),
                status: TestStatus::Passed,
                message: None,
                location: None,
            },
        ];
        o.notes
            .push("tests/checks: output was cut to its first and last 128 KiB".into());
        o
    }

    #[test]
    fn every_verdict_has_words() {
        let mut lines = Vec::new();
        for v in [
            Verdict::Passed,
            Verdict::CompileError,
            Verdict::TimedOut,
            Verdict::NoTests,
            Verdict::BugsMissed,
            Verdict::Killed,
            Verdict::ServicesUnavailable,
            Verdict::Cancelled,
        ] {
            let mut o = outcome(v);
            if v == Verdict::ServicesUnavailable {
                o.details = "this exercise needs Postgres, and none is available".into();
            }
            if v == Verdict::Killed {
                o.details = "tests/checks: killed: used more than 2 GiB of memory".into();
            }
            lines.push(format!("{v:?}: {}", summary(&o)));
        }
        lines.push(format!("TestsFailed: {}", summary(&failing())));
        insta::assert_snapshot!(lines.join("\n"));
    }

    #[test]
    fn a_failing_run_as_the_learner_sees_it() {
        anstream::ColorChoice::Never.write_global();
        insta::assert_snapshot!(strip_ansi(&render_outcome(&failing())));
    }

    #[test]
    fn a_compile_error_and_a_pass_as_the_learner_sees_them() {
        let mut broken = outcome(Verdict::CompileError);
        broken.details = "error[E0308]: mismatched types\n --> src/lib.rs:2:5".into();
        let mut passed = outcome(Verdict::Passed);
        passed.tests = failing().tests;
        passed.tests[0].status = TestStatus::Passed;
        let text = format!(
            "{}---\n{}{}",
            strip_ansi(&render_outcome(&broken)),
            strip_ansi(&render_outcome(&passed)),
            strip_ansi(&passed_footer(
                "solutions/01_basics/01_add",
                ExerciseKind::Code
            ))
        );
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_bug_hunt_as_the_learner_sees_it() {
        anstream::ColorChoice::Never.write_global();
        let bugs = |caught: &[&str], missed: &[&str]| crate::runner::BugTally {
            caught: caught.iter().map(|s| s.to_string()).collect(),
            missed: missed.iter().map(|s| s.to_string()).collect(),
        };
        let mut none = outcome(Verdict::BugsMissed);
        none.bugs = Some(bugs(&[], &["charges the discount twice", "rounds down"]));
        let mut some = outcome(Verdict::BugsMissed);
        some.tests = failing().tests;
        some.tests[0].status = TestStatus::Passed;
        some.bugs = Some(bugs(&["charges the discount twice"], &["rounds down"]));
        let mut wrong = failing();
        wrong.notes.clear();
        wrong.bugs = Some(bugs(&[], &["rounds down"]));
        let mut all = some.clone();
        all.verdict = Verdict::Passed;
        all.bugs = Some(bugs(&["charges the discount twice", "rounds down"], &[]));
        let text: Vec<String> = [none, some, wrong, all]
            .iter()
            .map(|o| format!("{}\n{}", summary(o), strip_ansi(&render_outcome(o))))
            .collect();
        insta::assert_snapshot!(text.join("---\n"));
    }

    #[test]
    fn a_cold_build_shows_crates_done_of_total() {
        let status = crate::runner::StatusLine::parse("   Compiling serde v1.0.200");
        let counting = BuildProgress {
            status: status.clone(),
            done: 143,
            total: Some(265),
        };
        let warm = BuildProgress {
            status,
            done: 0,
            total: None,
        };
        let finished = BuildProgress {
            status: crate::runner::StatusLine::parse("    Finished `dev` profile"),
            done: 0,
            total: None,
        };
        insta::assert_snapshot!(format!(
            "{}\n{}\n{:?}",
            building(&counting).unwrap(),
            building(&warm).unwrap(),
            building(&finished)
        ));
    }

    #[test]
    fn check_all_summary_lists_every_exercise() {
        let outcomes = [
            outcome(Verdict::Passed),
            failing(),
            outcome(Verdict::TimedOut),
        ];
        insta::assert_snapshot!(strip_ansi(&check_all_summary(
            &outcomes,
            1,
            3,
            Some("greet")
        )));
    }
}
