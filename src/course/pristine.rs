//! Pristine copies of exercises, for `exercise reset` (and the grader's untampered tests).
//!
//! The course embedded in the binary is pristine by construction. For any other course, a
//! snapshot is taken into `.backlings/pristine/` the first time the course is used, before the
//! learner has edited anything.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::{Course, EXERCISES_DIR, ExerciseInfo, embedded};
use crate::fs::{copy_tree, read_tree, write_atomically};

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
        read_tree(&snapshot_root(course).join(&rel))?
            .into_iter()
            .collect()
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

/// Restores an exercise's pristine files after copying the learner's version to a new backup
/// folder, which is returned. Files the learner added are left in place.
pub fn reset(course: &Course, ex: &ExerciseInfo) -> Result<PathBuf> {
    let files = files(course, ex)?;
    let dir = course.exercise_dir(ex);
    let backups = course.state_dir().join("backups");
    let stamp = timestamp();
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
        write_atomically(&dest, &contents)
            .with_context(|| format!("cannot write {}", dest.display()))?;
    }
    Ok(backup)
}

/// `YYYY-MM-DD-HHMMSS` in UTC, for backup folder names.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}-{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn timestamps_sort_as_time_does() {
        let t = timestamp();
        assert_eq!(t.len(), "2026-12-01-095800".len(), "{t}");
        assert!(t.starts_with("20"), "{t}");
    }

    #[test]
    fn a_snapshot_is_taken_once_and_reset_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("info.toml"),
            "format_version = 1\nwelcome_message = \"w\"\nfinal_message = \"f\"\n\
             [[topics]]\nname = \"t\"\ntitle = \"T\"\ndir = \"t\"\n\
             [[exercises]]\nname = \"a\"\ntopic = \"t\"\ndir = \"t/a\"\nhint = \"h\"\n",
        )
        .unwrap();
        let lib = root.join("exercises/t/a/src/lib.rs");
        crate::fs::write_if_changed(&lib, b"original").unwrap();
        let course = Course::open(Some(root)).unwrap();
        assert!(!course.is_embedded);
        ensure_snapshot(&course).unwrap();
        std::fs::write(&lib, "learner's work").unwrap();
        ensure_snapshot(&course).unwrap(); // complete already: not retaken
        let ex = course.manifest.exercises[0].clone();
        let backup = reset(&course, &ex).unwrap();
        assert_eq!(std::fs::read_to_string(&lib).unwrap(), "original");
        assert_eq!(
            std::fs::read_to_string(backup.join("src/lib.rs")).unwrap(),
            "learner's work"
        );
    }
}
