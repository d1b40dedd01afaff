//! Pristine copies of exercises, for `exercise reset` (and the grader's untampered tests).
//!
//! The course embedded in the binary is pristine by construction. For any other course, a
//! snapshot is taken into `.backlings/pristine/` the first time the course is used, before the
//! learner has edited anything.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::course::{Course, EXERCISES_DIR};
use crate::embedded;
use crate::manifest::ExerciseInfo;

const SNAPSHOT_DIR: &str = "pristine";
const COMPLETE_MARKER: &str = ".complete";

fn snapshot_root(course: &Course) -> PathBuf {
    course.state_dir().join(SNAPSHOT_DIR)
}

pub fn ensure_snapshot(course: &Course) -> Result<()> {
    if course.is_embedded {
        return Ok(());
    }
    let root = snapshot_root(course);
    if root.join(COMPLETE_MARKER).exists() {
        return Ok(());
    }
    if root.exists() {
        fs::remove_dir_all(&root)?;
    }
    for ex in &course.manifest.exercises {
        let from = course.exercise_dir(ex);
        if from.is_dir() {
            copy_tree(&from, &root.join(EXERCISES_DIR).join(&ex.dir))?;
        }
    }
    fs::create_dir_all(&root)?;
    fs::write(root.join(COMPLETE_MARKER), b"")?;
    Ok(())
}

/// The pristine files of an exercise, relative to its directory.
pub fn files(course: &Course, ex: &ExerciseInfo) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let rel = Path::new(EXERCISES_DIR).join(&ex.dir);
    let files: Vec<(PathBuf, Vec<u8>)> = if course.is_embedded {
        embedded::files_under(&rel)
            .into_iter()
            .map(|(p, c)| (p, c.to_vec()))
            .collect()
    } else {
        let dir = snapshot_root(course).join(&rel);
        let mut out = Vec::new();
        if dir.is_dir() {
            read_tree(&dir, &dir, &mut out)?;
        }
        out
    };
    if files.is_empty() {
        bail!(
            "no pristine copy of `{}` is available (the course is not the one built into this binary, and {} has no snapshot of it)",
            ex.name,
            snapshot_root(course).display()
        );
    }
    Ok(files)
}

/// Copies a directory tree, skipping build output.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        if entry.file_name() == "target" {
            continue;
        }
        let kind = entry.file_type()?;
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &dest).with_context(|| {
                format!(
                    "cannot copy {} to {}",
                    entry.path().display(),
                    dest.display()
                )
            })?;
        }
    }
    Ok(())
}

fn read_tree(base: &Path, dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            read_tree(base, &path, out)?;
        } else {
            let rel = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
            out.push((rel, fs::read(&path)?));
        }
    }
    Ok(())
}

/// Restores an exercise's pristine files after copying the learner's version to a new backup
/// folder, which is returned. Files the learner added are left in place.
pub fn reset(course: &Course, ex: &ExerciseInfo) -> Result<PathBuf> {
    let files = files(course, ex)?;
    let dir = course.exercise_dir(ex);
    let backups = course.state_dir().join("backups");
    let stamp = crate::ui::timestamp();
    let mut backup = backups.join(format!("{}-{stamp}", ex.name));
    let mut n = 2;
    while backup.exists() {
        backup = backups.join(format!("{}-{stamp}-{n}", ex.name));
        n += 1;
    }
    if dir.exists() {
        copy_tree(&dir, &backup)?;
    } else {
        fs::create_dir_all(&backup)?;
    }
    for (rel, contents) in files {
        let dest = dir.join(&rel);
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        crate::state::write_atomically(&dest, &contents)
            .with_context(|| format!("cannot write {}", dest.display()))?;
    }
    Ok(backup)
}
