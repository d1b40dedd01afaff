//! A course on disk: where it is, its manifest, and the paths derived from both. Below it: the
//! manifest format, the learner's progress file, the embedded copy and pristine files.

pub mod embedded;
pub mod manifest;
pub mod pristine;
pub mod progress;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

pub use manifest::{ExerciseInfo, ExerciseKind, MANIFEST_FILE, Manifest, Service};

pub const EXERCISES_DIR: &str = "exercises";
pub const SOLUTIONS_DIR: &str = "solutions";
/// Learner state, backups and pristine snapshots; gitignored.
pub const STATE_DIR: &str = ".backlings";

#[derive(Debug, Clone)]
pub struct Course {
    pub root: PathBuf,
    pub manifest: Manifest,
    /// True when the course on disk is the one embedded in this binary (same manifest), so its
    /// pristine files can come from the binary.
    pub is_embedded: bool,
}

impl Course {
    /// Finds the course: `--course DIR` if given, else the nearest ancestor of the current
    /// directory that has an info.toml.
    pub fn locate(explicit: Option<&Path>) -> Result<PathBuf> {
        if let Some(dir) = explicit {
            if !dir.join(MANIFEST_FILE).is_file() {
                bail!(
                    "{} is not a course: it has no {MANIFEST_FILE}",
                    dir.display()
                );
            }
            return Ok(dir.to_path_buf());
        }
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        for dir in cwd.ancestors() {
            if dir.join(MANIFEST_FILE).is_file() {
                return Ok(dir.to_path_buf());
            }
        }
        bail!(
            "no course here: neither {} nor any parent has an {MANIFEST_FILE}\n\
             Run `exercise init` to write the course into ./backlings, or pass --course DIR.",
            cwd.display()
        )
    }

    pub fn open(explicit: Option<&Path>) -> Result<Course> {
        let root = Course::locate(explicit)?;
        let root = root.canonicalize().unwrap_or(root);
        let manifest = Manifest::load(&root)?;
        let on_disk = std::fs::read(root.join(MANIFEST_FILE)).unwrap_or_default();
        let is_embedded = on_disk == embedded::manifest_bytes();
        Ok(Course {
            root,
            manifest,
            is_embedded,
        })
    }

    pub fn workspace_dir(&self) -> PathBuf {
        self.root.join(EXERCISES_DIR)
    }

    pub fn state_dir(&self) -> PathBuf {
        self.root.join(STATE_DIR)
    }

    pub fn exercise_dir(&self, ex: &ExerciseInfo) -> PathBuf {
        self.workspace_dir().join(&ex.dir)
    }

    /// The path shown to learners (relative to the course root).
    pub fn exercise_rel(&self, ex: &ExerciseInfo) -> String {
        format!("{EXERCISES_DIR}/{}", ex.dir)
    }

    pub fn solution_dir(&self, ex: &ExerciseInfo) -> PathBuf {
        self.root.join(SOLUTIONS_DIR).join(&ex.dir)
    }

    pub fn solution_rel(&self, ex: &ExerciseInfo) -> String {
        format!("{SOLUTIONS_DIR}/{}", ex.dir)
    }

    pub fn exercise(&self, name: &str) -> Result<&ExerciseInfo> {
        match self.manifest.exercise(name) {
            Some(ex) => Ok(ex),
            None => {
                let suggestion = closest(
                    name,
                    self.manifest.exercises.iter().map(|e| e.name.as_str()),
                );
                match suggestion {
                    Some(s) => bail!(
                        "no exercise named `{name}` (did you mean `{s}`? `exercise list` shows them all)"
                    ),
                    None => bail!("no exercise named `{name}` (`exercise list` shows them all)"),
                }
            }
        }
    }

    /// Errors clearly when an exercise's package is missing on disk, instead of letting cargo
    /// print a confusing workspace error.
    pub fn ensure_exercise_present(&self, ex: &ExerciseInfo) -> Result<()> {
        let dir = self.exercise_dir(ex);
        if !dir.join("Cargo.toml").is_file() {
            bail!(
                "exercise `{}`: {} is missing (info.toml lists it at dir = \"{}\")\n\
                 Restore it with `exercise reset {}` or from version control.",
                ex.name,
                dir.join("Cargo.toml").display(),
                ex.dir,
                ex.name
            );
        }
        Ok(())
    }

    /// Every exercise's package must be on disk before cargo is asked to build any of them.
    pub fn ensure_all_present(&self) -> Result<()> {
        self.manifest
            .exercises
            .iter()
            .try_for_each(|ex| self.ensure_exercise_present(ex))
    }

    pub fn topic_title<'a>(&'a self, ex: &'a ExerciseInfo) -> &'a str {
        self.manifest
            .topic(&ex.topic)
            .map_or(ex.topic.as_str(), |t| t.title.as_str())
    }
}

/// The candidate with the smallest edit distance, if it is close enough to be a plausible typo.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_names_only() {
        let names = ["serde_json", "tokio_basics", "errors"];
        assert_eq!(
            super::closest("serde_jsn", names.into_iter()),
            Some("serde_json")
        );
        assert_eq!(super::closest("zzzzzzzzz", names.into_iter()), None);
    }
}
