//! Synthetic workspaces: copies of exercises under other package names (a variant of an
//! exercise as shipped, solved or mutated; the learner's tests against one of an exercise's
//! known bugs), each a member of a workspace of its own kind, so that one cargo invocation
//! builds them all.
//!
//! Distinct names and paths matter: cargo derives a member's artifact names from its name and
//! its path relative to the workspace root, so two copies of one package in one target dir
//! would overwrite each other. The copies keep the exercise's library name, so that tests'
//! `use exercise::…` resolves in every copy.
//!
//! The workspace is kept between runs and rewritten only where content changed, so a second
//! build recompiles only what changed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::course::{Course, ExerciseInfo};
use crate::fs::{read_tree, sync_dir, write_if_changed};

/// One member of a synthetic workspace.
#[derive(Debug, Clone)]
pub struct Package {
    /// Relative to the workspace root.
    pub dir: PathBuf,
    /// Its files, relative to `dir`, with the package already renamed (`rename_package`).
    pub files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Package {
    /// A copy of an exercise's `files` as the package `package` at `dir` (its library keeps
    /// the exercise's name, see [`rename_package`]).
    pub fn renamed(
        ex: &ExerciseInfo,
        mut files: BTreeMap<PathBuf, Vec<u8>>,
        package: &str,
        dir: PathBuf,
    ) -> Result<Package> {
        let manifest = files
            .get(Path::new("Cargo.toml"))
            .with_context(|| format!("{} has no Cargo.toml", ex.dir))?;
        let sources = files
            .iter()
            .filter(|(path, _)| path.starts_with("src"))
            .map(|(_, text)| text.as_slice());
        let manifest = rename_package(manifest, package, &ex.name, has_unit_tests(sources))?;
        files.insert(PathBuf::from("Cargo.toml"), manifest);
        Ok(Package { dir, files })
    }
}

/// The build profile of a synthetic workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// The course's own: a learner's bug hunt shares the learner's target dir and its
    /// incremental state (the dependencies are already built there).
    Course,
    /// Compiled once and run (verify, grade): see [`one_shot`].
    OneShot,
}

/// Brings the synthetic workspace in line with the course: files are written only when their
/// content changed (so cargo sees unchanged packages as fresh), stale files and variants removed.
pub fn sync(
    course: &Course,
    ws: &Path,
    packages: &[Package],
    profile: Profile,
    // A partial verify leaves the other exercises' variants on disk (out of the members), so
    // the next full run finds them unchanged and does not rebuild them.
    prune: bool,
) -> Result<()> {
    std::fs::create_dir_all(ws)?;
    // Everything of the exercises workspace that is not an exercise (the support crate, say).
    let topic_dirs: Vec<&str> = course
        .manifest
        .topics
        .iter()
        .map(|t| t.dir.as_str())
        .collect();
    let source = course.workspace_dir();
    for entry in std::fs::read_dir(&source)?.flatten() {
        let name = entry.file_name();
        let name_str = name.to_string_lossy();
        if name_str == "target"
            || topic_dirs.contains(&name_str.as_ref())
            || name_str.starts_with('.')
        {
            continue;
        }
        let dest = ws.join(&name);
        if entry.path().is_dir() {
            sync_dir(&dest, &read_tree(&entry.path())?)?;
        } else if name_str == "Cargo.toml" {
            let members: Vec<toml::Value> = packages
                .iter()
                .map(|p| toml::Value::String(p.dir.to_string_lossy().into_owned()))
                .chain(other_members(&source, &topic_dirs))
                .collect();
            let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(entry.path())?)?;
            if let Some(w) = table.get_mut("workspace").and_then(|w| w.as_table_mut()) {
                w.insert("members".into(), toml::Value::Array(members));
                w.remove("exclude");
            }
            if profile == Profile::OneShot {
                one_shot(&mut table);
            }
            write_if_changed(&dest, toml::to_string(&table)?.as_bytes())?;
        } else {
            write_if_changed(&dest, &std::fs::read(entry.path())?)?;
        }
    }
    let listed = ws.join(".variants");
    let previous = std::fs::read_to_string(&listed).unwrap_or_default();
    let mut current: BTreeSet<String> = packages
        .iter()
        .map(|p| p.dir.to_string_lossy().into_owned())
        .collect();
    for old in previous
        .lines()
        .filter(|l| !l.is_empty() && !current.contains(*l))
    {
        if prune {
            let _ = std::fs::remove_dir_all(ws.join(old));
        }
    }
    if !prune {
        current.extend(previous.lines().filter(|l| !l.is_empty()).map(String::from));
    }
    for p in packages {
        sync_dir(&ws.join(&p.dir), &p.files)?;
    }
    write_if_changed(
        &listed,
        current
            .into_iter()
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    )?;
    Ok(())
}

/// Workspace members outside the topic folders (the support crate), as written in the course.
fn other_members(source: &Path, topic_dirs: &[&str]) -> Vec<toml::Value> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(source) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().join("Cargo.toml").is_file() && !topic_dirs.contains(&name.as_str()) {
                out.push(toml::Value::String(name));
            }
        }
    }
    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    out
}

/// Applies a patch (a mutant or a bug: unified diff, one or more files, paths relative to the exercise, text
/// before the first `---` line is its description) to an exercise's files. Returns the new
/// contents of each patched file.
pub fn apply_patch(
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
                "it patches {}, which the exercise does not have",
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
/// keeps the exercise's crate name (so the tests' `use exercise::…` still resolves). Without
/// `lib_harness`, the library's own test harness is not built (see [`without_lib_harness`]).
pub fn rename_package(
    manifest: &[u8],
    package: &str,
    lib: &str,
    lib_harness: bool,
) -> Result<Vec<u8>> {
    edit_manifest(manifest, |doc| {
        if let Some(pkg) = doc.get_mut("package").and_then(|p| p.as_table_mut()) {
            pkg.insert("name".into(), toml::Value::String(package.to_owned()));
        }
        let lib_table = table(doc, "lib");
        lib_table
            .entry("name")
            .or_insert_with(|| toml::Value::String(lib.replace('-', "_")));
        if !lib_harness {
            lib_table.insert("test".into(), false.into());
        }
    })
}

/// Whether any of a package's `src/` files holds a test (`#[test]`, `#[tokio::test]`,
/// `#[cfg(test)]`).
pub fn has_unit_tests<'a>(sources: impl IntoIterator<Item = &'a [u8]>) -> bool {
    sources.into_iter().any(|text| {
        [&b"#[test]"[..], b"::test]", b"#[cfg(test)]", b"::test("]
            .iter()
            .any(|mark| text.windows(mark.len()).any(|w| w == *mark))
    })
}

/// `[lib] test = false`: `cargo build --tests` then skips the library's own test harness. A
/// library without unit tests still gets one, compiled a second time and linked against
/// every dependency to run nothing: a third of a variant's build, for each of verify's
/// thousand variants and each copy a bug hunt or grade builds.
pub fn without_lib_harness(manifest: &[u8]) -> Result<Vec<u8>> {
    edit_manifest(manifest, |doc| {
        table(doc, "lib").insert("test".into(), false.into());
    })
}

/// An exercise's Cargo.toml, parsed, edited and written back.
fn edit_manifest(manifest: &[u8], edit: impl FnOnce(&mut toml::Table)) -> Result<Vec<u8>> {
    let text = String::from_utf8_lossy(manifest);
    let mut doc: toml::Table =
        toml::from_str(&text).context("cannot parse an exercise's Cargo.toml")?;
    edit(&mut doc);
    Ok(toml::to_string(&doc)?.into_bytes())
}

/// The build profile of the workspaces that verify and grade compile once and never debug.
///
/// Learners edit and rebuild, so their profile keeps incremental state and line tables. A
/// verify or grade build compiles each variant once and only runs it: incremental state (4 GB
/// for the whole course) and debug info (half of every test binary) are disk and time spent on
/// nothing. Panic messages keep their file and line: those are data, not debug info.
/// Rewrites `[profile.dev]` of a workspace manifest for a build that is compiled once and run.
pub fn one_shot(manifest: &mut toml::Table) {
    let profiles = table(manifest, "profile");
    let dev = table(profiles, "dev");
    dev.insert("incremental".into(), false.into());
    dev.insert("debug".into(), false.into());
    dev.insert("strip".into(), "symbols".into());
}

fn table<'a>(parent: &'a mut toml::Table, key: &str) -> &'a mut toml::Table {
    let entry = parent
        .entry(key)
        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if !entry.is_table() {
        *entry = toml::Value::Table(toml::Table::new());
    }
    entry.as_table_mut().expect("just made a table")
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
            String::from_utf8(rename_package(manifest, "add__solution", "add", true).unwrap())
                .unwrap();
        let table: toml::Table = toml::from_str(&out).unwrap();
        assert_eq!(table["package"]["name"].as_str(), Some("add__solution"));
        assert_eq!(table["lib"]["name"].as_str(), Some("add"));
        assert!(
            table["lib"].get("test").is_none(),
            "the harness is kept when asked"
        );
        let out = rename_package(manifest, "add__solution", "add", false).unwrap();
        let table: toml::Table = toml::from_str(&String::from_utf8(out).unwrap()).unwrap();
        assert_eq!(table["lib"]["test"].as_bool(), Some(false));
        assert!(has_unit_tests([&b"#[cfg(test)]\nmod tests {}"[..]]));
        assert!(has_unit_tests([
            &b"#[tokio::test(flavor = \"multi_thread\")]"[..]
        ]));
        assert!(!has_unit_tests([&b"pub fn test() {}"[..]]));
    }

    #[test]
    fn the_dev_profile_is_rewritten_and_the_rest_kept() {
        let mut m: toml::Table = toml::from_str(
            "[profile.dev]\ndebug = \"line-tables-only\"\n[profile.dev.package.argon2]\nopt-level = 3\n",
        )
        .unwrap();
        one_shot(&mut m);
        let dev = m["profile"]["dev"].as_table().unwrap();
        assert_eq!(dev["debug"].as_bool(), Some(false));
        assert_eq!(dev["incremental"].as_bool(), Some(false));
        assert_eq!(dev["strip"].as_str(), Some("symbols"));
        assert_eq!(dev["package"]["argon2"]["opt-level"].as_integer(), Some(3));

        let mut empty = toml::Table::new();
        one_shot(&mut empty);
        assert_eq!(empty["profile"]["dev"]["strip"].as_str(), Some("symbols"));
    }
}
