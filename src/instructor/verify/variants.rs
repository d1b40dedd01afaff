//! The variants of an exercise that verify builds: as shipped, solved, and each mutant (a
//! plausible wrong solution, kept as a patch against the solution, a whole `src/lib.rs`, or a
//! folder of files).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::{Course, ExerciseInfo};
use crate::runner::Job;

pub const MUTANTS_DIR: &str = "mutants";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Shipped,
    Solution,
    Mutant(PathBuf),
}

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
                let stem: String = mutant_stem(path)
                    .to_lowercase()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .collect();
                (
                    format!("m_{stem}"),
                    Path::new("mutant").join(&ex.name).join(&stem),
                )
            }
        };
        let mut job = Job::for_exercise(ex);
        job.package = format!("{}__{suffix}", ex.name);
        Variant { ex, kind, dir, job }
    }

    /// The variant's files (relative to its package dir) and their contents.
    pub fn files(&self, course: &Course) -> Result<BTreeMap<PathBuf, Vec<u8>>> {
        let mut files = BTreeMap::new();
        let mut add_tree = |root: &Path, skip_mutants: bool| -> Result<()> {
            for (rel, bytes) in crate::fs::read_tree(root)? {
                if !(skip_mutants && rel.starts_with(MUTANTS_DIR)) {
                    files.insert(rel, bytes);
                }
            }
            Ok(())
        };
        add_tree(&course.exercise_dir(self.ex), false)?;
        if self.kind != Kind::Shipped {
            add_tree(&course.solution_dir(self.ex), true)?;
        }
        if let Kind::Mutant(path) = &self.kind {
            if path.is_dir() {
                add_tree(path, false)?;
            } else if path.extension().is_some_and(|e| e == "patch") {
                let text = std::fs::read_to_string(path)?;
                for (file, patched) in apply_patch(&text, &files).map_err(|e| {
                    anyhow::anyhow!(
                        "mutant {} does not apply to the solution: {e}",
                        path.display()
                    )
                })? {
                    files.insert(file, patched.into_bytes());
                }
            } else {
                files.insert(PathBuf::from("src/lib.rs"), std::fs::read(path)?);
            }
        }
        let manifest = files
            .get(Path::new("Cargo.toml"))
            .with_context(|| format!("{} has no Cargo.toml", self.ex.dir))?;
        let manifest = rename_package(manifest, &self.job.package, &self.ex.name)?;
        files.insert(PathBuf::from("Cargo.toml"), manifest);
        Ok(files)
    }
}

/// Applies a mutant patch (unified diff, one or more files, paths relative to the exercise, text
/// before the first `---` line is its description) to the solved files. Returns the new
/// contents of each patched file.
fn apply_patch(
    text: &str,
    files: &BTreeMap<PathBuf, Vec<u8>>,
) -> Result<Vec<(PathBuf, String)>, String> {
    let mut out = Vec::new();
    let starts: Vec<usize> = text
        .match_indices("--- ")
        .filter(|(i, _)| *i == 0 || text.as_bytes()[i - 1] == b'\n')
        .map(|(i, _)| i)
        .collect();
    if starts.is_empty() {
        return Err("it contains no `--- a/<file>` header".into());
    }
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(text.len());
        let one = &text[start..end];
        let patch = diffy::Patch::from_str(one).map_err(|e| e.to_string())?;
        let name = patch
            .modified()
            .or(patch.original())
            .ok_or("a file header has no path")?;
        let rel = PathBuf::from(
            name.trim()
                .trim_start_matches("b/")
                .trim_start_matches("a/"),
        );
        let base = files.get(&rel).ok_or_else(|| {
            format!(
                "it patches {}, which the solved exercise does not have",
                rel.display()
            )
        })?;
        let base = String::from_utf8_lossy(base);
        let patched = diffy::apply(&base, &patch).map_err(|e| format!("{}: {e}", rel.display()))?;
        out.push((rel, patched));
    }
    Ok(out)
}

/// The package gets the variant's name (so variants never share artifacts) while its library
/// keeps the exercise's crate name (so the tests' `use exercise::…` still resolves).
fn rename_package(manifest: &[u8], package: &str, lib: &str) -> Result<Vec<u8>> {
    let text = String::from_utf8_lossy(manifest);
    let mut table: toml::Table =
        toml::from_str(&text).context("cannot parse an exercise's Cargo.toml")?;
    if let Some(pkg) = table.get_mut("package").and_then(|p| p.as_table_mut()) {
        pkg.insert("name".into(), toml::Value::String(package.to_owned()));
    }
    let lib_table = table
        .entry("lib")
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let Some(lib_table) = lib_table.as_table_mut() {
        lib_table
            .entry("name")
            .or_insert_with(|| toml::Value::String(lib.replace('-', "_")));
    }
    Ok(toml::to_string(&table)?.into_bytes())
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
        .filter(|rel| !rel.starts_with(MUTANTS_DIR))
        .map(|rel| (root.join(&rel), rel))
        .map(|(path, rel)| (rel, path))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_patch_applies_to_the_solved_files_and_names_what_it_misses() {
        let files = BTreeMap::from([(
            PathBuf::from("src/lib.rs"),
            b"pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n".to_vec(),
        )]);
        let patch = "subtracts instead\n--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n pub fn add(a: i32, b: i32) -> i32 {\n-    a + b\n+    a - b\n }\n";
        let out = apply_patch(patch, &files).unwrap();
        assert_eq!(out.len(), 1);
        assert!(out[0].1.contains("a - b"));
        let other = patch.replace("src/lib.rs", "src/other.rs");
        assert!(
            apply_patch(&other, &files)
                .unwrap_err()
                .contains("src/other.rs")
        );
        assert!(apply_patch("just words", &files).is_err());
    }

    #[test]
    fn the_package_is_renamed_and_the_library_keeps_its_name() {
        let manifest = b"[package]\nname = \"add\"\nversion = \"0.1.0\"\n";
        let out =
            String::from_utf8(rename_package(manifest, "add__solution", "add").unwrap()).unwrap();
        let table: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(table["package"]["name"].as_str(), Some("add__solution"));
        assert_eq!(table["lib"]["name"].as_str(), Some("add"));
    }

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
