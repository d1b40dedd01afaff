//! The variants of an exercise that verify builds: as shipped, solved, and each mutant (a
//! plausible wrong solution, kept as a patch against the solution, a whole `src/lib.rs`, or a
//! folder of files). An exercise where the learner writes the tests has no mutants but known
//! bugs (`crate::bugs`): each is built with the shipped tests (plus one that trivially passes),
//! which must let it through, and with the reference tests, which must catch it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::bugs::BUGS_DIR;
use crate::course::{Course, ExerciseInfo, ExerciseKind};
use crate::runner::Job;
use crate::synthetic::{Package, apply_patch};

pub const MUTANTS_DIR: &str = "mutants";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Shipped,
    Solution,
    Mutant(PathBuf),
    /// A known bug of a tests exercise, tested by the shipped tests.
    ShippedBug(PathBuf),
    /// A known bug of a tests exercise, tested by the reference tests.
    SolutionBug(PathBuf),
}

/// The test file verify adds to the shipped tests of a tests exercise: a test that passes
/// whatever the implementation does must catch no bug.
pub const TRIVIAL_TEST: (&str, &str) = (
    "tests/backlings_trivially_passes.rs",
    "#[test]\nfn trivially_passes() {}\n",
);

/// One package of the synthetic workspace: an exercise as shipped, solved, or mutated.
pub struct Variant<'a> {
    pub ex: &'a ExerciseInfo,
    pub kind: Kind,
    /// Where the package lives, relative to the synthetic workspace.
    pub dir: PathBuf,
    /// What the runner runs: the exercise's settings under the variant's package name
    /// (`<exercise>__<variant>`).
    pub job: Job,
}

impl<'a> Variant<'a> {
    pub fn new(ex: &'a ExerciseInfo, kind: Kind) -> Variant<'a> {
        let (suffix, dir) = match &kind {
            Kind::Shipped => ("shipped".to_owned(), Path::new("shipped").join(&ex.dir)),
            Kind::Solution => ("solution".to_owned(), Path::new("solution").join(&ex.dir)),
            Kind::Mutant(path) => {
                let stem = package_stem(path);
                (
                    format!("m_{stem}"),
                    Path::new("mutant").join(&ex.name).join(&stem),
                )
            }
            Kind::ShippedBug(path) => {
                let stem = package_stem(path);
                (
                    format!("sb_{stem}"),
                    Path::new("bug")
                        .join(&ex.name)
                        .join(format!("shipped_{stem}")),
                )
            }
            Kind::SolutionBug(path) => {
                let stem = package_stem(path);
                (
                    format!("b_{stem}"),
                    Path::new("bug")
                        .join(&ex.name)
                        .join(format!("solution_{stem}")),
                )
            }
        };
        let mut job = Job::for_exercise(ex);
        job.package = format!("{}__{suffix}", ex.name);
        Variant { ex, kind, dir, job }
    }

    /// The variant as a package of the synthetic workspace.
    pub fn package(&self, course: &Course) -> Result<Package> {
        Package::renamed(
            self.ex,
            self.files(course)?,
            &self.job.package,
            self.dir.clone(),
        )
    }

    /// The variant's files (relative to its package dir) and their contents, before the
    /// package is renamed.
    fn files(&self, course: &Course) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
        let mut files = BTreeMap::new();
        let add_tree = |files: &mut BTreeMap<PathBuf, Vec<u8>>,
                        root: &Path,
                        skip_variants: bool|
         -> Result<()> {
            for (rel, bytes) in crate::fs::read_tree(root)? {
                if !(skip_variants && (rel.starts_with(MUTANTS_DIR) || rel.starts_with(BUGS_DIR))) {
                    files.insert(rel, bytes);
                }
            }
            Ok(())
        };
        add_tree(&mut files, &course.exercise_dir(self.ex), false)?;
        let shipped = matches!(self.kind, Kind::Shipped | Kind::ShippedBug(_));
        if !shipped {
            add_tree(&mut files, &course.solution_dir(self.ex), true)?;
        } else if self.ex.kind == ExerciseKind::Tests {
            files.insert(
                PathBuf::from(TRIVIAL_TEST.0),
                TRIVIAL_TEST.1.as_bytes().to_vec(),
            );
        }
        if let Kind::Mutant(path) | Kind::ShippedBug(path) | Kind::SolutionBug(path) = &self.kind {
            if path.is_dir() {
                add_tree(&mut files, path, false)?;
            } else if path.extension().is_some_and(|e| e == "patch") {
                let text = std::fs::read_to_string(path)?;
                for (file, patched) in apply_patch(&text, &files).map_err(|e| {
                    let (what, to) = match self.kind {
                        Kind::Mutant(_) => ("mutant", "the solution"),
                        _ => ("bug", "the implementation"),
                    };
                    anyhow::anyhow!("{what} {} does not apply to {to}: {e}", path.display())
                })? {
                    files.insert(file, patched.into_bytes());
                }
            } else {
                files.insert(PathBuf::from("src/lib.rs"), std::fs::read(path)?);
            }
        }
        Ok(files)
    }
}

/// A mutant's or bug's name as part of a package name: `[a-z0-9_]`.
fn package_stem(path: &Path) -> String {
    mutant_stem(path)
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// A mutant's name: its file name without the extension (`no_ttl.patch` → `no_ttl`).
pub fn mutant_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What is wrong with a mutant, from the first line of its (first) file when that is a `//!` or
/// `--` comment.
pub fn describe_mutant(path: &Path) -> Option<String> {
    let file = if path.is_dir() {
        path.join(crate::fs::files_under(path).ok()?.into_iter().next()?)
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&file).ok()?;
    let first = text.lines().next()?.trim();
    if file.extension().is_some_and(|e| e == "patch") {
        // A patch's description is the text before its first `--- ` header.
        return (!first.starts_with("--- ") && !first.is_empty()).then(|| first.to_owned());
    }
    first
        .strip_prefix("//!")
        .or_else(|| first.strip_prefix("--"))
        .map(|d| d.trim().to_owned())
}

pub fn mutant_files(course: &Course, ex: &ExerciseInfo) -> Vec<PathBuf> {
    let dir = course.solution_dir(ex).join(MUTANTS_DIR);
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "rs" || x == "patch"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The files of an exercise's solution, relative to the solution dir, mutants excluded.
pub fn solution_files(course: &Course, ex: &ExerciseInfo) -> Vec<(PathBuf, PathBuf)> {
    let root = course.solution_dir(ex);
    crate::fs::files_under(&root)
        .unwrap_or_default()
        .into_iter()
        .filter(|rel| !rel.starts_with(MUTANTS_DIR) && !rel.starts_with(BUGS_DIR))
        .map(|rel| (root.join(&rel), rel))
        .map(|(path, rel)| (rel, path))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn mutant_descriptions_come_from_the_first_line() {
        let dir = tempfile::tempdir().unwrap();
        let patch = dir.path().join("no_ttl.patch");
        std::fs::write(&patch, "forgets the TTL\n--- a/src/lib.rs\n").unwrap();
        assert_eq!(describe_mutant(&patch).as_deref(), Some("forgets the TTL"));
        assert_eq!(mutant_stem(&patch), "no_ttl");
        let rs = dir.path().join("x.rs");
        std::fs::write(&rs, "//! off by one\nfn main() {}\n").unwrap();
        assert_eq!(describe_mutant(&rs).as_deref(), Some("off by one"));
    }
}
