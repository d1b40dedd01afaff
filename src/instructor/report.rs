//! Results of `verify` and `grade` and the sinks that write them: a human summary, a JSON
//! document shaped like the exercism test runner's results.json (version 3), and JUnit XML.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::ui::{self, BOLD, GREEN, RED, YELLOW, paint};

/// What a case checks; also the JUnit suite it lands in, and the order of the human report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    Manifest,
    /// Every exercise builds each dependency with the same features (switching is free).
    Dependencies,
    Unsolved,
    Solution,
    Style,
    Mutant,
    /// A graded exercise.
    Exercise,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Manifest => "manifest",
            Group::Dependencies => "dependencies",
            Group::Unsolved => "unsolved",
            Group::Solution => "solution",
            Group::Style => "style",
            Group::Mutant => "mutant",
            Group::Exercise => "exercise",
        }
    }
}

/// Which tool made the report: the JUnit report's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    Verify,
    Grade,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Verify => "verify",
            ReportKind::Grade => "grade",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pass,
    Fail,
    /// Could not be decided (the thing under test could not be built or run at all).
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    /// What was checked, e.g. `errors_across_layers: solution passes`.
    pub name: String,
    #[serde(skip)]
    pub group: Group,
    pub status: Status,
    pub message: Option<String>,
    /// Captured output worth showing (compiler errors, failing tests), without colour.
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_points: Option<u32>,
    #[serde(skip)]
    pub duration: Duration,
    /// For a mutant: caught, survived, unviable, timeout or error (cargo-mutants' words).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
}

impl Case {
    pub fn new(group: Group, name: impl Into<String>, status: Status) -> Case {
        Case {
            name: name.into(),
            group,
            status,
            message: None,
            output: None,
            points: None,
            max_points: None,
            duration: Duration::ZERO,
            outcome: None,
        }
    }

    pub fn message(mut self, message: impl Into<String>) -> Case {
        self.message = Some(message.into());
        self
    }

    pub fn outcome(mut self, outcome: &'static str) -> Case {
        self.outcome = Some(outcome);
        self
    }

    pub fn output(mut self, output: impl AsRef<str>) -> Case {
        let plain = ui::strip_ansi(output.as_ref());
        if !plain.trim().is_empty() {
            self.output = Some(plain);
        }
        self
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub version: u32,
    pub status: Status,
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_points: Option<u32>,
    pub tests: Vec<Case>,
    #[serde(skip)]
    pub kind: ReportKind,
}

impl Report {
    pub fn new(kind: ReportKind, tests: Vec<Case>) -> Report {
        let status = if tests.iter().any(|c| c.status == Status::Error) {
            Status::Error
        } else if tests.iter().any(|c| c.status == Status::Fail) {
            Status::Fail
        } else {
            Status::Pass
        };
        let failing = tests.iter().filter(|c| c.status != Status::Pass).count();
        let message =
            (failing > 0).then(|| format!("{failing} of {} checks did not pass", tests.len()));
        Report {
            version: 3,
            status,
            message,
            points: None,
            max_points: None,
            tests,
            kind,
        }
    }

    pub fn passed(&self) -> bool {
        self.status == Status::Pass
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Junit,
}

/// Writes the report in `format` to `output` (stdout when None).
pub fn write(report: &Report, format: Format, output: Option<&Path>) -> Result<()> {
    let text = match format {
        Format::Human => human(report),
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Junit => junit(report)?,
    };
    match output {
        Some(path) => {
            std::fs::write(path, ui::strip_ansi(&text))
                .with_context(|| format!("cannot write {}", path.display()))?;
            // The file is for machines; the console still says what failed (a CI log that
            // only counts failures sends the reader digging in an artifact).
            if format != Format::Human {
                anstream::print!("{}", human(report));
            }
        }
        None => anstream::print!("{text}"),
    }
    Ok(())
}

fn human(report: &Report) -> String {
    let mut s = String::new();
    for case in report.tests.iter().filter(|c| c.status != Status::Pass) {
        let mark = if case.status == Status::Error {
            paint(YELLOW, "!")
        } else {
            paint(RED, "✗")
        };
        let _ = writeln!(s, "{mark} {}", paint(BOLD, &case.name));
        if let Some(m) = &case.message {
            for line in m.lines() {
                let _ = writeln!(s, "    {line}");
            }
        }
        if let Some(o) = &case.output {
            let lines: Vec<&str> = o.lines().collect();
            for line in lines.iter().take(30) {
                let _ = writeln!(s, "      {line}");
            }
            if lines.len() > 30 {
                let _ = writeln!(
                    s,
                    "      … {} more lines (use --format json for everything)",
                    lines.len() - 30
                );
            }
        }
    }
    s.push_str(&human_summary(report));
    s
}

fn human_summary(report: &Report) -> String {
    let passed = report
        .tests
        .iter()
        .filter(|c| c.status == Status::Pass)
        .count();
    let mut s = format!(
        "\n{} {passed}/{} checks passed",
        if report.passed() {
            paint(GREEN, "✓")
        } else {
            paint(RED, "✗")
        },
        report.tests.len()
    );
    if let (Some(p), Some(m)) = (report.points, report.max_points) {
        let _ = write!(s, " · {} {p}/{m}", paint(BOLD, "points"));
    }
    s.push('\n');
    s
}

fn junit(report: &Report) -> Result<String> {
    use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};
    let mut out = quick_junit::Report::new(format!("backlings {}", report.kind.as_str()));
    let mut groups: Vec<Group> = report.tests.iter().map(|c| c.group).collect();
    let mut seen = std::collections::HashSet::new();
    groups.retain(|g| seen.insert(*g));
    for group in groups {
        let mut suite = TestSuite::new(group.as_str());
        for case in report.tests.iter().filter(|c| c.group == group) {
            let mut status = match case.status {
                Status::Pass => TestCaseStatus::success(),
                Status::Fail => TestCaseStatus::non_success(NonSuccessKind::Failure),
                Status::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
            };
            if let Some(m) = &case.message {
                status.set_message(m.as_str());
            }
            if case.status != Status::Pass
                && let Some(o) = &case.output
            {
                status.set_description(o.as_str());
            }
            let mut tc = TestCase::new(case.name.as_str(), status);
            tc.set_classname(format!("backlings.{}", report.kind.as_str()));
            tc.set_time(case.duration);
            if let (Some(p), Some(m)) = (case.points, case.max_points) {
                tc.add_property(("points", format!("{p}/{m}").as_str()));
            }
            if let Some(outcome) = case.outcome {
                tc.add_property(("outcome", outcome));
                // A success has no message in JUnit: what caught the mutant goes to system-out.
                if case.status == Status::Pass
                    && let Some(m) = &case.message
                {
                    tc.set_system_out(m.as_str());
                }
            }
            suite.add_test_case(tc);
        }
        out.add_test_suite(suite);
    }
    Ok(out.to_string()?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn status_rolls_up() {
        let pass = Case::new(Group::Solution, "a", Status::Pass);
        let fail = Case::new(Group::Solution, "b", Status::Fail);
        let err = Case::new(Group::Mutant, "c", Status::Error);
        assert_eq!(
            Report::new(ReportKind::Verify, vec![pass.clone()]).status,
            Status::Pass
        );
        assert_eq!(
            Report::new(ReportKind::Verify, vec![pass.clone(), fail.clone()]).status,
            Status::Fail
        );
        assert_eq!(
            Report::new(ReportKind::Verify, vec![pass, fail, err]).status,
            Status::Error
        );
    }

    #[test]
    fn junit_has_one_suite_per_group() {
        let r = Report::new(
            ReportKind::Verify,
            vec![
                Case::new(Group::Manifest, "m", Status::Pass),
                Case::new(Group::Solution, "s", Status::Fail)
                    .message("boom")
                    .output("\u{1b}[31mred\u{1b}[0m"),
            ],
        );
        let xml = junit(&r).unwrap();
        assert_eq!(xml.matches("<testsuite ").count(), 2, "{xml}");
        assert!(xml.contains("boom"));
        assert!(!xml.contains('\u{1b}'), "no escapes in XML");
    }
}
