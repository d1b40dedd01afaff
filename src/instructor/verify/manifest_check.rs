//! The manifest agrees with the files on disk: every listed exercise exists, is a workspace
//! member under its own name, has a lesson, a hint and a solution; every member inside a topic
//! folder is listed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::variants::solution_files;
use crate::bugs::{BUGS_DIR, TESTS_DIR, bugs_of};
use crate::course::{Course, EXERCISES_DIR, ExerciseKind, SOLUTIONS_DIR};
use crate::fs::{canonical, non_empty_file};
use crate::instructor::report::{Case, Group, Status};
use crate::runner::cargo::workspace_members;

/// The manifest agrees with the files on disk.
pub fn check_manifest(course: &Course) -> Result<Vec<Case>> {
    let mut problems: Vec<String> = Vec::new();
    let m = &course.manifest;
    let ws = course.workspace_dir();

    // Workspace members, from cargo itself (globs, excludes and all).
    let members = workspace_members(&ws);
    let members = match members {
        Ok(members) => Some(members),
        Err(e) => {
            problems.push(format!(
                "cargo metadata failed for {}: {e:#}",
                ws.join("Cargo.toml").display()
            ));
            None
        }
    };

    for topic in &m.topics {
        if !non_empty_file(&ws.join(&topic.dir).join("README.md")) {
            problems.push(format!(
                "topic `{}`: {EXERCISES_DIR}/{}/README.md is missing or empty",
                topic.name, topic.dir
            ));
        }
    }
    for ex in &m.exercises {
        let dir = course.exercise_dir(ex);
        let rel = course.exercise_rel(ex);
        if let Some(topic) = m.topic(&ex.topic)
            && !Path::new(&ex.dir).starts_with(&topic.dir)
        {
            problems.push(format!(
                "exercise `{}`: dir `{}` is not inside its topic's folder `{}`",
                ex.name, ex.dir, topic.dir
            ));
        }
        if !dir.join("Cargo.toml").is_file() {
            problems.push(format!(
                "exercise `{}`: {rel}/Cargo.toml does not exist",
                ex.name
            ));
            continue;
        }
        if let Some(members) = &members {
            match members.iter().find(|(_, d)| same_dir(d, &dir)) {
                None => problems.push(format!("exercise `{}`: {rel} is not a member of the exercises workspace", ex.name)),
                Some((pkg, _)) if pkg != &ex.name => problems.push(format!(
                    "exercise `{}`: its package is named `{pkg}`; the package name must equal the exercise name",
                    ex.name
                )),
                Some(_) => {}
            }
        }
        if let Some(name) = fixed_binary_name(&dir.join("Cargo.toml")) {
            problems.push(format!(
                "exercise `{}`: {rel}/Cargo.toml names a binary `{name}`: verify's copies of the exercise would all build `target/debug/{name}` and run each other's; leave the binary named after the package and find it with env!(concat!(\"CARGO_BIN_EXE_\", env!(\"CARGO_PKG_NAME\")))",
                ex.name
            ));
        }
        if ex.hint.trim().is_empty() {
            problems.push(format!("exercise `{}`: the hint is empty", ex.name));
        }
        if !non_empty_file(&dir.join("README.md")) {
            problems.push(format!(
                "exercise `{}`: {rel}/README.md (the lesson) is missing or empty",
                ex.name
            ));
        }
        if ex.kind == ExerciseKind::Tests {
            let sol = course.solution_rel(ex);
            if bugs_of(course, ex).is_empty() {
                problems.push(format!(
                    "exercise `{}` (kind = \"tests\"): {sol}/{BUGS_DIR}/ has no bug (a `.patch` of the implementation); the learner's tests have nothing to catch",
                    ex.name
                ));
            }
            if !course.solution_dir(ex).join(TESTS_DIR).is_dir() {
                problems.push(format!(
                    "exercise `{}` (kind = \"tests\"): {sol}/{TESTS_DIR}/ (the reference tests) is missing",
                    ex.name
                ));
            }
            if course
                .solution_dir(ex)
                .join(super::variants::MUTANTS_DIR)
                .exists()
            {
                problems.push(format!(
                    "exercise `{}` (kind = \"tests\"): {sol}/mutants/ is not used by a tests exercise; its wrong implementations are its bugs ({sol}/{BUGS_DIR}/)",
                    ex.name
                ));
            }
        } else if course.solution_dir(ex).join(BUGS_DIR).exists() {
            problems.push(format!(
                "exercise `{}`: {}/{BUGS_DIR}/ is only used by an exercise with kind = \"tests\"",
                ex.name,
                course.solution_rel(ex)
            ));
        }
        let solution = solution_files(course, ex);
        if solution.is_empty() {
            problems.push(format!(
                "exercise `{}`: {SOLUTIONS_DIR}/{} has no solution files",
                ex.name, ex.dir
            ));
        }
        for (file_rel, _) in &solution {
            // The learner of a tests exercise adds their own files to tests/ (snapshots, say).
            let learners = ex.kind == ExerciseKind::Tests && file_rel.starts_with(TESTS_DIR);
            if !learners && !dir.join(file_rel).is_file() {
                problems.push(format!(
                    "exercise `{}`: solution file {SOLUTIONS_DIR}/{}/{} has no counterpart in {rel}",
                    ex.name,
                    ex.dir,
                    file_rel.display()
                ));
            }
        }
    }
    // Members inside a topic folder are exercises and must be listed; others (support) are not.
    if let Some(members) = &members {
        let listed: BTreeSet<PathBuf> = m
            .exercises
            .iter()
            .map(|e| canonical(&course.exercise_dir(e)))
            .collect();
        for (pkg, dir) in members {
            let in_topic = m
                .topics
                .iter()
                .any(|t| dir.starts_with(canonical(&ws.join(&t.dir))));
            if in_topic && !listed.contains(dir) {
                let shown = dir
                    .strip_prefix(canonical(&course.root))
                    .unwrap_or(dir)
                    .display()
                    .to_string();
                problems.push(format!(
                    "workspace member `{pkg}` ({shown}) is not listed in info.toml"
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(vec![Case::new(
            Group::Manifest,
            "manifest: consistent with the files",
            Status::Pass,
        )]);
    }
    Ok(problems
        .into_iter()
        .map(|p| Case::new(Group::Manifest, format!("manifest: {p}"), Status::Fail).message(p))
        .collect())
}

/// The name of a `[[bin]]` target declared with a fixed name, if the manifest has one.
fn fixed_binary_name(manifest: &Path) -> Option<String> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let table: toml::Table = toml::from_str(&text).ok()?;
    table
        .get("bin")?
        .as_array()?
        .iter()
        .find_map(|b| b.get("name")?.as_str().map(str::to_owned))
}

fn same_dir(a: &Path, b: &Path) -> bool {
    canonical(a) == canonical(b)
}
