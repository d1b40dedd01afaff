//! Solutions must be clean: rustfmt (edition 2024) and clippy with `-D warnings`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result};

use super::variants::{Kind, Variant, solution_files};
use crate::course::{Course, ExerciseInfo};
use crate::instructor::report::{Case, Group, Status};
use crate::runner::cargo;

/// rustfmt on the solution's files as they sit in the solved variant (`ws`), where the modules
/// they declare but do not change (given by the exercise) are found too.
pub fn rustfmt_cases(course: &Course, ws: &Path, exercises: &[&ExerciseInfo]) -> Vec<Case> {
    exercises
        .iter()
        .map(|ex| {
            let name = format!("{}: solution is rustfmt-clean", ex.name);
            let solved = ws.join(Variant::new(ex, Kind::Solution).dir);
            let files: Vec<PathBuf> = solution_files(course, ex)
                .into_iter()
                .map(|(rel, _)| solved.join(rel))
                .filter(|p| p.extension().is_some_and(|e| e == "rs"))
                .collect();
            if files.is_empty() {
                return Case::new(Group::Style, name, Status::Pass);
            }
            let out = Command::new("rustfmt")
                .args(["--check", "--edition", "2024"])
                .args(&files)
                .output();
            match out {
                Ok(o) if o.status.success() => Case::new(Group::Style, name, Status::Pass),
                Ok(o) => Case::new(Group::Style, name, Status::Fail)
                    .message("rustfmt would change the solution (run rustfmt on it)")
                    .output(String::from_utf8_lossy(&o.stdout)),
                Err(e) => Case::new(Group::Style, name, Status::Error)
                    .message(format!("cannot run rustfmt ({e}); install it with `rustup component add rustfmt` or pass --skip-style")),
            }
        })
        .collect()
}

pub fn clippy_cases(ws: &Path, target: &Path, solved: &[&Variant]) -> Result<Vec<Case>> {
    let mut cmd = cargo::command();
    cmd.current_dir(ws)
        .args([
            "clippy",
            "--all-targets",
            "--keep-going",
            "--message-format=json",
            "--target-dir",
        ])
        .arg(target);
    for v in solved {
        cmd.arg("-p").arg(&v.job.package);
    }
    cmd.args(["--", "-D", "warnings"]);
    let started = Instant::now();
    let out = cmd.output().context("cannot run cargo clippy")?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() && stderr.contains("no such command") {
        return Ok(
            vec![Case::new(Group::Style, "clippy", Status::Error).message(
            "cargo clippy is not installed: `rustup component add clippy`, or pass --skip-style",
        )],
        );
    }
    let findings = cargo::clippy_errors(&String::from_utf8_lossy(&out.stdout));
    Ok(solved
        .iter()
        .map(|v| {
            let name = format!("{}: solution is clippy-clean", v.ex.name);
            let mut case = match findings.get(&v.job.package) {
                None => Case::new(Group::Style, name, Status::Pass),
                Some(msgs) => Case::new(Group::Style, name, Status::Fail)
                    .message(format!(
                        "clippy -D warnings reports {} problem(s)",
                        msgs.len()
                    ))
                    .output(msgs.join("\n")),
            };
            case.duration = started.elapsed();
            case
        })
        .collect())
}
